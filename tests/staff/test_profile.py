"""Your profile at /profile: every staff member changes their own name and password; the
current password is required, and changing it ends the account's other sessions while the
one that changed it goes on."""

import pytest
from sqlalchemy import func, select

from fieldportal.models import AuditEvent, AuthSession, StaffRole
from fieldportal.services.auth.passwords import verify_secret
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

from .conftest import HX, NEW_PASSWORD

CHANGE = "/profile/password"


def _change(client, current=DEFAULT_PASSWORD, new=NEW_PASSWORD, confirm=None, headers=None):
    return client.post(
        CHANGE,
        data={"current_password": current, "password": new, "confirm": confirm or new},
        headers=headers or {},
    )


def _audits(db, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("role", list(StaffRole))
def test_every_role_sees_its_profile_linked_from_every_page(client, db, company, create, role):
    staff = create.staff(company, role, name="Tess Tech", email="tess@acme.test")
    sign_in(client, staff)
    home = client.get("/").get_data(as_text=True)
    assert '<a class="who" href="/profile">Tess Tech' in home
    page = client.get("/profile")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "tess@acme.test" in text_of(page)
    for input_id, label in (
        ("name", "Your name"),
        ("current-password", "Current password"),
        ("new-password", "New password"),
        ("confirm-password", "Repeat the new password"),
    ):
        assert f'<label for="{input_id}">{label}</label>' in html
    assert 'autocomplete="current-password"' in html and 'autocomplete="new-password"' in html


def test_a_new_name_is_saved_and_audited_a_blank_one_refused(client, db, owner):
    sign_in(client, owner)
    refused = client.post("/profile", data={"name": "   "}, headers=HX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert "nothing was saved" in text_of(refused)
    db.session.refresh(owner)
    assert owner.name == "Olivia Owner"

    saved = client.post("/profile", data={"name": "  Olivia   Oakes "})
    assert saved.status_code == 303 and saved.headers["Location"] == "/profile"
    db.session.refresh(owner)
    assert owner.name == "Olivia Oakes"
    assert "Your name is saved." in text_of(client.get("/profile"))
    [event] = _audits(db, "staff.renamed")
    assert event.summary == "Olivia Owner → Olivia Oakes"


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, client, db, owner):
    this = sign_in(client, owner).id
    elsewhere = app.test_client()
    other = sign_in(elsewhere, owner).id
    assert elsewhere.get("/").status_code == 200

    changed = _change(client)
    assert changed.status_code == 303 and changed.headers["Location"] == "/profile"
    assert "Your password is changed and signed out on 1 other device(s)." in text_of(
        client.get("/profile")
    )
    left = set(
        db.session.scalars(select(AuthSession.id).where(AuthSession.staff_user_id == owner.id))
    )
    assert left == {this} and other not in left

    refused = elsewhere.get("/jobs")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert client.get("/jobs").status_code == 200

    db.session.refresh(owner)
    assert verify_secret(owner.password_hash, NEW_PASSWORD)
    assert not verify_secret(owner.password_hash, DEFAULT_PASSWORD)
    signing_in = app.test_client().post(
        "/login", data={"email": owner.email, "password": NEW_PASSWORD}
    )
    assert signing_in.status_code == 303
    [event] = _audits(db, "staff.password_changed")
    assert event.staff_user_id == owner.id
    assert event.summary == "Changed their password; 1 other session(s) ended"


def test_a_wrong_current_password_changes_nothing_and_counts_towards_the_lockout(
    app, client, db, owner
):
    sign_in(client, owner)
    elsewhere = app.test_client()
    sign_in(elsewhere, owner)
    refused = _change(client, current="not my password", headers=HX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert "That is not your current password, or the account is locked for a while." in text_of(
        refused
    )
    assert "your password is unchanged" in text_of(refused)
    db.session.refresh(owner)
    assert verify_secret(owner.password_hash, DEFAULT_PASSWORD)
    assert owner.failed_attempts == 1
    assert elsewhere.get("/").status_code == 200
    assert _audits(db, "staff.password_changed") == []


def test_ten_wrong_current_passwords_lock_the_account_even_for_the_right_one(client, db, owner):
    sign_in(client, owner)
    for _ in range(10):
        assert _change(client, current="not my password").status_code == 422
    db.session.refresh(owner)
    assert owner.locked_until is not None
    assert _change(client).status_code == 422
    db.session.refresh(owner)
    assert verify_secret(owner.password_hash, DEFAULT_PASSWORD)
    assert len(_audits(db, "staff.locked_out")) == 1


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", None, "Use at least 8 characters."),
        ("password123", None, "That password is too common."),
        (DEFAULT_PASSWORD, None, "That is your current password. Choose a new one."),
        (NEW_PASSWORD, "something else", "The two passwords differ."),
    ],
)
def test_a_refused_new_password_says_why_and_changes_nothing(
    client, db, owner, new, confirm, message
):
    sign_in(client, owner)
    refused = _change(client, new=new, confirm=confirm)
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)
    assert message in text_of(refused)
    db.session.refresh(owner)
    assert verify_secret(owner.password_hash, DEFAULT_PASSWORD)
    assert owner.failed_attempts == 0
    assert (
        db.session.scalar(
            select(func.count(AuthSession.id)).where(AuthSession.staff_user_id == owner.id)
        )
        == 1
    )


def test_signed_out_the_profile_sends_to_sign_in(client, db):
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
