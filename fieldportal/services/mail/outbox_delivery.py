"""Delivering the outbox over SMTP: claim, send, retry with backoff, give up loudly.

Each message is claimed before it is sent — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
an atomic ``UPDATE … WHERE status = 'queued'`` on SQLite — so two workers never send the
same one. A claim left behind by a crashed worker is released after STALE_CLAIM. Each
attempt is one log line (outcome, email id, company, duration), never an address or body.
"""

import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from huey import crontab
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from ... import task_queue
from ...extensions import db
from ...models import Company, Job, OutboxEmail, OutboxStatus, utcnow
from ...request_log import log_task
from ...transaction import unit_of_work
from ..work.calendar import job_event
from . import outbox_secrets, unsubscribe
from .outbox_secrets import SecretUnavailable

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
STALE_CLAIM = timedelta(minutes=10)
NO_SERVER = "not sent: no mail server configured"

log = logging.getLogger(__name__)


class SmtpTransport:
    """Sends one message through the configured SMTP server (a new connection per batch)."""

    def __init__(self, config):
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.username = config["SMTP_USERNAME"]
        self.password = config["SMTP_PASSWORD"]
        self.security = config["SMTP_SECURITY"]
        self.ca_file = config.get("SMTP_CA_FILE")
        self.bounce_address = bounce_address(config)
        self.connection = None

    def __enter__(self):
        # The relay's certificate is verified (system CAs, or SMTP_CA_FILE's), host name too.
        tls = ssl.create_default_context(cafile=self.ca_file)
        if self.security == "ssl":
            self.connection = smtplib.SMTP_SSL(self.host, self.port, timeout=20, context=tls)
        else:
            self.connection = smtplib.SMTP(self.host, self.port, timeout=20)
        try:
            if self.security == "starttls":
                # Raises SMTPNotSupportedError when the server does not offer STARTTLS:
                # nothing is sent in the clear.
                self.connection.starttls(context=tls)
            if self.username:
                self.connection.login(self.username, self.password)
        except BaseException:
            # __exit__ does not run when __enter__ raises: close the socket here.
            self.connection.close()
            raise
        return self

    def send(self, message: EmailMessage) -> None:
        self.connection.send_message(message, from_addr=self.bounce_address)

    def __exit__(self, *exc):
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            pass


def sender_address(config) -> str:
    """The address part of MAIL_FROM (no-reply@mail.example.com)."""
    return parseaddr(config["MAIL_FROM"])[1]


def bounce_address(config) -> str:
    """The envelope sender (Return-Path): where bounces go."""
    return config["MAIL_BOUNCE_ADDRESS"] or sender_address(config)


def _reply_to(address: str | None) -> Address | None:
    """The company's own address, when it is one a header can carry (a malformed one
    leaves the message without Reply-To rather than unsendable)."""
    if not address:
        return None
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return Address(addr_spec=valid.normalized)


def build_message(email: OutboxEmail, config) -> EmailMessage:
    """The message as the recipient gets it, secrets filled in; SecretUnavailable when
    they are gone.

    One installation sends for many companies, all from MAIL_FROM's address (the domain
    whose SPF, DKIM and DMARC the operator set up): the From name is the company's own,
    and replies go to the company's email. Date, a Message-ID on the sending domain and
    Auto-Submitted are what receiving filters expect of an automatic message."""
    text_body, html_body = outbox_secrets.reveal(email)
    sender = sender_address(config)
    # By id: each message is committed on its own, which expires what the batch loaded.
    company = db.session.get(Company, email.company_id) if email.company_id else None
    message = EmailMessage()
    if company is not None:
        message["From"] = Address(display_name=" ".join(company.name.split()), addr_spec=sender)
        reply_to = _reply_to(company.email)
        if reply_to is not None:
            message["Reply-To"] = reply_to
    else:
        message["From"] = config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(idstring=f"outbox{email.id}", domain=sender.split("@")[-1])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Fieldportal-Email"] = str(email.id)
    message.set_content(text_body)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    reminder = unsubscribe.UNSUBSCRIBABLE.get(email.kind)
    if reminder is not None and company is not None:
        # RFC 8058: mail apps show an Unsubscribe button that POSTs to this URL.
        link = unsubscribe.unsubscribe_url(company.id, email.to_address, reminder)
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    attach = ATTACHMENTS.get(email.kind)
    if attach is not None and company is not None:
        filename, (maintype, subtype), data = attach(email, company)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _visit_calendar(email: OutboxEmail, company: Company):
    """The job's .ics as it is when the email goes out (a reschedule since it was queued
    is a new reminder anyway)."""
    job = db.session.get(Job, email.related_id, options=[joinedload(Job.site)])
    return "visit.ics", ("text", "calendar"), job_event(company, job).encode()


# Files made when an email is sent, from the record it is about (kept out of the outbox).
ATTACHMENTS = {"appointment_reminder": _visit_calendar}


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def release_stale_claims() -> int:
    return db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.status == OutboxStatus.SENDING,
            OutboxEmail.claimed_at < utcnow() - STALE_CLAIM,
        )
        .values(status=OutboxStatus.QUEUED, claimed_at=None, claimed_by=None)
    ).rowcount


def claim_batch(worker: str, limit: int = 25) -> list[int]:
    """Claim up to ``limit`` due messages for this worker and commit the claim."""
    with unit_of_work():
        return _claim(worker, limit)


def _claim(worker: str, limit: int) -> list[int]:
    now = utcnow()
    due = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.QUEUED, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id.in_(ids))
                .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=worker)
            )
    else:
        ids = []
        for email_id in list(db.session.scalars(due)):
            won = db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == email_id, OutboxEmail.status == OutboxStatus.QUEUED)
                .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=worker)
            ).rowcount
            if won:
                ids.append(email_id)
    return ids


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    not_sent: int = 0
    links: list[str] = field(default_factory=list)


def _record_failure(
    email: OutboxEmail, error: Exception, report: DeliveryReport, *, permanent: bool = False
) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:1000]
    email.claimed_at = email.claimed_by = None
    if permanent or email.attempts >= MAX_ATTEMPTS:
        email.status = OutboxStatus.FAILED
        report.failed += 1
    else:
        email.status = OutboxStatus.QUEUED
        email.next_attempt_at = utcnow() + retry_delay(email.attempts)
        report.retrying += 1


def _release(email: OutboxEmail) -> None:
    email.status = OutboxStatus.QUEUED
    email.claimed_at = email.claimed_by = None


def deliver_pending(
    worker: str = "worker", transport_factory=None, stop: threading.Event | None = None
) -> DeliveryReport:
    """Deliver every due message once; each outcome is committed as it happens (one unit
    of work per message, so a crash loses at most the one being sent).

    When ``stop`` is set (the worker is shutting down), the message being sent is finished and the rest of the
    batch is handed back to the queue at once, for the next worker."""
    config = current_app.config
    report = DeliveryReport()
    with unit_of_work():
        release_stale_claims()
        report.failed += outbox_secrets.erase_expired()
    ids = claim_batch(worker)
    if not ids:
        return report
    emails = list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.id.in_(ids))
            .options(selectinload(OutboxEmail.company))
            .order_by(OutboxEmail.id)
        )
    )
    if not config["SMTP_HOST"] and transport_factory is None:
        # The console stands in for the mail server, but the message is not delivered: its
        # secrets stay sealed (until they expire) so Retry can still send it once a server
        # is configured. Production logs never carry the links.
        for email in emails:
            with _task_line(email), unit_of_work():
                _show_on_console(email, config, report)
        return report
    factory = transport_factory or (lambda: SmtpTransport(config))
    try:
        with factory() as transport:
            for email in emails:
                if stop is not None and stop.is_set():
                    with unit_of_work():
                        _release(email)
                    continue
                with _task_line(email), unit_of_work():
                    _send_one(email, transport, config, report)
    except (smtplib.SMTPException, OSError) as error:
        # The server could not be reached at all: every claimed message waits for a retry.
        for email in emails:
            if email.status == OutboxStatus.SENDING:
                with _task_line(email), unit_of_work():
                    _record_failure(email, error, report)
    return report


def _show_on_console(email: OutboxEmail, config, report: DeliveryReport) -> None:
    """No mail server: the message is marked not sent, its links listed for the console
    (never in production)."""
    try:
        text_body, _ = outbox_secrets.reveal(email)
    except SecretUnavailable as error:
        _record_failure(email, error, report, permanent=True)
        return
    email.status = OutboxStatus.NOT_SENT
    email.last_error = NO_SERVER
    email.claimed_at = email.claimed_by = None
    report.not_sent += 1
    if config["ENV_NAME"] != "production":
        report.links.extend(
            f"{email.to_address}: {link}" for link in re.findall(r"https?://\S+", text_body)
        )


def _send_one(email: OutboxEmail, transport, config, report: DeliveryReport) -> None:
    try:
        message = build_message(email, config)
    except (ValueError, SecretUnavailable) as error:
        # A header no server would take (a line break in the address) or a secret that is
        # gone: retrying cannot help, and letting it escape would stop the worker on every
        # run.
        _record_failure(email, error, report, permanent=True)
        return
    try:
        transport.send(message)
    except (smtplib.SMTPException, OSError) as error:
        _record_failure(email, error, report)
    else:
        email.status = OutboxStatus.SENT
        outbox_secrets.erase(email)
        email.sent_at = utcnow()
        email.attempts += 1
        email.last_error = None
        email.claimed_at = email.claimed_by = None
        report.sent += 1


@contextmanager
def _task_line(email: OutboxEmail):
    """One log line for one delivery attempt, once its outcome is decided (no address, no
    body: the id finds the email on the Outbox page)."""
    started = time.perf_counter()
    yield
    log_task(
        "outbox.send",
        started,
        email_id=email.id,
        company_id=email.company_id,
        kind=email.kind,
        outcome="retrying" if email.status == OutboxStatus.QUEUED else email.status.value,
        attempts=email.attempts,
        error=email.last_error,
    )


def retry(email: OutboxEmail) -> None:
    """Put a failed (or not sent) message back in the queue for the next delivery run;
    SecretUnavailable (nothing changed) when a secret it carries is gone."""
    outbox_secrets.ensure_available(email)
    _release(email)
    email.attempts = 0
    email.next_attempt_at = utcnow()


def _deliver_from_the_queue() -> None:
    """One delivery run inside a task-queue worker (hostname, process and thread name the
    claim); a graceful shutdown hands back what it has not started."""
    worker = f"{socket.gethostname()}-{os.getpid()}-{threading.current_thread().name}"
    report = deliver_pending(worker=worker, stop=task_queue.stopping())
    for line in report.links:
        # Development without SMTP_HOST: the links a developer needs, on the console.
        print(f"[outbox, not sent] {line}", flush=True)


@task_queue.app_task()
def deliver_soon() -> None:
    """Enqueued once a transaction that queued email commits (mailer.queue_email)."""
    _deliver_from_the_queue()


@task_queue.periodic(crontab(), period=timedelta(minutes=1))
def sweep_outbox() -> None:
    """Every minute: retries that have come due, claims a crashed worker left, and email
    whose wake-up was lost while the queue was down."""
    _deliver_from_the_queue()
