"""Staff invitations (Settings → Staff): an owner invites an address with a role; the email
carries a single-use 7-day link whose token no column holds; the person chooses a name and
password through it and is signed in. A new invitation replaces the old, revoking kills
the link, owners see invited / active / last sign-in."""

from datetime import timedelta

from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    OutboxStatus,
    SetupLink,
    SetupPurpose,
    StaffRole,
    StaffUser,
    utcnow,
)
from fieldportal.services import staff_invites
from tests.email.test_secrets_at_rest import columns_holding
from tests.helpers import sign_in, text_of

from .conftest import HX, NEW_PASSWORD, emails, token_in

INVITEE = "ines@acme-mechanics.example"
LINK = "/invite/"


def _invite(client, email=INVITEE, role="dispatcher", headers=None):
    return client.post(
        "/settings/staff/invite", data={"email": email, "role": role}, headers=headers or {}
    )


def _invited(db, email=INVITEE) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email))


def _token(db) -> str:
    return token_in(emails(db, "staff_invite")[-1], LINK)


def _accept(client, token, name="Ines Ortiz", password=NEW_PASSWORD, confirm=None, headers=None):
    data = {"name": name, "password": password, "confirm": confirm or password}
    return client.post(f"{LINK}{token}", data=data, headers=headers or {})


def _actions(db, company) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.company_id == company.id, AuditEvent.action.like("staff.invite%"))
            .order_by(AuditEvent.id)
        )
    )


def test_the_staff_page_in_both_renderings_and_linked_from_settings(staff_client):
    assert 'href="/settings/staff"' in staff_client.get("/settings").get_data(as_text=True)
    page = staff_client.get("/settings/staff")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert '<label for="invite-email">Email</label>' in html
    assert "works once, for 7 days" in text_of(page)
    fragment = staff_client.get("/settings/staff", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert 'id="staff"' in fragment.get_data(as_text=True)


def test_an_owner_invites_and_the_invitee_joins_signed_in(app, db, staff_client, company, owner):
    response = _invite(staff_client, email="  Ines@Acme-Mechanics.example ", headers=HX)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    shown = text_of(response)
    assert f"Invitation sent to {INVITEE}." in shown
    assert "Invited" in shown and "Resend" in shown and "Revoke" in shown

    invitee = _invited(db)
    assert (invitee.company_id, invitee.role, invitee.active) == (
        company.id,
        StaffRole.DISPATCHER,
        False,
    )
    assert invitee.invited_at is not None and invitee.last_login_at is None
    [link] = db.session.scalars(select(SetupLink)).all()
    assert (link.purpose, link.staff_user_id) == (SetupPurpose.STAFF_INVITE, invitee.id)
    assert timedelta(days=7) - timedelta(minutes=1) < link.expires_at - utcnow() <= timedelta(7)
    [email] = emails(db, "staff_invite")
    assert (
        email.to_address == INVITEE and email.subject == "Join Acme Mobile Mechanics on fieldportal"
    )
    assert "Olivia Owner invited you to join Acme Mobile Mechanics" in email.text_body
    token = _token(db)
    assert columns_holding(db, token) == []
    # Not an account yet: nobody knows its password, and it cannot be switched on by hand.
    assert (
        app.test_client().post("/login", data={"email": INVITEE, "password": ""}).status_code != 303
    )
    refused = staff_client.post(
        f"/settings/staff/{invitee.id}", data={"role": "dispatcher", "active": "y"}
    )
    assert refused.status_code == 422 and "when the invitation is accepted" in text_of(refused)

    visitor = app.test_client()
    for method in (visitor.get, visitor.head):
        opened = method(f"{LINK}{token}")
        assert opened.status_code == 200
        assert opened.headers["Cache-Control"] == "no-store"
        assert opened.headers["Referrer-Policy"] == "no-referrer"
    page = visitor.get(f"{LINK}{token}")
    assert "Join Acme Mobile Mechanics" in text_of(page) and INVITEE in text_of(page)
    assert link.used_at is None and visitor.get("/").status_code == 302, "opening consumes nothing"

    weak = _accept(visitor, token, password="password", headers=HX)
    assert weak.status_code == 422 and "<html" not in weak.get_data(as_text=True)
    assert "common" in text_of(weak).lower()
    assert _invited(db).active is False
    differ = _accept(visitor, token, confirm="something else entirely")
    assert differ.status_code == 422 and "The two passwords differ." in text_of(differ)

    joined = _accept(visitor, token, name="  Ines   Ortiz ")
    assert joined.status_code == 303 and joined.headers["Location"] == "/"
    home = visitor.get("/")
    assert home.status_code == 200
    assert "Welcome to Acme Mobile Mechanics, Ines. You are signed in." in text_of(home)
    db.session.expire_all()
    invitee = _invited(db)
    assert (invitee.name, invitee.active, invitee.invited_at) == ("Ines Ortiz", True, None)
    assert invitee.last_login_at is not None
    assert columns_holding(db, token) == []

    again = app.test_client().get(f"{LINK}{token}")
    assert again.status_code == 410 and "already accepted" in text_of(again)
    assert _accept(app.test_client(), token, password="another fine secret").status_code == 410
    signs_in = app.test_client().post("/login", data={"email": INVITEE, "password": NEW_PASSWORD})
    assert signs_in.status_code == 303

    row = text_of(staff_client.get("/settings/staff"))
    assert "Ines Ortiz" in row and "Active" in row and "Resend" not in row
    assert _actions(db, company) == ["staff.invited", "staff.invite_accepted"]


def test_a_new_invitation_replaces_the_old_one(app, db, staff_client):
    assert _invite(staff_client, role="technician").status_code == 303
    first = _token(db)
    assert _invite(staff_client, role="dispatcher").status_code == 303
    second = _token(db)
    assert first != second
    assert (
        db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.email == INVITEE)) == 1
    )
    assert _invited(db).role == StaffRole.DISPATCHER
    old, new = emails(db, "staff_invite")
    assert old.status == OutboxStatus.FAILED and old.secrets_ciphertext is None
    assert old.last_error == staff_invites.REPLACED
    assert new.status == OutboxStatus.QUEUED

    visitor = app.test_client()
    dead = visitor.get(f"{LINK}{first}")
    assert dead.status_code == 410 and "newer invitation replaces" in text_of(dead)
    assert _accept(visitor, first).status_code == 410 and visitor.get("/").status_code == 302
    assert _accept(visitor, second).status_code == 303 and visitor.get("/").status_code == 200


def test_resend_sends_a_new_link_and_the_old_one_dies(app, db, staff_client, company):
    _invite(staff_client)
    first = _token(db)
    invitee = _invited(db)
    response = staff_client.post(f"/settings/staff/{invitee.id}/resend")
    assert response.status_code == 303 and response.headers["Location"] == "/settings/staff"
    assert "earlier link no longer works" in text_of(staff_client.get("/settings/staff"))
    second = _token(db)
    assert first != second and len(emails(db, "staff_invite")) == 2
    assert app.test_client().get(f"{LINK}{first}").status_code == 410
    assert app.test_client().get(f"{LINK}{second}").status_code == 200
    assert _actions(db, company) == ["staff.invited", "staff.invite_resent"]


def test_revoking_kills_the_link_and_frees_the_address(app, db, staff_client, company):
    _invite(staff_client)
    token = _token(db)
    invitee_id = _invited(db).id
    response = staff_client.post(f"/settings/staff/{invitee_id}/revoke", headers=HX)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert f"Invitation of {INVITEE} revoked" in text_of(response)
    assert INVITEE not in text_of(staff_client.get("/settings/staff")).replace(
        f"Invitation of {INVITEE} revoked", ""
    )
    db.session.expire_all()
    assert _invited(db) is None and db.session.scalars(select(SetupLink)).all() == []
    [email] = emails(db, "staff_invite")
    assert email.status == OutboxStatus.FAILED and email.last_error == staff_invites.WITHDRAWN

    visitor = app.test_client()
    dead = visitor.get(f"{LINK}{token}")
    assert dead.status_code == 404 and "revoked invitation" in text_of(dead)
    assert _accept(visitor, token).status_code == 404 and visitor.get("/").status_code == 302
    assert _actions(db, company) == ["staff.invited", "staff.invite_revoked"]
    assert _invite(staff_client).status_code == 303, "the address can be invited again"


def test_an_address_already_used_by_staff_is_a_field_message_and_writes_nothing(
    db, staff_client, company, other_company, create
):
    colleague = create.staff(company, email="tom@acme-mechanics.example")
    elsewhere = create.staff(other_company, email="rival@rival-fleet.example")
    for address in (colleague.email.upper(), elsewhere.email):
        response = _invite(staff_client, email=address, headers=HX)
        assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)
        assert "A staff account with this email already exists." in text_of(response)
    assert emails(db) == [] and db.session.scalars(select(SetupLink)).all() == []
    assert db.session.scalar(select(func.count(StaffUser.id))) == 3
    bad = _invite(staff_client, email="not an address")
    assert bad.status_code == 422 and "Invalid email address." in text_of(bad)
    assert _invite(staff_client, role="emperor").status_code == 422
    assert emails(db) == []


def test_an_expired_invitation_shows_what_to_do_and_signs_nobody_in(app, db, staff_client):
    _invite(staff_client)
    token = _token(db)
    [link] = db.session.scalars(select(SetupLink)).all()
    link.expires_at = utcnow() + timedelta(seconds=1)
    db.session.flush()
    assert app.test_client().get(f"{LINK}{token}").status_code == 200, "1 s before expiry"
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    visitor = app.test_client()
    page = visitor.get(f"{LINK}{token}")
    assert page.status_code == 410 and "Ask whoever invited you" in text_of(page)
    assert _accept(visitor, token).status_code == 410 and visitor.get("/").status_code == 302
    assert _invited(db).active is False
    fragment = visitor.get(f"{LINK}{token}", headers=HX)
    assert fragment.headers["HX-Redirect"] == f"https://portal.example.test{LINK}{token}"


def test_accepted_accounts_have_no_invitation_to_resend_or_revoke(
    db, staff_client, company, create
):
    colleague = create.staff(company, StaffRole.TECHNICIAN, email="tom@acme-mechanics.example")
    for action in ("resend", "revoke"):
        response = staff_client.post(f"/settings/staff/{colleague.id}/{action}")
        assert response.status_code == 409 and "already accepted" in text_of(response)
    assert emails(db) == [] and db.session.get(StaffUser, colleague.id) is not None


def test_another_companys_invitation_is_404(app, db, staff_client, other_company, create):
    rival_owner = create.staff(other_company, email="boss@rival-fleet.example")
    rival = app.test_client()
    sign_in(rival, rival_owner)
    assert _invite(rival, email="pat@rival-fleet.example").status_code == 303
    invitee = _invited(db, "pat@rival-fleet.example")
    for action in ("resend", "revoke"):
        assert staff_client.post(f"/settings/staff/{invitee.id}/{action}").status_code == 404
    assert staff_client.get(f"/settings/staff/{invitee.id}").status_code == 404
    assert len(emails(db, "staff_invite")) == 1 and _invited(db, invitee.email) is not None


def test_only_owners_invite(app, db, company, create):
    for role in (StaffRole.DISPATCHER, StaffRole.TECHNICIAN):
        client = app.test_client()
        sign_in(client, create.staff(company, role))
        assert client.get("/settings/staff").status_code == 404
        assert _invite(client).status_code == 404
    assert emails(db) == []


def test_at_a_company_that_requires_two_factor_the_invitee_sets_it_up_before_anything(
    app, db, staff_client, company
):
    import re

    import pyotp

    from fieldportal.models import TwoFactorPolicy

    _invite(staff_client)
    company.two_factor_required = TwoFactorPolicy.ALL  # (the owner's own session ends now)
    db.session.flush()
    visitor = app.test_client()
    joined = _accept(visitor, _token(db))
    assert joined.status_code == 303 and joined.headers["Location"] == "/login/two-factor"
    assert visitor.get("/").status_code == 302  # nothing else until it is set up
    page = visitor.get("/login/two-factor")
    assert page.status_code == 200 and "set it up now" in text_of(page)
    html = page.get_data(as_text=True)
    secret = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', html)[1]
    done = visitor.post(
        "/login/two-factor", data={"code": pyotp.TOTP(secret.replace(" ", "")).now()}
    )
    assert done.status_code == 200 and visitor.get("/").status_code == 200
    db.session.expire_all()
    invitee = _invited(db)
    assert invitee.active and invitee.has_two_factor and invitee.last_login_at is not None
