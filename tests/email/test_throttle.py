"""Link-request throttles on memory storage and on the test Redis (tests/redis_server.py)."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, select

from fieldportal import create_app
from fieldportal.extensions import db, limiter
from fieldportal.models import OutboxEmail
from fieldportal.services.auth.throttle import link_request_allowed
from tests import factories
from tests.conftest import BrowserLikeClient
from tests.redis_server import redis_url_or_skip


def _redis_storage() -> RedisStorage:
    return RedisStorage(redis_url_or_skip())


@pytest.mark.parametrize("storage_kind", ["memory", "redis"])
def test_five_per_address_and_twenty_per_ip(storage_kind):
    storage = MemoryStorage() if storage_kind == "memory" else _redis_storage()
    strategy = FixedWindowRateLimiter(storage)
    run = uuid.uuid4().hex  # keys unique to this run, so Redis state never leaks between runs
    address = f"frank-{run}@metro.example"
    results = [link_request_allowed(address, f"10.0.0.{run[:4]}", strategy) for _ in range(6)]
    assert results == [True] * 5 + [False]
    ip = f"192.0.2.{run[:6]}"
    results = [link_request_allowed(f"p{n}-{run}@x.example", ip, strategy) for n in range(21)]
    assert results == [True] * 20 + [False]


APP_PROCESS = """
import sys
from fieldportal import create_app
from fieldportal.services.auth.throttle import link_request_allowed
app = create_app({"RATELIMIT_STORAGE_URI": sys.argv[1], "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "SECRET_KEY": "throttle-test"})
with app.app_context():
    print(" ".join(str(link_request_allowed(sys.argv[2], sys.argv[3])) for _ in range(3)))
"""


def test_with_redis_storage_every_app_process_shares_one_count():
    """RATELIMIT_STORAGE_URI reaches the app's limiter: two processes (two gunicorn workers)
    count one address together, so five link requests per hour hold across workers."""
    url = redis_url_or_skip()
    run = uuid.uuid4().hex  # keys unique to this run: Redis keeps counts between test runs
    address, ip = f"shared-{run}@metro.example", f"198.51.100.{run}"
    root = Path(__file__).parents[2]

    def run_app_process() -> str:
        return subprocess.run(
            [sys.executable, "-c", APP_PROCESS, url, address, ip],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()

    assert run_app_process() == ["True", "True", "True"]
    assert run_app_process() == ["True", "True", "False"]


@pytest.fixture
def unthrottled_app(tmp_path):
    """An app created with RATELIMIT_ENABLED=False, on its own SQLite file."""
    app = create_app(
        {
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unthrottled.db'}",
            "SECRET_KEY": "unthrottled-test",
            "BASE_URL": "https://portal.example.test",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    app.test_client_class = BrowserLikeClient
    with app.app_context():
        db.create_all()
        fleet = factories.create_fleet(factories.create_company(slug="acme"), vehicles=0)
        factories.create_contact(fleet, email="frank@metro.example")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    limiter.enabled = True  # Flask-Limiter keeps the switch on its one shared object


def test_link_requests_work_with_rate_limits_switched_off(unthrottled_app):
    """RATELIMIT_ENABLED=False leaves the limiter without storage: "email me a link" still
    answers the neutral page and sends every link (none is throttled)."""
    client = unthrottled_app.test_client()
    for email in ["frank@metro.example"] * 7 + ["nobody@nowhere.example"]:
        response = client.post("/portal/acme/sign-in/link", data={"email": email})
        assert response.status_code == 200
        assert "a sign-in link is on its way" in response.get_data(as_text=True)
    with unthrottled_app.app_context():
        sent = db.session.scalar(
            select(func.count(OutboxEmail.id)).where(
                OutboxEmail.to_address == "frank@metro.example"
            )
        )
    assert sent == 7


def test_an_address_is_counted_whatever_its_case_and_spaces():
    strategy = FixedWindowRateLimiter(MemoryStorage())
    spellings = [
        "frank@metro.example",
        "Frank@Metro.example",
        " frank@metro.example",
        "FRANK@METRO.EXAMPLE ",
        "frank@metro.example\t",
        "Frank@metro.EXAMPLE",
    ]
    results = [
        link_request_allowed(address, f"10.0.1.{n}", strategy)
        for n, address in enumerate(spellings)
    ]
    assert results == [True] * 5 + [False]


def test_each_kind_of_link_has_its_own_count():
    """Five sign-in links use up the address's sign-in count, not its password resets."""
    strategy = FixedWindowRateLimiter(MemoryStorage())
    address = "frank@metro.example"
    signins = [link_request_allowed(address, f"10.0.2.{n}", strategy) for n in range(6)]
    assert signins == [True] * 5 + [False]
    resets = [
        link_request_allowed(address, f"10.0.3.{n}", strategy, scope="password-reset")
        for n in range(6)
    ]
    assert resets == [True] * 5 + [False]


def test_each_kind_of_link_counts_an_ip_on_its_own():
    strategy = FixedWindowRateLimiter(MemoryStorage())
    ip = "198.51.100.7"
    signins = [link_request_allowed(f"s{n}@x.example", ip, strategy) for n in range(21)]
    assert signins == [True] * 20 + [False]
    resets = [
        link_request_allowed(f"r{n}@x.example", ip, strategy, scope="password-reset")
        for n in range(21)
    ]
    assert resets == [True] * 20 + [False]


class _Clock:
    """time for limits' memory storage, moved by hand."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def test_the_counts_last_an_hour(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr("limits.storage.memory.time", clock)
    strategy = FixedWindowRateLimiter(MemoryStorage())
    address, ip = "frank@metro.example", "198.51.100.8"
    by_address = [link_request_allowed(address, f"10.0.5.{n}", strategy) for n in range(6)]
    by_ip = [link_request_allowed(f"q{n}@x.example", ip, strategy) for n in range(21)]
    assert by_address == [True] * 5 + [False] and by_ip == [True] * 20 + [False]
    clock.now += 59 * 60
    assert not link_request_allowed(address, "10.0.5.99", strategy)
    assert not link_request_allowed("late@x.example", ip, strategy)
    clock.now += 2 * 60
    assert link_request_allowed(address, "10.0.5.98", strategy)
    assert link_request_allowed("later@x.example", ip, strategy)


def test_without_a_strategy_the_apps_limiter_counts(app):
    """What the sign-in and reset pages call: the app's own limiter storage."""
    run = uuid.uuid4().hex
    with app.app_context():
        results = [
            link_request_allowed(f"own-{run}@metro.example", f"10.{n}.{run[:6]}") for n in range(6)
        ]
    assert results == [True] * 5 + [False]


def test_requests_without_an_ip_share_one_count():
    strategy = FixedWindowRateLimiter(MemoryStorage())
    results = [link_request_allowed(f"p{n}@x.example", None, strategy) for n in range(21)]
    assert results == [True] * 20 + [False]
