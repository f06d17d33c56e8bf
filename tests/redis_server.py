"""The Redis the tests use: ``FIELDPORTAL_TEST_REDIS_URL`` (default
redis://127.0.0.1:6379/15), never database 0, which a developer's own app (``make run``,
``make bench``) uses.

A test that needs it calls ``redis_url_or_skip()``: when Redis does not answer, the test
skips saying which URL it tried — unless ``FIELDPORTAL_REQUIRE_REDIS=1`` (CI sets it), when
it fails, so a Redis missing from CI cannot pass silently."""

import os

import pytest
import redis
from redis.connection import parse_url

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


class RedisDatabaseZero(ValueError):
    """A test Redis URL names database 0 (or none, which means 0)."""


def refuse_database_zero(url: str) -> str:
    """``url`` unchanged, unless it is Redis database 0."""
    if int(parse_url(url).get("db", 0)) == 0:
        raise RedisDatabaseZero(
            f"the test Redis URL {url} is database 0; tests use their own database number "
            "(1-15): set FIELDPORTAL_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15"
        )
    return url


def redis_test_url() -> str:
    """``FIELDPORTAL_TEST_REDIS_URL`` or the default; database 0 is refused."""
    return refuse_database_zero(
        os.environ.get("FIELDPORTAL_TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL
    )


def redis_required() -> bool:
    return os.environ.get("FIELDPORTAL_REQUIRE_REDIS") == "1"


def redis_url_or_skip(url: str | None = None) -> str:
    """The test Redis URL (database 0 refused) once it answers a PING. If it does not, the
    test fails when ``FIELDPORTAL_REQUIRE_REDIS=1``, else skips; both name the URL."""
    url = refuse_database_zero(url or redis_test_url())
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        return url
    except redis.RedisError as error:
        reason = f"no Redis answers at {url} ({error})"
    finally:
        client.close()
    if redis_required():
        pytest.fail(f"FIELDPORTAL_REQUIRE_REDIS=1 and {reason}", pytrace=False)
    pytest.skip(f"needs Redis: {reason}")
