"""Reminders (services/reminders.py): what is due and when, to whom, each sent once however
often or concurrently the scan runs, the catch-up after a worker was down, the settings
page, and the appointment's .ics attached when the email goes out."""

import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    Company,
    EmailOptOut,
    InvoiceStatus,
    JobStatus,
    QuoteStatus,
    ReminderKind,
    ReminderSetting,
    SentReminder,
    StaffRole,
)
from fieldportal.services import reminders
from fieldportal.services.clock import company_today
from fieldportal.services.mail.outbox_delivery import deliver_pending
from tests import factories
from tests.helpers import queued_emails, sign_in, text_of

NOW = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York


@pytest.fixture
def customer(company, db):
    company.time_zone = "America/New_York"
    company.phone = "+1 212 555 0100"
    customer = factories.create_customer(
        company, name="Harbour Couriers", email="ap@harbour.example"
    )
    return customer


def _company(db, customer) -> Company:
    return db.session.get(Company, customer.company_id)


def _job(customer, hours_ahead: float, **fields):
    start = NOW + timedelta(hours=hours_ahead)
    return factories.create_job(
        customer, window_start=start, window_end=start + timedelta(hours=2), **fields
    )


def test_an_appointment_is_reminded_once_within_its_lead_time(app, db, customer):
    contact = factories.create_contact(customer, name="Pat Lee", email="pat@harbour.example")
    inside = _job(customer, 20, title="Brake check")
    _job(customer, 30, title="Too far ahead")
    _job(customer, -1, title="Already started")
    _job(customer, 10, title="Cancelled", status=JobStatus.CANCELLED)
    _job(customer, 10, title="Done", status=JobStatus.COMPLETED)
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1
        assert reminders.send_due_reminders(NOW + timedelta(minutes=5)) == 0
    [email] = queued_emails("appointment_reminder")
    assert email.to_address == contact.email and email.related_id == inside.id
    assert "Brake check" in email.text_body and "Hello Pat" in email.text_body
    # the whole window in the company's time (New York, 5 hours behind UTC in March)
    shown = " ".join(email.text_body.split())  # Babel puts a narrow space before AM
    assert "Arrival window: Tue 5 Mar 2030, 6:00 AM – 8:00 AM" in shown
    [sent] = db.session.scalars(select(SentReminder)).all()
    assert (sent.kind, sent.subject_id, sent.due_at) == (
        ReminderKind.APPOINTMENT,
        inside.id,
        inside.window_start,
    )


def test_a_rescheduled_visit_is_a_new_appointment(app, db, customer):
    factories.create_contact(customer, email="pat@harbour.example")
    job = _job(customer, 20)
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1
        job.window_start += timedelta(hours=2)
        job.window_end += timedelta(hours=2)
        db.session.flush()
        assert reminders.send_due_reminders(NOW) == 1
    assert len(queued_emails("appointment_reminder")) == 2


def test_the_appointment_goes_to_a_contact_who_sees_the_jobs_site(app, db, customer):
    north = factories.create_site(customer, name="North depot")
    south = factories.create_site(customer, name="South depot")
    factories.create_contact(
        customer, email="south@harbour.example", all_sites=False, sites=[south]
    )
    factories.create_contact(
        customer, email="north@harbour.example", all_sites=False, sites=[north]
    )
    _job(customer, 20, site_id=north.id)
    _job(customer, 21, site_id=None)  # no site: whole-customer contacts only, else the customer
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 2
    assert sorted(e.to_address for e in queued_emails("appointment_reminder")) == [
        "ap@harbour.example",
        "north@harbour.example",
    ]


def test_overdue_invoices_are_reminded_at_each_step_and_only_while_unpaid(app, db, customer):
    factories.create_contact(customer, email="pay@harbour.example")
    today = company_today(_company(db, customer), NOW)
    overdue = factories.create_invoice(customer, due_on=today - timedelta(days=4))
    newer = factories.create_invoice(customer, due_on=today - timedelta(days=2))  # not yet
    paid = factories.create_invoice(
        customer, due_on=today - timedelta(days=4), status=InvoiceStatus.PAID
    )
    factories.create_invoice(customer, due_on=today - timedelta(days=4), status=InvoiceStatus.VOID)
    part_paid = factories.create_invoice(customer, due_on=today - timedelta(days=4))
    part_paid.amount_paid_cents = part_paid.total_cents  # settled in full by payments
    db.session.flush()
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1
        assert reminders.send_due_reminders(NOW) == 0
        # three days later: the 7-day step of the first, the 3-day step of the newer one
        assert reminders.send_due_reminders(NOW + timedelta(days=3)) == 2
        # paying stops the rest at once
        overdue.status = newer.status = InvoiceStatus.PAID
        db.session.flush()
        assert reminders.send_due_reminders(NOW + timedelta(days=10)) == 0
    emails = queued_emails("invoice_overdue_reminder")
    assert sorted(e.related_id for e in emails) == sorted([overdue.id, overdue.id, newer.id])
    assert paid.id not in {e.related_id for e in emails}
    assert "is still unpaid" in emails[0].text_body


def test_a_worker_back_after_days_sends_the_latest_step_once_and_nothing_stale(app, db, customer):
    factories.create_contact(customer, email="pay@harbour.example")
    today = company_today(_company(db, customer), NOW)
    missed = factories.create_invoice(customer, due_on=today - timedelta(days=10))
    factories.create_invoice(customer, due_on=today - timedelta(days=60))  # long forgotten
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1
        assert reminders.send_due_reminders(NOW + timedelta(hours=1)) == 0
    [sent] = db.session.scalars(select(SentReminder)).all()
    # the 7-day step, not the 3-day one as well
    assert sent.subject_id == missed.id
    assert sent.due_at.date() == missed.due_on + timedelta(days=7)


def test_an_unanswered_quote_is_followed_up_once(app, db, customer):
    factories.create_contact(customer, email="buyer@harbour.example")
    today = company_today(_company(db, customer), NOW)

    def quote(days_ago: int, **fields):
        fields.setdefault("valid_until", today + timedelta(days=30))
        return factories.create_quote(customer, sent_at=NOW - timedelta(days=days_ago), **fields)

    waiting = quote(4, title="Tyres")
    quote(1)  # not yet
    quote(4, status=QuoteStatus.ACCEPTED)
    quote(4, valid_until=today - timedelta(days=1))  # expired
    quote(30)  # stale
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1
        assert reminders.send_due_reminders(NOW + timedelta(days=1)) == 0
    [email] = queued_emails("quote_follow_up_reminder")
    assert email.related_id == waiting.id and "Tyres" in email.text_body


def test_a_kind_switched_off_or_retimed_follows_the_setting(app, db, customer, company):
    factories.create_contact(customer, email="pat@harbour.example")
    _job(customer, 30)
    staff = factories.create_staff(company)
    reminders.save_choices(
        company,
        {
            ReminderKind.APPOINTMENT: (True, "48"),
            ReminderKind.INVOICE_OVERDUE: (False, "3, 7, 14"),
            ReminderKind.QUOTE_FOLLOW_UP: (True, "3"),
        },
        by=staff,
    )
    factories.create_invoice(customer, due_on=company_today(company, NOW) - timedelta(days=4))
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1  # the visit 30 h ahead, no invoice
    assert len(queued_emails("appointment_reminder")) == 1
    assert queued_emails("invoice_overdue_reminder") == []


def test_a_suspended_company_sends_no_reminders(app, db, customer, company):
    factories.create_contact(customer, email="pat@harbour.example")
    _job(customer, 20)
    company.suspended_at = NOW
    db.session.flush()
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 0


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (ReminderKind.APPOINTMENT, "soon", "Write whole numbers"),
        (ReminderKind.APPOINTMENT, "24, 2", "One number"),
        (ReminderKind.APPOINTMENT, "500", "Between 1 and 168"),
        (ReminderKind.INVOICE_OVERDUE, "0, 7", "Between 1 and 365"),
        (ReminderKind.INVOICE_OVERDUE, "1,2,3,4,5,6", "At most five"),
        (ReminderKind.QUOTE_FOLLOW_UP, "", "Write whole numbers"),
    ],
)
def test_timings_are_checked(kind, text, message):
    with pytest.raises(reminders.Invalid) as refused:
        reminders.parse_timing(kind, text)
    assert message in refused.value.errors["timing"][0]


def test_timings_are_read_the_way_people_write_them():
    assert reminders.parse_timing(ReminderKind.INVOICE_OVERDUE, " 14; 3 ,7,7") == (3, 7, 14)


def test_the_settings_page_shows_saves_and_refuses_with_field_messages(client, db, company):
    owner = factories.create_staff(company, email="owner@acme.example")
    sign_in(client, owner)
    page = client.get("/settings/reminders")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'value="3, 7, 14"' in body and "Hours before the arrival window" in body

    refused = client.post(
        "/settings/reminders",
        data={
            "appointment_enabled": "y",
            "appointment_timing": "tomorrow",
            "invoice_overdue_enabled": "y",
            "invoice_overdue_timing": "3, 7",
            "quote_follow_up_timing": "900",
        },
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Write whole numbers of hours before the window" in text
    assert "Between 1 and 60 days after sending" in text
    assert db.session.scalar(select(func.count()).select_from(ReminderSetting)) == 0

    saved = client.post(
        "/settings/reminders",
        data={
            "appointment_enabled": "y",
            "appointment_timing": "12",
            "invoice_overdue_timing": "5, 10",
            "quote_follow_up_enabled": "y",
            "quote_follow_up_timing": "4",
        },
    )
    assert saved.status_code == 303
    chosen = reminders.choices(company.id)
    assert chosen[ReminderKind.APPOINTMENT].steps == (12,)
    assert not chosen[ReminderKind.INVOICE_OVERDUE].enabled
    assert chosen[ReminderKind.INVOICE_OVERDUE].steps == (5, 10)
    assert (
        db.session.scalar(select(func.count()).where(AuditEvent.action == "reminders.updated")) == 1
    )


def test_staff_who_cannot_manage_settings_do_not_see_the_page(client, company):
    technician = factories.create_staff(company, role=StaffRole.TECHNICIAN, email="t@acme.example")
    sign_in(client, technician)
    assert client.get("/settings/reminders").status_code == 404
    assert client.post("/settings/reminders", data={}).status_code == 404


def test_the_appointment_email_carries_the_visit_as_an_ics(app, db, customer, smtp_server):
    factories.create_contact(customer, email="pat@harbour.example")
    job = _job(customer, 20, title="Brake check")
    with app.test_request_context():
        reminders.send_due_reminders(NOW)
    db.session.flush()
    assert deliver_pending(worker="test").sent == 1
    [delivered] = smtp_server.messages
    message = message_from_bytes(delivered.content, policy=policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "visit.ics"
    assert attachment.get_content_type() == "text/calendar"
    calendar = attachment.get_content()
    if isinstance(calendar, bytes):
        calendar = calendar.decode()
    assert f"UID:job-{job.id}@" in calendar
    assert "DTSTART:" + job.window_start.strftime("%Y%m%dT%H%M%SZ") in calendar


def test_two_schedulers_at_once_send_each_reminder_once(app, committed_db):
    """Two scans in two threads, released together, over the same due reminders."""
    company = factories.create_company(slug="race", time_zone="America/New_York")
    customer = factories.create_customer(company, email="ap@race.example")
    for hours in (2, 5, 9):
        _job(customer, hours)
    committed_db.session.commit()
    committed_db.session.remove()
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def scan():
        from fieldportal.transaction import unit_of_work

        try:
            with app.app_context(), app.test_request_context():
                barrier.wait()
                with unit_of_work():
                    counts.append(reminders.send_due_reminders(NOW))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # SQLite lets one writer in at a time: the other may be refused as "locked" and sends
    # nothing; on PostgreSQL the unique key turns the loser's inserts away.
    assert sum(counts) == 3, (counts, errors)
    assert committed_db.session.scalar(select(func.count()).select_from(SentReminder)) == 3
    emails = queued_emails("appointment_reminder")
    assert len(emails) == 3 and len({e.related_id for e in emails}) == 3


def _delivered(db, smtp_server):
    db.session.flush()
    deliver_pending(worker="test")
    return [message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages]


def test_a_reminder_can_be_stopped_in_one_click_and_only_that_kind_stops(
    app, client, db, customer, smtp_server
):
    factories.create_contact(customer, email="pat@harbour.example")
    _job(customer, 20)
    with app.test_request_context():
        reminders.send_due_reminders(NOW)
    [message] = _delivered(db, smtp_server)
    link = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("https://portal.example.test/unsubscribe/")
    assert link in message.get_body(("plain",)).get_content()
    path = link.removeprefix("https://portal.example.test")

    page = client.get(path)
    assert page.status_code == 200 and "Stop appointment reminder emails" in text_of(page)
    # what a mail app sends (RFC 8058): a POST with no cookie and no CSRF token
    clicked = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert clicked.status_code == 200
    assert "pat@harbour.example will get no more appointment reminder emails" in text_of(clicked)
    assert app.test_client().post(path, csrf=False).status_code == 200  # twice: no error
    assert db.session.scalar(select(func.count()).select_from(EmailOptOut)) == 1

    _job(customer, 22)
    factories.create_invoice(
        customer, due_on=company_today(_company(db, customer), NOW) - timedelta(days=4)
    )
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1  # the invoice, not the second visit
    assert [e.kind for e in queued_emails("appointment_reminder")] == ["appointment_reminder"]


def test_a_forged_or_altered_unsubscribe_link_is_not_found(client, customer):
    assert client.get("/unsubscribe/not-a-token").status_code == 404
    assert (
        client.post(
            "/unsubscribe/WzEsImFAYi5jIiwiYXBwb2ludG1lbnQiXQ.forged", csrf=False
        ).status_code
        == 404
    )


def test_sign_in_links_cannot_be_unsubscribed_from(app, db, customer, smtp_server):
    contact = factories.create_contact(customer, email="pat@harbour.example")
    from fieldportal.services.portal.portal_auth import send_login_link

    with app.test_request_context():
        send_login_link(contact)
    [message] = _delivered(db, smtp_server)
    assert message["List-Unsubscribe"] is None
    assert "unsubscribe" not in message.get_body(("plain",)).get_content().lower()


def test_a_contact_chooses_reminder_emails_in_the_account_tab(app, client, db, customer, company):
    contact = factories.create_contact(customer, email="pat@harbour.example")
    sign_in(client, contact)
    page = client.get(f"/portal/{company.slug}/account")
    assert page.status_code == 200
    assert text_of(page).count("Reminders of") == 3
    assert "A summary when a job is completed" in text_of(page)
    assert page.get_data(as_text=True).count("checked") == len(ReminderKind)
    saved = client.post(
        f"/portal/{company.slug}/account/reminders",
        data={"appointment": "y", "quote_follow_up": "y", "job_completed": "y"},
    )
    assert saved.status_code == 303
    from fieldportal.services.mail import unsubscribe

    wanted = unsubscribe.wanted_kinds(company.id, "PAT@harbour.example")
    assert wanted == {
        ReminderKind.APPOINTMENT: True,
        ReminderKind.INVOICE_OVERDUE: False,
        ReminderKind.QUOTE_FOLLOW_UP: True,
        ReminderKind.REQUEST_RECEIVED: False,
        ReminderKind.ON_MY_WAY: False,
        ReminderKind.JOB_COMPLETED: True,
        ReminderKind.SERVICE_DUE_DIGEST: False,
    }
    factories.create_invoice(customer, due_on=company_today(company, NOW) - timedelta(days=4))
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 0
    # and back on
    client.post(
        f"/portal/{company.slug}/account/reminders",
        data={"appointment": "y", "invoice_overdue": "y", "quote_follow_up": "y"},
    )
    with app.test_request_context():
        assert reminders.send_due_reminders(NOW) == 1


def test_staff_set_a_contacts_reminder_emails_on_the_access_page(client, db, customer, company):
    contact = factories.create_contact(customer, email="pat@harbour.example")
    other = factories.create_customer(factories.create_company(slug="elsewhere"))
    stranger = factories.create_contact(other, email="x@elsewhere.example")
    sign_in(client, factories.create_staff(company, email="owner@acme.example"))
    page = f"/customers/{customer.id}/contacts/{contact.id}/access"
    shown = client.get(page)
    assert shown.status_code == 200 and "Reminders of overdue invoices" in text_of(shown)
    saved = client.post(f"{page}/reminders", data={"invoice_overdue": "y"})
    assert saved.status_code == 303
    from fieldportal.services.mail import unsubscribe

    assert unsubscribe.wanted_kinds(company.id, contact.email) == {
        ReminderKind.APPOINTMENT: False,
        ReminderKind.INVOICE_OVERDUE: True,
        ReminderKind.QUOTE_FOLLOW_UP: False,
        ReminderKind.REQUEST_RECEIVED: False,
        ReminderKind.ON_MY_WAY: False,
        ReminderKind.JOB_COMPLETED: False,
        ReminderKind.SERVICE_DUE_DIGEST: False,
    }
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contact.reminders_updated")
    ).all()
    assert event.object_id == contact.id
    refused = client.post(f"/customers/{other.id}/contacts/{stranger.id}/access/reminders", data={})
    assert refused.status_code == 404  # another company's contact
