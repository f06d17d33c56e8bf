"""Link-request throttles on memory storage and on the Redis CI provides."""

import uuid

import pytest
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter

from fieldportal.services.throttle import link_request_allowed


def _redis_or_skip():
    storage = RedisStorage("redis://127.0.0.1:6379/0")
    if not storage.check():
        pytest.skip("no Redis on 127.0.0.1:6379")
    return storage


@pytest.mark.parametrize("storage_kind", ["memory", "redis"])
def test_five_per_address_and_twenty_per_ip(storage_kind):
    storage = MemoryStorage() if storage_kind == "memory" else _redis_or_skip()
    strategy = FixedWindowRateLimiter(storage)
    run = uuid.uuid4().hex  # keys unique to this run, so Redis state never leaks between runs
    address = f"frank-{run}@metro.example"
    results = [link_request_allowed(address, f"10.0.0.{run[:4]}", strategy) for _ in range(6)]
    assert results == [True] * 5 + [False]
    ip = f"192.0.2.{run[:6]}"
    results = [link_request_allowed(f"p{n}-{run}@x.example", ip, strategy) for n in range(21)]
    assert results == [True] * 20 + [False]
