"""The task queue (fieldportal/task_queue.py): which storage TASK_QUEUE_URL names, work
enqueued only once its transaction commits, a request that succeeds although the queue is
down, and each periodic task once per period across every worker."""

import logging
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import redis
from huey.constants import EmptyData
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from fieldportal import create_app, task_queue
from fieldportal.models import Quote, QuoteStatus
from fieldportal.services.billing import quotes
from fieldportal.services.mail import mailer, outbox_delivery
from tests import factories
from tests.redis_server import redis_url_or_skip


def _pending_names() -> list[str]:
    return [task.name for task in task_queue.huey.pending()]


@pytest.fixture
def queue(app):
    """The app's in-memory queue, empty at the start of the test."""
    task_queue.huey.storage.flush_queue()
    task_queue.huey.storage.flush_results()
    yield task_queue.huey
    task_queue.huey.storage.flush_queue()


def test_the_url_names_the_storage(tmp_path):
    assert isinstance(task_queue.storage_for("memory://"), MemoryStorage)
    sqlite = task_queue.storage_for(f"sqlite:///{tmp_path / 'q.db'}")
    assert isinstance(sqlite, SqliteStorage) and sqlite.filename == str(tmp_path / "q.db")
    assert isinstance(task_queue.storage_for("redis://127.0.0.1:6379/3"), RedisStorage)


def test_an_unknown_queue_url_refuses_to_start_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match="TASK_QUEUE_URL must be"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                "TASK_QUEUE_URL": "amqp://guest@127.0.0.1",
            }
        )


def test_email_queued_by_a_request_wakes_one_delivery_after_the_commit(client, company, queue):
    customer = factories.create_customer(company)
    for n in range(2):
        factories.create_contact(customer, email=f"wake{n}@example.com")
    for n in range(2):
        response = client.post(
            f"/portal/{company.slug}/sign-in/link", data={"email": f"wake{n}@example.com"}
        )
        assert response.status_code in (200, 303), response.status_code
    # one delivery task per committed request, not one per email, never zero
    assert _pending_names() == [outbox_delivery.deliver_soon.name] * 2


def _queue_two(app, company):
    with app.test_request_context():
        for n in range(2):
            mailer.queue(
                to=f"n{n}@example.com",
                kind="no_account",
                subject="Sign-in",
                template="no_account",
                company=company,
                email=f"n{n}@example.com",
                link="https://portal.example.test/",
            )


def test_a_rolled_back_transaction_enqueues_nothing(app, db, company, queue):
    db.session.commit()  # the company stays when the emails are rolled back
    _queue_two(app, company)
    db.session.rollback()
    assert _pending_names() == []
    _queue_two(app, company)
    db.session.commit()
    assert _pending_names() == [outbox_delivery.deliver_soon.name]


class _Unreachable(MemoryStorage):
    def enqueue(self, data, priority=None):
        raise redis.exceptions.ConnectionError("Connection refused")


def test_the_request_succeeds_when_the_queue_is_down_and_the_sweep_catches_up(
    client, company, db, queue, caplog
):
    customer = factories.create_customer(company)
    factories.create_contact(customer, email="down@example.com")
    working = queue.storage
    queue.storage = _Unreachable("fieldportal")
    try:
        with caplog.at_level(logging.WARNING, logger="fieldportal.task_queue"):
            response = client.post(
                f"/portal/{company.slug}/sign-in/link", data={"email": "down@example.com"}
            )
    finally:
        queue.storage = working
    assert response.status_code in (200, 303)
    assert "could not enqueue a task" in caplog.text
    from fieldportal.models import OutboxEmail

    [email] = db.session.query(OutboxEmail).filter_by(to_address="down@example.com").all()
    assert email.status.value == "queued"  # the minute's sweep will send it


def _claims_storage(kind: str, tmp_path):
    if kind == "memory":
        return MemoryStorage("fieldportal")
    if kind == "sqlite":
        return SqliteStorage("fieldportal", filename=str(tmp_path / "claims.db"))
    # A name of this run's own: the test Redis is shared by every run.
    return RedisStorage(f"fieldportal-test-claims-{uuid.uuid4().hex}", url=redis_url_or_skip())


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_each_period_is_claimed_once_on_every_storage(kind, tmp_path, queue):
    storage = _claims_storage(kind, tmp_path)
    working = queue.storage
    queue.storage = storage
    period = timedelta(minutes=15)
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    try:
        assert task_queue.claim_period("job", start, period)
        assert not task_queue.claim_period("job", start, period)
        assert task_queue.claim_period("other", start, period)
        assert task_queue.claim_period("job", start + period, period)
        # claiming a period forgets the one two periods before it, and only that one
        assert task_queue.claim_period("job", start + 3 * period, period)
        kept = [
            storage.peek_data(f"ran:job:{(start + n * period).isoformat()}") is not EmptyData
            for n in range(4)
        ]
        assert kept == [True, False, False, True]
    finally:
        queue.storage = working
        if kind == "redis":
            storage.flush_all()


def test_two_workers_claiming_the_same_period_at_once_get_it_once(tmp_path, queue):
    """Sixteen threads on one SQLite queue file, released together: one wins."""
    working = queue.storage
    queue.storage = SqliteStorage("fieldportal", filename=str(tmp_path / "race.db"))
    barrier = threading.Barrier(16)
    wins = []
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

    def claim():
        barrier.wait()
        wins.append(task_queue.claim_period("race", start, timedelta(minutes=1)))

    try:
        threads = [threading.Thread(target=claim) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        queue.storage = working
    assert sorted(wins) == [False] * 15 + [True]


def test_the_quote_expiry_runs_once_per_period(app, committed_db, queue, caplog):
    company = factories.create_company(slug="expiry")
    customer = factories.create_customer(company)
    yesterday = date.today() - timedelta(days=3)
    first = factories.create_quote(customer, status=QuoteStatus.SENT, valid_until=yesterday)
    committed_db.session.commit()
    with caplog.at_level(logging.INFO, logger="fieldportal.tasks"):
        quotes.expire_quotes.call_local()
        second = factories.create_quote(customer, status=QuoteStatus.SENT, valid_until=yesterday)
        committed_db.session.commit()
        quotes.expire_quotes.call_local()  # the same quarter of an hour: skipped
    committed_db.session.expire_all()
    assert committed_db.session.get(Quote, first.id).status == QuoteStatus.EXPIRED
    assert committed_db.session.get(Quote, second.id).status == QuoteStatus.SENT
    outcomes = [r.outcome for r in caplog.records if getattr(r, "task", "") == "expire_quotes"]
    assert outcomes == ["ran", "skipped"]
