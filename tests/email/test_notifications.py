"""Notifications (services/notifications.py): the technician on the way, the job completed
and the service request received, each sent once when it happens, to whom the customer
chose, unless the company switched the kind off or the address stopped it."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from fieldportal.models import JobStatus, ReminderKind, SentReminder, StaffRole
from fieldportal.services import notifications, reminders
from fieldportal.services.mail import unsubscribe
from fieldportal.services.mail.outbox_delivery import deliver_pending
from fieldportal.services.work import jobs, requests
from fieldportal.services.work.requests import RequestInput
from tests import factories
from tests.helpers import queued_emails, sign_in, text_of


@pytest.fixture
def customer(company, db):
    company.time_zone = "America/New_York"
    return factories.create_customer(company, name="Harbour Couriers", email="ap@harbour.example")


@pytest.fixture
def contact(customer):
    return factories.create_contact(customer, name="Pat Lee", email="pat@harbour.example")


@pytest.fixture
def technician(company):
    return factories.create_staff(
        company, role=StaffRole.TECHNICIAN, name="Sam Ortiz", email="sam@acme.example"
    )


@pytest.fixture
def job(customer, technician):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    return factories.create_job(
        customer,
        status=JobStatus.ASSIGNED,
        title="Brake check",
        technician=technician,
        window_start=start,
        window_end=start + timedelta(hours=2),
    )


def _set_off(app, job, technician):
    with app.test_request_context():
        jobs.change_status(job, JobStatus.EN_ROUTE, by=technician)


def _complete(app, job, technician, company):
    with app.test_request_context():
        jobs.complete_job(
            job,
            odometer=None,
            services_performed="Replaced the front brake pads.",
            by=technician,
            company=company,
        )


def test_on_my_way_goes_once_to_the_contact_with_the_technician_and_window(
    app, db, job, contact, technician
):
    _set_off(app, job, technician)
    [email] = queued_emails("on_my_way")
    assert email.to_address == "pat@harbour.example"
    assert email.subject.startswith("Sam from ")
    assert "Sam" in email.text_body and "Brake check" in email.text_body
    assert "Arrival window" in email.text_body and "/unsubscribe/" in email.text_body
    # a retried request, a second worker: the event's key is taken, nothing more is sent
    with app.test_request_context():
        assert notifications.technician_on_the_way(job) is False
    assert len(queued_emails("on_my_way")) == 1
    row = db.session.scalar(select(SentReminder).where(SentReminder.kind == ReminderKind.ON_MY_WAY))
    assert row.subject_id == job.id and row.due_at == job.status_changed_at


def test_job_completed_sums_up_the_work_with_a_link_to_the_history(
    app, db, job, contact, technician, company
):
    _set_off(app, job, technician)
    _complete(app, job, technician, company)
    [email] = queued_emails("job_completed")
    assert email.to_address == "pat@harbour.example"
    assert f"Job #{job.number} completed" in email.subject
    assert "Replaced the front brake pads." in email.text_body
    assert f"/portal/{company.slug}/history" in email.text_body


def test_a_company_that_switched_a_kind_off_sends_none_of_it(
    app, client, db, job, contact, technician, company
):
    sign_in(client, factories.create_staff(company, email="owner@acme.example"))
    page = client.get("/settings/reminders")
    assert "Technician on the way" in text_of(page) and "Job completed" in text_of(page)
    assert 'name="on_my_way_timing"' not in page.get_data(as_text=True)
    everything_but_on_my_way = {
        f"{kind.value}_enabled": "y" for kind in reminders.LABELS if kind != ReminderKind.ON_MY_WAY
    } | {reminders.timing_field(kind): timing.default for kind, timing in reminders.TIMINGS.items()}
    saved = client.post("/settings/reminders", data=everything_but_on_my_way)
    assert saved.status_code == 303
    assert not reminders.choices(company.id)[ReminderKind.ON_MY_WAY].enabled

    _set_off(app, job, technician)
    _complete(app, job, technician, company)
    assert queued_emails("on_my_way") == [] and len(queued_emails("job_completed")) == 1


def test_an_address_that_stopped_a_kind_gets_none_of_it_and_the_rest(
    app, db, job, contact, technician, company
):
    with app.test_request_context():
        unsubscribe.opt_out(company.id, contact.email, ReminderKind.JOB_COMPLETED)
    _set_off(app, job, technician)
    _complete(app, job, technician, company)
    assert queued_emails("job_completed") == [] and len(queued_emails("on_my_way")) == 1


def test_no_one_to_tell_sends_nothing_and_completes_the_job(
    app, db, customer, job, technician, company
):
    customer.email = None  # no contact either
    _set_off(app, job, technician)
    _complete(app, job, technician, company)
    assert job.status == JobStatus.COMPLETED
    assert queued_emails("on_my_way") == [] and queued_emails("job_completed") == []


def test_a_notification_carries_its_one_click_unsubscribe(
    app, db, job, contact, technician, smtp_server
):
    _set_off(app, job, technician)
    db.session.flush()
    deliver_pending(worker="test")
    [message] = [message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages]
    assert message["Subject"].startswith("Sam from ")
    assert "/unsubscribe/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_request_received_follows_the_company_and_the_address(app, db, customer, contact, company):
    with app.test_request_context():
        requests.submit_request(contact, company, RequestInput(description="Squeaky brakes."))
    assert len(queued_emails("request_received")) == 1

    with app.test_request_context():
        unsubscribe.opt_out(company.id, contact.email, ReminderKind.REQUEST_RECEIVED)
        kept = requests.submit_request(contact, company, RequestInput(description="A flat tyre."))
    assert kept.id is not None and len(queued_emails("request_received")) == 1

    with app.test_request_context():
        unsubscribe.opt_in(company.id, contact.email, ReminderKind.REQUEST_RECEIVED)
        reminders.save_choices(
            company,
            {kind: (kind != ReminderKind.REQUEST_RECEIVED, "") for kind in reminders.LABELS}
            | {kind: (True, reminders.TIMINGS[kind].default) for kind in reminders.TIMINGS},
            by=factories.create_staff(company, email="owner@acme.example"),
        )
        requests.submit_request(contact, company, RequestInput(description="Wipers."))
    assert len(queued_emails("request_received")) == 1
