"""One email of every kind the app sends, each queued through the route or service that
sends it in real life, for a realistic company (name, logo, phone, email, locale)."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from fieldportal.models import JobStatus, LineItem, OutboxEmail, QuoteStatus
from fieldportal.services import reminders
from fieldportal.services.portal import portal_auth
from fieldportal.services.work import jobs, requests
from fieldportal.services.work.requests import RequestInput

TEMPLATES = Path(__file__).parents[2] / "fieldportal" / "templates" / "emails"
PIN = "73914682"


def template_names() -> set[str]:
    """Every kind of email: one template pair each (names starting with _ are frames)."""
    return {p.stem for p in TEMPLATES.glob("*.html") if not p.name.startswith("_")}


def realistic(company):
    """What a real company has filled in on its settings page."""
    company.email = "office@acme-mechanics.example"
    company.phone = "+1 312 555 0100"
    company.address = "1200 W Lake St, Chicago, IL 60607"
    company.logo_filename = "logo-abc123.png"
    company.brand_color = "#0f766e"
    return company


def _access(contact, action: str) -> str:
    return f"/customers/{contact.customer_id}/contacts/{contact.id}/access{action}"


def _ok(response) -> None:
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]


def queue_every_kind(app, db, create, company, staff, staff_client) -> list[OutboxEmail]:
    """Every email queued, in order: at least one of each kind, both invoice variants (with
    a sign-in link for a newcomer to the portal, without for a regular)."""
    fleet = create.fleet(company, vehicles=1, name="Metro Couriers")
    contact = create.contact(
        fleet, name="Frank Delgado", email="frank@metro.example", phone="+1 312 555 0199"
    )
    household = create.customer(company, name="Grace Ito")
    newcomer = create.contact(household, name="Grace Ito", email="grace@home.example")
    newcomer.portal_access = False
    visitor = app.test_client()

    _ok(visitor.post(f"/portal/{company.slug}/sign-in/link", data={"email": contact.email}))
    _ok(visitor.post(f"/portal/{company.slug}/sign-in/link", data={"email": "ann@home.example"}))
    used = portal_auth.issue_login_link(contact)
    _ok(visitor.post(f"/portal/{company.slug}/link/{used}"))
    _ok(app.test_client().post(f"/portal/{company.slug}/link/{used}/fresh"))
    _ok(staff_client.post(_access(contact, "/activation")))
    _ok(
        staff_client.post(
            _access(contact, "/pin"),
            data={"pin": PIN, "send": "y", "message": "Your PIN for the workshop portal."},
        )
    )
    _ok(staff_client.post(f"/fleets/{fleet.id}/portal-link/email", data={"to": contact.email}))
    for customer in (fleet, household):
        invoice = create.invoice(customer, lines=(("Brake pads and labour", 18_150),))
        _ok(staff_client.post(f"/invoices/{invoice.id}/send"))
    quote = create.quote(fleet, title="Front brake replacement", status=QuoteStatus.DRAFT)
    _add_line(db, quote)
    _ok(staff_client.post(f"/quotes/{quote.id}/send"))

    with app.test_request_context():
        received = requests.submit_request(
            contact, company, RequestInput(description="The van pulls to the left when braking.")
        )
        to_decline = requests.submit_request(
            contact, company, RequestInput(description="Annual inspection of the tail lift.")
        )
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        requests.approve_request(received, by=staff, window=(start, start + timedelta(hours=2)))
        requests.decline_request(
            to_decline, by=staff, reason="We do not service tail lifts; try a lift specialist."
        )
    db.session.flush()

    signup = {
        "name": "Bright Sparks Ltd", "slug": "bright-sparks", "country": "US",
        "proposed_for": "US", "time_zone": "America/Chicago", "currency": "USD",
        "owner_name": "Bea Bright", "owner_email": "bea@bright-sparks.example",
        "password": "sparks fly upward",
    }  # fmt: skip
    _ok(visitor.post("/signup", data=signup))
    colleague = create.staff(company, name="Dan Reyes", email="dan@acme-mechanics.example")
    _ok(
        visitor.post(
            "/signup", data={**signup, "slug": "second-co", "owner_email": colleague.email}
        )
    )
    _ok(visitor.post("/password/forgot", data={"email": staff.email}))
    _ok(visitor.post("/password/forgot", data={"email": "nobody@acme-mechanics.example"}))
    invite = {"email": "ines@acme-mechanics.example", "role": "dispatcher"}
    _ok(staff_client.post("/settings/staff/invite", data=invite))

    # The reminders: a visit this evening, an invoice 4 days overdue, a quote unanswered,
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=6)
    create.job(fleet, status=JobStatus.SCHEDULED, title="Brake inspection", window_start=soon,
               window_end=soon + timedelta(hours=2))  # fmt: skip
    create.invoice(household, due_on=date.today() - timedelta(days=4))
    create.quote(fleet, title="Tyres", sent_at=datetime.now(UTC) - timedelta(days=4))
    # and the fleet manager's weekly digest: a van 1,200 miles past its 5,000-mile service
    fleet.interval_miles = 5000
    create.vehicle(fleet, plate="VAN-7", odometer=6200, last_service_odometer=0)
    reminders.send_due_reminders()

    # The notifications of a visit: the technician sets off, then completes it.
    visit = create.job(fleet, status=JobStatus.ASSIGNED, title="Brake pads", technician=staff)
    with app.test_request_context():
        jobs.change_status(visit, JobStatus.EN_ROUTE, by=staff)
        jobs.complete_job(
            visit, odometer=None, services_performed="Front pads.", by=staff, company=company
        )

    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _add_line(db, quote) -> None:
    db.session.add(
        LineItem(
            company_id=quote.company_id,
            quote_id=quote.id,
            position=0,
            description="Front pads and discs",
            unit_price_cents=quote.total_cents,
            amount_cents=quote.total_cents,
        )
    )
    db.session.flush()
