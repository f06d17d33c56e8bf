"""``flask tasks work`` delivering the outbox: what was queued while no worker ran goes out
when one starts, a clean shutdown on SIGTERM (the message being sent is finished, the rest
of the batch goes back to the queue, exit code 0), and one JSON log line per email it
attempts, with no secret in its output; several workers on one Redis queue; a worker
SIGKILLed while a reminder is on the wire, and the next one writing no second reminder."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from huey.storage import RedisStorage
from sqlalchemy import select

from fieldportal.models import (
    JobStatus,
    OutboxEmail,
    OutboxStatus,
    ReminderKind,
    SentReminder,
    utcnow,
)
from fieldportal.services.mail.outbox_delivery import deliver_pending
from fieldportal.services.portal.portal_auth import send_login_link
from tests import factories
from tests.redis_server import redis_url_or_skip

from .conftest import Inbox, running_smtp

ROOT = Path(__file__).parents[2]
# One thread: the messages of a batch go out one after the other, as the tests expect.
WORKER = [sys.executable, "-m", "flask", "tasks", "work", "--workers", "1"]


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
    app, committed_db, smtp_server, tmp_path
):
    customer = factories.create_customer(factories.create_company(slug="sigterm"))
    with app.test_request_context():
        for n in range(3):
            send_login_link(factories.create_contact(customer, email=f"p{n}@sigterm.example"))
    committed_db.session.commit()
    committed_db.session.remove()

    slow = SlowInbox(delay=1.5)
    with running_smtp(slow) as port:
        env = _worker_env(app, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
        worker = subprocess.Popen(
            WORKER,
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
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines[-1]["message"] == "task worker stopped"
    [delivered] = slow.messages
    # one task line: the message finished; the two handed back were not attempted
    [task] = [line for line in lines if line.get("task") == "outbox.send"]
    assert task["outcome"] == "sent"
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


def _worker_env(app, tmp_path, **extra) -> dict:
    return {
        **os.environ,
        "FLASK_APP": "wsgi:app",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'tasks.db'}",
        "SECRET_KEY": app.config["SECRET_KEY"],  # it opens the secrets the app sealed
        "SMTP_SECURITY": "none",
        "BASE_URL": app.config["BASE_URL"],
        "LOG_LEVEL": "INFO",
        **extra,
    }


def test_the_worker_writes_one_json_line_per_email_and_no_secret(app, committed_db, tmp_path):
    company = factories.create_company(slug="tasklines")
    customer = factories.create_customer(company)
    with app.test_request_context():
        send_login_link(factories.create_contact(customer, email="ok@tasklines.example"))
        # a line break in the address: no server would take it, so it fails at once
        send_login_link(factories.create_contact(customer, email="bad@tasklines.example"))
    committed_db.session.flush()
    bad = committed_db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.to_address == "bad@tasklines.example")
    ).one()
    bad.to_address = "bad@tasklines.example\nBcc: x@example.com"
    committed_db.session.commit()
    emails = {row.to_address[:2]: row.id for row in _rows(committed_db)}
    company_id = company.id
    committed_db.session.remove()

    inbox = Inbox()
    with running_smtp(inbox) as port:
        worker = subprocess.Popen(
            WORKER,
            cwd=ROOT,
            env=_worker_env(app, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.time() + 60
            while not inbox.messages and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # the failed one is in the same batch
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    assert worker.returncode == 0 and err == "", err
    lines = [json.loads(line) for line in out.splitlines()]  # every line is one object
    tasks = [line for line in lines if line.get("task") == "outbox.send"]
    assert [(t["email_id"], t["outcome"]) for t in tasks] == sorted(
        [(emails["ok"], "sent"), (emails["ba"], "failed")]
    )
    assert all(t["company_id"] == company_id and t["kind"] == "magic_link" for t in tasks)
    assert all(t["level"] == "INFO" and isinstance(t["duration_ms"], float) for t in tasks)
    assert len({t["request_id"] for t in tasks}) == 2
    assert [line["message"] for line in lines if "task" not in line] == [
        "task worker started",
        "task worker stopped",
    ]
    [delivered] = inbox.messages
    text = message_from_bytes(delivered.content, policy=policy.default).get_body(("plain",))
    token = re.search(r"/link/([A-Za-z0-9_-]{40,})", text.get_content())[1]
    assert token not in out and "ok@tasklines.example" not in out


def test_in_production_without_a_mail_server_no_link_reaches_the_output(
    app, committed_db, tmp_path
):
    customer = factories.create_customer(factories.create_company(slug="prodconsole"))
    with app.test_request_context():
        send_login_link(factories.create_contact(customer, email="c@prodconsole.example"))
    committed_db.session.commit()
    committed_db.session.remove()

    result = subprocess.run(
        [sys.executable, "-m", "flask", "outbox", "deliver"],
        cwd=ROOT,
        env=_worker_env(
            app,
            tmp_path,
            FIELDPORTAL_ENV="production",
            MAIL_FROM="no-reply@mail.prodconsole.example",
            SMTP_HOST="",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "not sent 1" in result.stdout
    assert "http" not in result.stdout + result.stderr
    [task] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert task["outcome"] == "not_sent"


def test_workers_on_several_machines_share_a_redis_queue_and_run_each_period_once(
    app, committed_db, tmp_path
):
    """Two workers (as on two machines) on one Redis queue: each starts by catching up,
    yet every periodic task runs once per period between them, and the email queued while
    neither ran is delivered once."""
    queue_url = redis_url_or_skip()
    storage = RedisStorage("fieldportal", url=queue_url)
    storage.flush_all()  # the queue and the claims of earlier runs
    customer = factories.create_customer(factories.create_company(slug="twomachines"))
    with app.test_request_context():
        send_login_link(factories.create_contact(customer, email="once@twomachines.example"))
    committed_db.session.commit()
    committed_db.session.remove()

    inbox = Inbox()
    with running_smtp(inbox) as port:
        env = _worker_env(
            app, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), TASK_QUEUE_URL=queue_url
        )
        workers = [
            subprocess.Popen(
                WORKER, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = []
        try:
            deadline = time.time() + 60
            while not inbox.messages and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(2)  # both have started and caught up by now
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            outputs = [worker.communicate(timeout=30) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.communicate()

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    lines = [json.loads(line) for out, _ in outputs for line in out.splitlines()]
    assert [line["message"] for line in lines].count("task worker started") == 2
    runs = [line for line in lines if line.get("task") in ("sweep_outbox", "expire_quotes")]
    ran = [(line["task"], line["period"]) for line in runs if line["outcome"] == "ran"]
    assert sorted(set(ran)) == sorted(ran), f"a period ran twice: {ran}"
    assert {task for task, _ in ran} == {"sweep_outbox", "expire_quotes"}
    assert any(line["outcome"] == "skipped" for line in runs), "the second worker did not skip"
    assert [m.rcpt_tos for m in inbox.messages] == [["once@twomachines.example"]]
    [row] = _rows(committed_db)
    assert row.status == OutboxStatus.SENT and row.attempts == 1


def test_a_worker_killed_mid_send_leaves_one_reminder_the_next_worker_does_not_repeat(
    app, committed_db, tmp_path
):
    """SIGKILL while the appointment reminder is being handed to the SMTP server: its key
    and its email were committed together before, so the next worker's scan (which runs
    at once on start) writes no second one, and the email is still in the outbox."""
    queue_url = redis_url_or_skip()
    storage = RedisStorage("fieldportal", url=queue_url)
    storage.flush_all()
    customer = factories.create_customer(factories.create_company(slug="killed"))
    factories.create_contact(customer, email="visit@killed.example")
    start = utcnow() + timedelta(hours=3)
    factories.create_job(
        customer, JobStatus.SCHEDULED, window_start=start, window_end=start + timedelta(hours=2)
    )
    committed_db.session.commit()
    committed_db.session.remove()

    inbox = SlowInbox(delay=5)
    with running_smtp(inbox) as port:
        env = _worker_env(
            app, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), TASK_QUEUE_URL=queue_url
        )
        first = subprocess.Popen(WORKER, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        try:
            assert inbox.receiving.wait(90), "the reminder never reached the SMTP server"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        storage.flush_all()  # the killed worker's period claims: the next one scans again
        log = tmp_path / "second-worker.log"
        with log.open("w") as out:
            second = subprocess.Popen(WORKER, cwd=ROOT, env=env, stdout=out)
            try:
                deadline = time.time() + 90
                while '"remind_customers"' not in log.read_text() and time.time() < deadline:
                    time.sleep(0.5)
                second.send_signal(signal.SIGTERM)
                second.wait(timeout=60)
            finally:
                if second.poll() is None:
                    second.kill()
                    second.wait()
        output = log.read_text()

    assert first.returncode == -signal.SIGKILL
    lines = [json.loads(line) for line in output.splitlines()]
    assert any(
        line.get("task") == "remind_customers" and line["outcome"] == "ran" for line in lines
    )
    committed_db.session.expire_all()
    keys = committed_db.session.scalars(select(SentReminder)).all()
    assert [(key.kind, key.to_address) for key in keys] == [
        (ReminderKind.APPOINTMENT, "visit@killed.example")
    ]
    assert [row.kind for row in _rows(committed_db)] == ["appointment_reminder"]
