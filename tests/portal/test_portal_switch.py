"""Switching the company portal off and on (QUALITY.md 15, 30): off ends every portal
session and every secret still out, at once and in the same transaction as the switch; on
again brings none of them back, and every setting and record is as it was."""

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    AuthSession,
    Company,
    Contact,
    LoginLink,
    OutboxEmail,
    OutboxStatus,
    utcnow,
)
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.mail.outbox_secrets import reveal
from fieldportal.services.portal import portal_auth
from tests.helpers import sign_in, text_of

from .conftest import link_token_from_outbox

STANDING_PASSWORD = "standing password 1"


def _settings_form(company: Company, *, portal_on: bool) -> dict:
    """The settings form as the owner would post it, changing only the portal switch."""
    form = {
        name: getattr(company, name) or ""
        for name in ("name", "brand_color", "time_zone", "currency", "asset_id_label")
    }
    form |= {
        "login_methods": list(company.login_methods),
        "asset_portal_fields": list(company.asset_portal_fields),
        "default_interval_miles": company.default_interval_miles or "",
        "default_interval_days": company.default_interval_days or "",
        "default_billing_terms": company.default_billing_terms.value,
        "default_tax_percent": "8.875",
        "due_soon_percent": company.due_soon_percent,
    }
    for flag in ("requests_enabled", "show_quotes", "show_invoices", "show_reports"):
        if getattr(company, flag):
            form[flag] = "y"
    if portal_on:
        form["portal_enabled"] = "y"
    return form


def _settings_of(company: Company) -> dict:
    return {
        column.key: getattr(company, column.key)
        for column in Company.__table__.columns
        # portal_reviewed_at notes when the settings were saved (the onboarding checklist)
        if column.key not in ("portal_enabled", "portal_reviewed_at")
    }


def _portal_sessions(db, company) -> int:
    return db.session.scalar(
        select(func.count(AuthSession.id)).where(
            AuthSession.company_id == company.id, AuthSession.staff_user_id.is_(None)
        )
    )


@pytest.fixture
def world(app, db, company, owner, fleet, contact, create):
    """A signed-in owner; the contact signed in by link; the fleet's link open in another
    browser; a sign-in link and an activation (temporary password) still out, both emails
    waiting in the outbox; a standing password and PIN; some records."""
    company.tax_rate_ppm = 88_750
    company.asset_id_label = "Tag"
    portal_auth.set_password(contact, STANDING_PASSWORD)
    portal_auth.set_pin(contact, "4321")
    create.job(fleet, title="Brake service")
    create.invoice(fleet, lines=(("Labour", 12_345),))
    fleet_token = new_token()
    fleet.portal_token_hash = token_hash(fleet_token)
    db.session.flush()

    staff = app.test_client()
    sign_in(staff, owner)
    by_link = app.test_client()
    used = portal_auth.issue_login_link(contact)
    assert by_link.post(f"/portal/{company.slug}/link/{used}").status_code == 303
    by_fleet_link = app.test_client()
    assert by_fleet_link.get(f"/portal/t/{fleet_token}").status_code == 302

    portal_auth.send_login_link(contact)
    newcomer = create.contact(fleet, name="Nina New", email="nina@metro.example")
    portal_auth.send_activation(newcomer)
    db.session.flush()
    activation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "activation"))
    temporary = reveal(activation)[0].split("temporary password:")[1].split()[0]
    for browser in (by_link, by_fleet_link):
        assert browser.get(f"/portal/{company.slug}/").status_code == 200
    return {
        "staff": staff,
        "browsers": (by_link, by_fleet_link),
        "outstanding_link": link_token_from_outbox(db, contact.email),
        "temporary": temporary,
        "fleet_token": fleet_token,
        "newcomer": newcomer,
    }


def test_portal_off_ends_every_session_and_secret_and_on_again_brings_none_back(
    app, db, company, contact, fleet, world
):
    staff = world["staff"]
    assert "signs every customer out at once" in text_of(staff.get("/settings"))
    settings_before = _settings_of(company)
    contacts_before = db.session.scalar(select(func.count(Contact.id)))

    off = staff.post("/settings", data=_settings_form(company, portal_on=False))
    assert off.status_code == 303
    db.session.refresh(company)
    assert company.portal_enabled is False
    assert _portal_sessions(db, company) == 0
    assert (
        db.session.scalar(
            select(func.count(LoginLink.id)).where(
                LoginLink.used_at.is_(None), LoginLink.invalidated_at.is_(None)
            )
        )
        == 0
    )
    waiting = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [(email.kind, email.status) for email in waiting] == [
        ("magic_link", OutboxStatus.FAILED),
        ("activation", OutboxStatus.FAILED),
    ]
    assert all(email.secrets_ciphertext is None for email in waiting)
    assert "portal was switched off" in waiting[0].last_error
    for browser in world["browsers"]:
        assert browser.get(f"/portal/{company.slug}/").status_code == 503
    assert staff.get("/").status_code == 200  # staff sessions are not portal sessions

    on = staff.post("/settings", data=_settings_form(company, portal_on=True))
    assert on.status_code == 303
    db.session.refresh(company)
    assert company.portal_enabled is True
    assert _settings_of(company) == settings_before
    assert db.session.scalar(select(func.count(Contact.id))) == contacts_before

    # The cookies from before "off" are signed out; the link and temporary password are dead.
    for browser in world["browsers"]:
        response = browser.get(f"/portal/{company.slug}/")
        assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"
    fresh = app.test_client()
    dead_link = fresh.post(f"/portal/{company.slug}/link/{world['outstanding_link']}")
    assert dead_link.status_code == 410
    dead_temporary = fresh.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": world["newcomer"].email, "password": world["temporary"]},
    )
    assert dead_temporary.status_code == 422
    assert _portal_sessions(db, company) == 0

    # Customers sign in afresh with what they chose for good, and find their records.
    by_password = app.test_client()
    signed_in = by_password.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": STANDING_PASSWORD},
    )
    assert signed_in.status_code == 303
    assert "$123.45" in text_of(by_password.get(f"/portal/{company.slug}/invoices"))
    by_pin = app.test_client()
    pin = by_pin.post(
        f"/portal/{company.slug}/sign-in/pin", data={"phone": contact.phone, "pin": "4321"}
    )
    assert pin.status_code == 303
    by_fleet_link = app.test_client()
    assert by_fleet_link.get(f"/portal/t/{world['fleet_token']}").status_code == 302
    assert "Brake service" in text_of(by_fleet_link.get(f"/portal/{company.slug}/jobs"))


def test_a_refused_settings_form_switches_nothing_off(db, company, world):
    form = _settings_form(company, portal_on=False) | {"brand_color": "red;}"}
    assert world["staff"].post("/settings", data=form).status_code == 422
    db.session.refresh(company)
    assert company.portal_enabled is True
    assert _portal_sessions(db, company) == 2
    for browser in world["browsers"]:
        assert browser.get(f"/portal/{company.slug}/").status_code == 200
    assert world["newcomer"].temporary_password_expires_at > utcnow()


def test_saving_settings_with_the_portal_left_on_ends_nothing(db, company, world):
    assert (
        world["staff"].post("/settings", data=_settings_form(company, portal_on=True)).status_code
        == 303
    )
    assert _portal_sessions(db, company) == 2
    assert (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.status == OutboxStatus.QUEUED)
        )
        == 2
    )
