"""The test Redis helper (tests/redis_server.py): its own database number, never 0; a
Redis that does not answer skips a test, or fails it when CI requires Redis."""

import pytest
import redis

from tests.redis_server import (
    DEFAULT_TEST_REDIS_URL,
    RedisDatabaseZero,
    redis_test_url,
    redis_url_or_skip,
)

from .gunicorn_server import free_port


def test_the_default_is_database_15(monkeypatch):
    monkeypatch.delenv("FIELDPORTAL_TEST_REDIS_URL", raising=False)
    assert redis_test_url() == DEFAULT_TEST_REDIS_URL == "redis://127.0.0.1:6379/15"


def test_the_environment_names_another_database(monkeypatch):
    monkeypatch.setenv("FIELDPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    assert redis_test_url() == "redis://127.0.0.1:6379/7"


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://127.0.0.1:6379",  # no number is database 0
        "redis://127.0.0.1:6379/",
        "redis://127.0.0.1:6379/5?db=0",  # the query wins, as in redis-py
        "unix:///run/redis.sock",
    ],
)
def test_database_zero_is_refused(monkeypatch, url):
    monkeypatch.setenv("FIELDPORTAL_TEST_REDIS_URL", url)
    with pytest.raises(RedisDatabaseZero, match="database 0.*FIELDPORTAL_TEST_REDIS_URL"):
        redis_test_url()
    with pytest.raises(RedisDatabaseZero):
        redis_url_or_skip()


def test_database_zero_is_refused_when_passed_directly():
    with pytest.raises(RedisDatabaseZero):
        redis_url_or_skip("redis://127.0.0.1:6379/0")


def test_a_redis_that_does_not_answer_skips_with_its_url(monkeypatch):
    closed = f"redis://127.0.0.1:{free_port()}/15"
    monkeypatch.delenv("FIELDPORTAL_REQUIRE_REDIS", raising=False)
    monkeypatch.setenv("FIELDPORTAL_TEST_REDIS_URL", closed)
    with pytest.raises(pytest.skip.Exception, match=f"needs Redis: no Redis answers at {closed}"):
        redis_url_or_skip()


def test_a_redis_that_does_not_answer_fails_when_required(monkeypatch):
    closed = f"redis://127.0.0.1:{free_port()}/15"
    monkeypatch.setenv("FIELDPORTAL_REQUIRE_REDIS", "1")
    monkeypatch.setenv("FIELDPORTAL_TEST_REDIS_URL", closed)
    with pytest.raises(pytest.fail.Exception, match=f"FIELDPORTAL_REQUIRE_REDIS=1.*{closed}"):
        redis_url_or_skip()


def test_a_redis_that_answers_gives_its_url_on_its_own_database():
    url = redis_url_or_skip()
    client = redis.Redis.from_url(url)
    try:
        assert client.connection_pool.connection_kwargs["db"] != 0
        assert client.ping()
    finally:
        client.close()
