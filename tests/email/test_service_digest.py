"""The weekly service-due digest (services/fleet/service_digest.py): each fleet manager,
once a week from Monday 7:00 in the company's zone, the vehicles of their sites overdue or
due soon, overdue first, each with a link that opens a request for it; nothing when no
vehicle is due; not to contacts who cannot see vehicles or request work."""

from datetime import UTC, datetime, timedelta

import pytest

from fieldportal.models import PortalPermission, ReminderKind
from fieldportal.services import reminders
from fieldportal.services.fleet import service_digest
from fieldportal.services.mail import unsubscribe
from tests import factories
from tests.helpers import queued_emails, sign_in

MONDAY_9AM_NEW_YORK = datetime(2030, 3, 4, 14, 0, tzinfo=UTC)


def _digests() -> list:
    return queued_emails("service_due_digest")


@pytest.fixture
def fleet(company, db):
    company.time_zone = "America/New_York"
    company.due_soon_percent = 10
    return factories.create_fleet(company, vehicles=0, name="Metro Couriers", interval_miles=5000)


@pytest.fixture
def manager(fleet):
    return factories.create_contact(fleet, name="Frank Delgado", email="frank@metro.example")


@pytest.fixture
def vehicles(fleet):
    """Overdue (1,200 miles past), due soon (300 left), fine (4,000 left)."""
    return {
        label: factories.create_vehicle(
            fleet, plate=label, odometer=odometer, last_service_odometer=0
        )
        for label, odometer in (("FINE-1", 1000), ("SOON-1", 4700), ("LATE-1", 6200))
    }


def _send(app, now=MONDAY_9AM_NEW_YORK) -> int:
    with app.test_request_context():
        return reminders.send_due_reminders(now)


def test_a_manager_gets_the_due_vehicles_overdue_first_with_a_request_link_each(
    app, db, company, manager, vehicles
):
    assert _send(app) == 1
    [email] = _digests()
    assert email.to_address == "frank@metro.example"
    assert email.subject.startswith("2 vehicles due for service")
    text = email.text_body
    assert text.index("LATE-1") < text.index("SOON-1") and "FINE-1" not in text
    assert "1,200 miles past due" in text and "300 miles left" in text
    request_link = f"/portal/{company.slug}/requests/new?vehicle_id={vehicles['LATE-1'].id}"
    assert request_link in text and "/unsubscribe/" in text


def test_once_a_week_however_often_the_scan_runs(app, db, manager, vehicles):
    assert _send(app) == 1
    assert _send(app, MONDAY_9AM_NEW_YORK + timedelta(hours=5)) == 0
    assert _send(app, MONDAY_9AM_NEW_YORK + timedelta(days=6)) == 0  # Sunday
    assert _send(app, MONDAY_9AM_NEW_YORK + timedelta(days=7)) == 1  # next Monday
    assert len(_digests()) == 2


def test_the_week_starts_monday_7am_where_the_company_works(company, fleet):
    sunday_night = datetime(2030, 3, 4, 11, 0, tzinfo=UTC)  # Monday 6:00 in New York
    assert service_digest.week_start(company, sunday_night) == datetime(
        2030, 2, 25, 12, 0, tzinfo=UTC
    )
    assert service_digest.week_start(company, MONDAY_9AM_NEW_YORK) == datetime(
        2030, 3, 4, 12, 0, tzinfo=UTC
    )


def test_no_vehicle_due_no_email(app, db, fleet, manager):
    factories.create_vehicle(fleet, plate="FINE-1", odometer=1000, last_service_odometer=0)
    assert _send(app) == 0 and _digests() == []


def test_only_managers_who_see_vehicles_and_request_work(
    app, db, company, fleet, manager, vehicles
):
    factories.create_contact(
        fleet,
        email="billing@metro.example",
        is_admin=False,
        permissions=[PortalPermission.INVOICES.value, PortalPermission.VEHICLES.value],
    )
    gone = factories.create_contact(fleet, email="left@metro.example")
    gone.removed_at = MONDAY_9AM_NEW_YORK
    consumer = factories.create_customer(company, name="Ann Home")
    factories.create_contact(consumer, email="me@home.example")
    _send(app)
    assert [email.to_address for email in _digests()] == ["frank@metro.example"]


def test_a_manager_of_some_sites_sees_only_their_vehicles(app, db, fleet, manager, vehicles):
    north = factories.create_site(fleet, name="North depot")
    vehicles["LATE-1"].site_id = north.id
    site_manager = factories.create_contact(
        fleet, email="north@metro.example", all_sites=False, sites=[north]
    )
    db.session.flush()
    _send(app)
    [north_digest] = [e for e in _digests() if e.to_address == site_manager.email]
    assert "LATE-1" in north_digest.text_body and "SOON-1" not in north_digest.text_body


def test_switched_off_by_the_company_or_stopped_by_the_address(
    app, client, db, company, manager, vehicles
):
    with app.test_request_context():
        unsubscribe.opt_out(company.id, manager.email, ReminderKind.SERVICE_DUE_DIGEST)
    assert _send(app) == 0
    with app.test_request_context():
        unsubscribe.opt_in(company.id, manager.email, ReminderKind.SERVICE_DUE_DIGEST)
    sign_in(client, factories.create_staff(company, email="owner@acme.example"))
    off = {reminders.timing_field(kind): t.default for kind, t in reminders.TIMINGS.items()}
    assert client.post("/settings/reminders", data=off).status_code == 303
    assert not reminders.sends(company.id, ReminderKind.SERVICE_DUE_DIGEST)
    assert _send(app) == 0 and _digests() == []
