"""``flask outbox work``: a clean shutdown on SIGTERM (the message being sent is finished,
the rest of the batch goes back to the queue, exit code 0) and signal handlers restored."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select

from fieldportal.models import OutboxEmail, OutboxStatus
from fieldportal.services.outbox_delivery import Worker, deliver_pending
from fieldportal.services.portal_auth import send_login_link
from tests import factories

from .conftest import Inbox, running_smtp

ROOT = Path(__file__).parents[2]


class SlowInbox(Inbox):
    """Takes ``delay`` seconds to accept each message, so a signal lands mid-send."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay
        self.receiving = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.receiving.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def _rows(db) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_sigterm_finishes_the_message_in_flight_and_hands_back_the_rest(
    app, committed_db, smtp_server
):
    customer = factories.create_customer(factories.create_company(slug="sigterm"))
    with app.test_request_context():
        for n in range(3):
            send_login_link(factories.create_contact(customer, email=f"p{n}@sigterm.example"))
    committed_db.session.commit()
    committed_db.session.remove()

    slow = SlowInbox(delay=1.5)
    with running_smtp(slow) as port:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi:app",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],  # it opens the secrets the app sealed
            "BASE_URL": app.config["BASE_URL"],
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_SECURITY": "none",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "outbox", "work", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert slow.receiving.wait(60), "the worker never started sending"
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    assert worker.returncode == 0, output
    assert "[outbox] worker stopped" in output
    [delivered] = slow.messages
    rows = _rows(committed_db)
    sent = [row for row in rows if row.status == OutboxStatus.SENT]
    assert [row.to_address for row in sent] == delivered.rcpt_tos
    waiting = [row for row in rows if row.status != OutboxStatus.SENT]
    assert len(waiting) == 2
    assert all(
        row.status == OutboxStatus.QUEUED and row.claimed_by is None and row.attempts == 0
        for row in waiting
    ), "handed back at once, not left claimed until the stale-claim timeout"

    # Nothing lost, nothing twice: the next run delivers exactly the other two.
    assert deliver_pending(worker="after").sent == 2
    received = delivered.rcpt_tos + [m.rcpt_tos[0] for m in smtp_server.messages]
    assert sorted(received) == [f"p{n}@sigterm.example" for n in range(3)]


def test_the_worker_restores_the_signal_handlers_it_replaced(app, db):
    def previous_handler(signum, frame):
        pass

    original = signal.signal(signal.SIGTERM, previous_handler)
    worker = Worker(interval=0.05, echo=lambda line: None)
    during = []

    def stop_soon():
        during.append(signal.getsignal(signal.SIGTERM))
        worker.stop()

    timer = threading.Timer(0.3, stop_soon)
    try:
        timer.start()
        worker.run(name="test")
        assert during == [worker.stop]
        assert signal.getsignal(signal.SIGTERM) is previous_handler
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, original)
