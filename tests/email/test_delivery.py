"""The outbox: written in the caller's transaction, delivered over real SMTP exactly once,
retried with backoff while the server is down, escaped, and never lost."""

import email
import threading
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import event, func, select

from fieldportal.extensions import db as _db
from fieldportal.models import OutboxEmail, OutboxStatus, utcnow
from fieldportal.services.mail import mailer
from fieldportal.services.mail.outbox_delivery import (
    MAX_ATTEMPTS,
    NO_SERVER,
    deliver_pending,
    retry_delay,
)
from fieldportal.services.portal.portal_auth import send_login_link

from .conftest import free_port


def _parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=policy.default)


def _queue_link(app, contact):
    with app.test_request_context():
        send_login_link(contact)


def test_queued_email_is_delivered_with_headers_bodies_and_base_url_links(
    app, db, create, company, smtp_server
):
    contact = create.contact(
        create.customer(company), name="Frank Delgado", email="frank@metro.example"
    )
    _queue_link(app, contact)
    report = deliver_pending(worker="test")
    assert report.sent == 1
    [envelope] = smtp_server.messages
    message = _parsed(envelope)
    assert message["To"] == "frank@metro.example"
    # The company's own name, at the installation's MAIL_FROM address.
    assert message["From"] == "Acme Mobile Mechanics <no-reply@acme.test>"
    assert message["Subject"] == "Your sign-in link for Acme Mobile Mechanics"
    assert message["Reply-To"] is None, "the company has no email: no Reply-To"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@acme.test>")
    sent_at = email.utils.parsedate_to_datetime(message["Date"])
    assert abs(sent_at - utcnow()) < timedelta(minutes=1)
    assert envelope.mail_from == "no-reply@acme.test", "bounces go to MAIL_FROM's address"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "https://portal.example.test/portal/acme/link/" in text
    assert 'href="https://portal.example.test/portal/acme/link/' in html
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1


def test_each_company_sends_under_its_own_name_and_replies_go_to_it(
    app, db, create, company, other_company, smtp_server
):
    company.email = "office@acme.example"
    other_company.email = "not an address"  # a header could not carry it
    for owner in (company, other_company):
        _queue_link(app, create.contact(create.customer(owner), email=f"x@{owner.slug}.example"))
    app.config["MAIL_BOUNCE_ADDRESS"] = "bounces@acme.test"
    try:
        assert deliver_pending(worker="test").sent == 2
    finally:
        app.config["MAIL_BOUNCE_ADDRESS"] = ""
    acme, rival = (_parsed(envelope) for envelope in smtp_server.messages)
    assert acme["From"] == "Acme Mobile Mechanics <no-reply@acme.test>"
    assert acme["Reply-To"] == "office@acme.example"
    assert rival["From"] == "Rival Fleet Care <no-reply@acme.test>"
    assert rival["Reply-To"] is None
    assert [envelope.mail_from for envelope in smtp_server.messages] == ["bounces@acme.test"] * 2
    assert acme["Message-ID"] != rival["Message-ID"]


def test_a_company_name_with_quotes_and_commas_stays_one_display_name(
    app, db, create, company, smtp_server
):
    company.name = 'Acme "Best", Mobile <Mechanics>\r\nBcc: x@evil.example'
    _queue_link(app, create.contact(create.customer(company), email="x@y.example"))
    assert deliver_pending(worker="test").sent == 1
    [envelope] = smtp_server.messages
    [sender] = _parsed(envelope)["From"].addresses
    assert sender.addr_spec == "no-reply@acme.test"
    assert sender.display_name == 'Acme "Best", Mobile <Mechanics> Bcc: x@evil.example'
    assert envelope.rcpt_tos == ["x@y.example"]


def test_server_down_keeps_the_email_waiting_then_delivers_once(
    app, db, create, company, smtp_server
):
    contact = create.contact(create.customer(company))
    _queue_link(app, contact)
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    report = deliver_pending(worker="test")
    assert report.retrying == 1 and smtp_server.messages == []
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)

    app.config["SMTP_PORT"] = smtp_server.port
    assert deliver_pending(worker="test").sent == 0, "not due yet: backoff"
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert deliver_pending(worker="test").sent == 1
    assert deliver_pending(worker="test").sent == 0
    assert len(smtp_server.messages) == 1


def test_after_max_attempts_the_email_fails_with_its_last_error(
    app, db, create, company, smtp_server
):
    _queue_link(app, create.contact(create.customer(company)))
    app.config["SMTP_PORT"] = free_port()
    for _ in range(MAX_ATTEMPTS):
        db.session.execute(
            _db.update(OutboxEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        deliver_pending(worker="test")
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.FAILED and row.attempts == MAX_ATTEMPTS and row.last_error


def test_backoff_grows_and_is_capped():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30) == timedelta(hours=1)


def test_rolled_back_transaction_sends_nothing(app, db, create, company, smtp_server):
    contact = create.contact(create.customer(company))
    change = db.session.begin_nested()
    _queue_link(app, contact)
    db.session.flush()
    change.rollback()
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    deliver_pending(worker="test")
    assert smtp_server.messages == []


def test_without_a_mail_server_emails_are_kept_as_not_sent_with_their_links(
    app, db, create, company
):
    assert not app.config["SMTP_HOST"]
    _queue_link(app, create.contact(create.customer(company), email="carla@home.example"))
    report = deliver_pending(worker="test")
    assert report.not_sent == 1
    assert any(
        "carla@home.example: https://portal.example.test/portal/acme/link/" in line
        for line in report.links
    )
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == OutboxStatus.NOT_SENT and row.last_error == NO_SERVER


def test_user_text_is_escaped_in_the_html_part(app, db, create, company, smtp_server):
    contact = create.contact(
        create.customer(company),
        name='<script>alert(1)</script> "><img onerror=x>',
        email="x@y.example",
    )
    _queue_link(app, contact)
    deliver_pending(worker="test")
    html = _parsed(smtp_server.messages[0]).get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img onerror" not in html


def test_absolute_url_ignores_the_host_header(app):
    with app.test_request_context("/", base_url="http://evil.example"):
        assert mailer.absolute_url("auth.login") == "https://portal.example.test/login"
    with app.app_context():
        assert mailer.absolute_url("auth.login") == "https://portal.example.test/login"


def _claims_meet_at(barrier: threading.Barrier, engine):
    """Hold each thread's first claim query, once it has run, until the other thread's has
    run too: two workers pick their batches at the same moment on every run, the race a
    missing claim lock loses (without it both pick, and send, the same messages)."""
    held = set()

    @event.listens_for(engine, "after_cursor_execute")
    def wait_for_the_other_worker(connection, cursor, statement, *args):
        picking = statement.startswith("SELECT outbox_emails.id") and "LIMIT" in statement
        if picking and threading.get_ident() not in held:
            held.add(threading.get_ident())
            barrier.wait()

    return lambda: event.remove(engine, "after_cursor_execute", wait_for_the_other_worker)


@pytest.mark.postgres_only
def test_two_workers_at_once_deliver_each_message_once(app, committed_db, smtp_server):
    from tests import factories

    company = factories.create_company()
    customer = factories.create_customer(company)
    contacts = [factories.create_contact(customer) for _ in range(30)]
    for contact in contacts:
        _queue_link(app, contact)
    addresses = sorted(contact.email for contact in contacts)
    committed_db.session.commit()
    committed_db.session.remove()
    barrier = threading.Barrier(2, timeout=20)
    sent_by = {}

    def work(name):
        with app.app_context():
            sent_by[name] = 0
            while sent := deliver_pending(worker=name).sent:
                sent_by[name] += sent
            _db.session.remove()

    stop_holding = _claims_meet_at(barrier, committed_db.engine)
    try:
        threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop_holding()
    assert not barrier.broken, "the two workers did not claim at the same moment"
    recipients = [envelope.rcpt_tos[0] for envelope in smtp_server.messages]
    assert sorted(recipients) == addresses
    assert sent_by == {"w0": 25, "w1": 5} or sent_by == {"w0": 5, "w1": 25}, (
        "one batch of 25 each, the second worker skipping the first one's locked rows"
    )
    assert (
        committed_db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.status == OutboxStatus.SENT)
        )
        == 30
    )


def test_an_unsendable_address_fails_at_once_and_the_rest_still_go(
    app, db, create, company, smtp_server
):
    good = create.contact(create.customer(company), email="good@metro.example")
    with app.test_request_context():
        mailer.queue(
            to="bad@metro.example\nBcc: everyone@x.example",
            kind="fleet_link",
            subject="Hello",
            template="fleet_link",
            company=company,
            fleet=good.customer,
            link="https://portal.example.test/portal/t/x",
        )
    _queue_link(app, good)
    report = deliver_pending(worker="test")
    assert (report.sent, report.failed) == (1, 1)
    assert [envelope.rcpt_tos for envelope in smtp_server.messages] == [["good@metro.example"]]
    bad = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address.like("bad@%")))
    assert bad.status == OutboxStatus.FAILED and bad.last_error.startswith("ValueError")
