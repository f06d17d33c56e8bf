"""Suspending a company and its plan (issue 15, Platform admin): what staff, customers and
the database see. Suspended: staff sign-in shows a clear page (to whoever knows the
password), staff and portal sessions end, every portal URL answers the branded
"unavailable", nothing is deleted; resuming brings it all back. On Free the customer portal
is closed the same way and Settings says why; moving to Pro opens it again."""

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    AuthSession,
    Customer,
    Invoice,
    Job,
    Plan,
    PlatformAuditEvent,
    StaffUser,
)
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.errors import Conflict
from fieldportal.services.platform import companies
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

SUSPENDED = "Acme Mobile Mechanics is suspended"
UNAVAILABLE = "The customer portal is unavailable right now"
PRO_NOTE = "The customer portal is part of the Pro plan"


def _staff_sign_in(client, email="olivia@acme.test", password=DEFAULT_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _count(db, model, company) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.company_id == company.id))


@pytest.fixture
def fleet_token(db, fleet):
    token = new_token()
    fleet.portal_token_hash = token_hash(token)
    db.session.flush()
    return token


@pytest.fixture
def browsers(app, owner, contact):
    """The owner and the contact, each signed in in a browser of their own."""
    staff, customer = app.test_client(), app.test_client()
    sign_in(staff, owner)
    sign_in(customer, contact)
    assert staff.get("/").status_code == 200
    assert customer.get("/portal/acme/").status_code == 200
    return staff, customer


def test_suspending_ends_every_session_and_closes_both_doors_deleting_nothing(
    app, db, company, owner, fleet, contact, fleet_token, browsers, platform_admin, create
):
    create.job(fleet, title="Brake service")
    create.invoice(fleet, lines=(("Labour", 12_345),))
    kept = {model: _count(db, model, company) for model in (Customer, Job, Invoice, StaffUser)}
    staff, customer = browsers

    companies.suspend(company, by=platform_admin)
    db.session.flush()

    assert _count(db, AuthSession, company) == 0
    assert staff.get("/").status_code == 302  # the session is gone: back to sign-in
    refused = _staff_sign_in(app.test_client())
    assert refused.status_code == 403
    assert SUSPENDED in text_of(refused)
    assert "Nothing has been deleted" in text_of(refused)
    assert _count(db, AuthSession, company) == 0
    for path in ("/portal/acme/", "/portal/acme/sign-in", "/portal/acme/invoices"):
        page = customer.get(path)
        assert page.status_code == 503, path
        assert UNAVAILABLE in text_of(page) and "Acme Mobile Mechanics" in text_of(page)
    assert app.test_client().get(f"/portal/t/{fleet_token}").status_code == 503
    assert {model: _count(db, model, company) for model in kept} == kept
    event = db.session.scalar(select(PlatformAuditEvent))
    assert (event.action, event.company_id, event.platform_admin_id) == (
        "company.suspended",
        company.id,
        platform_admin.id,
    )
    assert event.details == {"staff_sessions_ended": 1, "portal_sessions_ended": 1}


def test_a_wrong_password_does_not_tell_that_the_company_is_suspended(
    client, db, company, owner, platform_admin
):
    companies.suspend(company, by=platform_admin)
    refused = _staff_sign_in(client, password="not the password")
    assert refused.status_code == 422
    assert "suspended" not in text_of(refused)
    assert "Those details do not match an account" in text_of(refused)


def test_a_session_still_open_is_refused_while_suspended(app, db, company, owner, platform_admin):
    companies.suspend(company, by=platform_admin)
    staff = app.test_client()
    sign_in(staff, owner)  # a session row made behind the suspension's back
    assert staff.get("/").status_code == 302


def test_resuming_lets_staff_and_customers_in_again(
    app, db, company, owner, contact, platform_admin
):
    companies.suspend(company, by=platform_admin)
    companies.resume(company, by=platform_admin)
    db.session.flush()
    assert company.suspended_at is None
    signed_in = _staff_sign_in(app.test_client())
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"
    assert app.test_client().get("/portal/acme/sign-in").status_code == 200
    actions = db.session.scalars(
        select(PlatformAuditEvent.action).order_by(PlatformAuditEvent.id)
    ).all()
    assert actions == ["company.suspended", "company.resumed"]


def test_suspending_twice_or_resuming_a_live_company_is_a_conflict(db, company, platform_admin):
    with pytest.raises(Conflict):
        companies.resume(company, by=platform_admin)
    companies.suspend(company, by=platform_admin)
    with pytest.raises(Conflict):
        companies.suspend(company, by=platform_admin)


def test_another_company_is_untouched_by_a_suspension(app, db, company, create, platform_admin):
    rival = create.company(name="Rival Fleet Care", slug="rival")
    rival_owner = create.staff(rival, email="rita@rival.example.com")
    companies.suspend(company, by=platform_admin)
    assert _staff_sign_in(app.test_client(), email=rival_owner.email).status_code == 303
    assert app.test_client().get("/portal/rival/sign-in").status_code == 200


def test_existing_and_new_companies_are_pro_with_the_portal_open(db, company):
    assert company.plan is Plan.PRO
    assert company.portal_open


def test_free_closes_the_portal_and_settings_explain_it(
    app, db, company, owner, contact, fleet_token, browsers, platform_admin
):
    staff, customer = browsers
    assert PRO_NOTE not in text_of(staff.get("/settings"))

    assert companies.set_plan(company, Plan.FREE, by=platform_admin) is True
    db.session.flush()

    for path in ("/portal/acme/", "/portal/acme/sign-in"):
        page = customer.get(path)
        assert page.status_code == 503 and UNAVAILABLE in text_of(page)
    assert app.test_client().get(f"/portal/t/{fleet_token}").status_code == 503
    portal_sessions = select(func.count(AuthSession.id)).where(AuthSession.contact_id.is_not(None))
    assert db.session.scalar(portal_sessions) == 0
    settings = staff.get("/settings")  # staff keep working on Free
    assert settings.status_code == 200
    assert PRO_NOTE in text_of(settings) and "is on Free" in text_of(settings)
    event = db.session.scalar(select(PlatformAuditEvent))
    assert (event.action, event.details) == (
        "company.plan_changed",
        {"before": "pro", "after": "free"},
    )
    closed = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "portal.company_access_ended")
    )
    assert closed.summary.startswith("Plan changed to free")


def test_back_on_pro_the_portal_opens_and_customers_sign_in_afresh(
    app, db, company, contact, browsers, platform_admin
):
    _, customer = browsers
    companies.set_plan(company, Plan.FREE, by=platform_admin)
    assert companies.set_plan(company, Plan.FREE, by=platform_admin) is False  # no change
    companies.set_plan(company, Plan.PRO, by=platform_admin)
    db.session.flush()
    assert customer.get("/portal/acme/").status_code == 302  # signed out by the Free spell
    assert customer.get("/portal/acme/sign-in").status_code == 200
    actions = db.session.scalars(select(PlatformAuditEvent.action)).all()
    assert actions == ["company.plan_changed", "company.plan_changed"]


def test_a_company_switching_its_own_portal_off_still_sees_no_pro_note(
    db, company, owner, staff_client
):
    company.portal_enabled = False
    db.session.flush()
    assert PRO_NOTE not in text_of(staff_client.get("/settings"))
