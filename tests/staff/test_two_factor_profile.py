"""Two-factor from the profile page (set up, recovery codes shown once, new codes, turning
it off with the password and a code) and the company setting in Settings (owners only)."""

import re

import pyotp
from sqlalchemy import func, select

from fieldportal.models import AuditEvent, StaffRecoveryCode, StaffRole, TwoFactorPolicy
from fieldportal.services.auth import two_factor
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

from .conftest import HX
from .test_two_factor_sign_in import RECOVERY, _with_two_factor

SETUP = "/profile/two-factor"


def _actions(db, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _secret_on(page) -> str:
    html = page.get_data(as_text=True)
    return re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', html)[1].replace(
        " ", ""
    )


def test_setting_it_up_from_the_profile_shows_the_codes_once_and_ends_other_sessions(
    app, client, db, owner
):
    sign_in(client, owner)
    elsewhere = app.test_client()
    sign_in(elsewhere, owner)
    profile = client.get("/profile")
    assert "Off." in text_of(profile)
    assert client.get(SETUP).headers["Location"] == "/profile"  # nothing started yet

    started = client.post(f"{SETUP}/start")
    assert started.status_code == 303 and started.headers["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<svg role="img" aria-label="QR code for Acme Mobile Mechanics"' in html
    assert '<label for="code">Code from the app</label>' in html
    secret = _secret_on(page)
    assert _secret_on(client.get(SETUP)) == secret
    fragment = client.get(SETUP, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)

    wrong = client.post(SETUP, data={"code": "000000"}, headers=HX)
    assert wrong.status_code == 422 and "<html" not in wrong.get_data(as_text=True)
    assert "That code is not right" in text_of(wrong)
    done = client.post(SETUP, data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(set(codes)) == 10
    db.session.refresh(owner)
    assert owner.has_two_factor
    assert two_factor.use_recovery_code(owner, StaffRecoveryCode, codes[0])

    assert elsewhere.get("/").status_code == 302  # opened without two-factor: ended
    on = client.get("/profile")
    assert on.status_code == 200 and "9 of 10 recovery codes left" in text_of(on)
    assert not RECOVERY.findall(on.get_data(as_text=True))  # never shown again
    assert client.get(SETUP).headers["Location"] == "/profile"
    assert client.post(f"{SETUP}/start").status_code == 409
    assert len(_actions(db, "staff.two_factor_on")) == 1


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, db, owner):
    _, old = _with_two_factor(db, owner)
    sign_in(client, owner)
    refused = client.post(f"{SETUP}/recovery-codes", data={"password": "wrong"}, headers=HX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert "not your current password" in text_of(refused)
    db.session.refresh(owner)
    assert owner.failed_attempts == 1
    made = client.post(f"{SETUP}/recovery-codes", data={"password": DEFAULT_PASSWORD})
    new = RECOVERY.findall(made.get_data(as_text=True))
    assert made.status_code == 200 and len(set(new)) == 10 and not set(new) & set(old)
    assert not two_factor.use_recovery_code(owner, StaffRecoveryCode, old[0])
    assert two_factor.use_recovery_code(owner, StaffRecoveryCode, new[0])


def test_turning_it_off_needs_the_password_and_a_code(client, db, owner):
    secret, codes = _with_two_factor(db, owner)
    sign_in(client, owner)
    off = f"{SETUP}/off"
    for data in (
        {"password": "wrong", "code": pyotp.TOTP(secret).now()},
        {"password": DEFAULT_PASSWORD, "code": "123"},
    ):
        refused = client.post(off, data=data, headers=HX)
        assert refused.status_code == 422 and "Two-factor is still on" in text_of(refused)
    db.session.refresh(owner)
    assert owner.has_two_factor and owner.failed_attempts == 2
    done = client.post(off, data={"password": DEFAULT_PASSWORD, "code": codes[0]})
    assert done.status_code == 303 and done.headers["Location"] == "/profile"
    db.session.refresh(owner)
    assert not owner.has_two_factor and owner.totp_secret_sealed is None
    count = select(func.count(StaffRecoveryCode.id)).where(
        StaffRecoveryCode.staff_user_id == owner.id
    )
    assert db.session.scalar(count) == 0
    assert "Two-factor sign-in is off." in text_of(client.get("/profile"))
    assert len(_actions(db, "staff.two_factor_off")) == 1


def test_it_cannot_be_turned_off_while_the_company_requires_it(client, db, company, owner):
    secret, _ = _with_two_factor(db, owner)
    company.two_factor_required = TwoFactorPolicy.OWNERS
    sign_in(client, owner)
    assert "requires two-factor sign-in for you" in text_of(client.get("/profile"))
    refused = client.post(
        f"{SETUP}/off", data={"password": DEFAULT_PASSWORD, "code": pyotp.TOTP(secret).now()}
    )
    assert refused.status_code == 409
    db.session.refresh(owner)
    assert owner.has_two_factor


def test_owners_set_the_company_policy_but_only_once_their_own_is_on(client, db, company, owner):
    sign_in(client, owner)
    page = client.get("/settings").get_data(as_text=True)
    assert '<label for="two_factor_required">Two-factor sign-in</label>' in page
    refused = client.post("/settings/two-factor", data={"two_factor_required": "all"})
    assert refused.status_code == 422
    assert "Set up two-factor sign-in for yourself first" in text_of(refused)
    db.session.refresh(company)
    assert company.two_factor_required is TwoFactorPolicy.OFF

    _with_two_factor(db, owner)
    saved = client.post("/settings/two-factor", data={"two_factor_required": "all"})
    assert saved.status_code == 303
    db.session.refresh(company)
    assert company.two_factor_required is TwoFactorPolicy.ALL
    [event] = _actions(db, "settings.two_factor_policy")
    assert event.summary == "Two-factor sign-in required: off → all"
    assert client.get("/settings").status_code == 200  # the owner's own session goes on
    assert (
        client.post("/settings/two-factor", data={"two_factor_required": "everyone"}).status_code
        == 422
    )


def test_other_roles_cannot_reach_the_policy(client, db, company, create):
    dispatcher = create.staff(company, StaffRole.DISPATCHER)
    sign_in(client, dispatcher)
    assert (
        client.post("/settings/two-factor", data={"two_factor_required": "off"}).status_code == 404
    )
