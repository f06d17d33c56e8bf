"""Staff set a contact's username and password themselves and copy the portal address;
the contact signs in with them, and every session the contact had ends."""

import re

import pytest
from sqlalchemy import func, select

from fieldportal.models import AuditEvent, AuthSession, Contact, LoginMethod, Plan, StaffRole
from fieldportal.services.auth.passwords import verify_secret
from tests.helpers import sign_in, text_of

HTMX = {"HX-Request": "true"}
PASSWORD = "lantern-orchard-42"


def password_url(contact):
    return f"/customers/{contact.customer_id}/contacts/{contact.id}/access/password"


def access_url(contact):
    return f"/customers/{contact.customer_id}/contacts/{contact.id}/access"


def test_the_page_offers_the_portal_address_to_copy_and_the_current_username(
    staff_client, contact, company
):
    html = staff_client.get(access_url(contact)).get_data(as_text=True)
    # Without JavaScript the address is a read-only field to select; the button copies it.
    assert 'id="portal-url"' in html and "readonly" in html
    assert 'value="https://portal.example.test/portal/acme/sign-in"' in html
    assert 'data-copy="#portal-url"' in html and "Copy portal address" in html
    assert 'value="frank@metro.example"' in html
    assert 'autocomplete="new-password"' in html


def test_staff_set_username_and_password_and_the_contact_signs_in_with_them(
    app, staff_client, contact, company, db
):
    elsewhere = app.test_client()
    sign_in(elsewhere, contact)
    assert elsewhere.get("/portal/acme/").status_code == 200
    earlier_session = db.session.scalar(
        select(AuthSession.id).where(AuthSession.contact_id == contact.id)
    )
    assert earlier_session is not None
    response = staff_client.post(
        password_url(contact), data={"email": "Frank.D@Metro.example ", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(access_url(contact))
    db.session.refresh(contact)
    assert contact.email == "frank.d@metro.example"
    assert verify_secret(contact.password_hash, PASSWORD) and not contact.password_is_temporary
    # Every session of the contact ended: the other browser is signed out.
    assert (
        db.session.scalar(
            select(func.count(AuthSession.id)).where(AuthSession.contact_id == contact.id)
        )
        == 0
    )
    signed_out = elsewhere.get("/portal/acme/")
    assert (
        signed_out.status_code == 302 and "/portal/acme/sign-in" in signed_out.headers["Location"]
    )
    page = text_of(staff_client.get(access_url(contact)))
    assert "Username and password saved. Frank Delgado signs in as frank.d@metro.example." in page
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "portal.password_set_by_staff")
    )
    assert "username now frank.d@metro.example" in event.summary
    assert PASSWORD not in str(event.details) + event.summary
    portal = app.test_client()
    signed_in = portal.post(
        "/portal/acme/sign-in/password",
        data={"email": "frank.d@metro.example", "password": PASSWORD},
    )
    assert signed_in.status_code == 303
    old_username = app.test_client().post(
        "/portal/acme/sign-in/password", data={"email": "frank@metro.example", "password": PASSWORD}
    )
    assert old_username.status_code == 422


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "frank@metro.example", "password": "short"}, "Use at least 8 characters."),
        ({"email": "frank@metro.example", "password": "password123"}, "too common"),
        ({"email": "not an email", "password": PASSWORD}, "Invalid email address."),
        ({"email": "", "password": PASSWORD}, "This field is required."),
        (
            {"email": "taken@metro.example", "password": PASSWORD},
            "Another contact already uses this email.",
        ),
    ],
)
def test_refused_input_changes_nothing_and_says_why(
    staff_client, contact, create, fleet, db, headers, data, message
):
    create.contact(fleet, email="taken@metro.example")
    response = staff_client.post(password_url(contact), data=data, headers=headers)
    assert response.status_code == 422
    assert message in text_of(response)
    html = response.get_data(as_text=True)
    if headers:
        assert "<html" not in html and 'id="contact-password"' in html
    else:
        assert "<html" in html
    db.session.refresh(contact)
    assert contact.email == "frank@metro.example" and contact.password_hash is None
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


EVERY_WAY = {"password", "magic_link", "activation", "pin"}


def _all_but(method: LoginMethod) -> list[str]:
    return [m.value for m in LoginMethod if m != method]


@pytest.mark.parametrize(
    ("change", "closed", "note"),
    [
        ({"plan": Plan.FREE}, EVERY_WAY, "The customer portal is part of the Pro plan."),
        (
            {"portal_enabled": False},
            EVERY_WAY,
            "The customer portal is switched off in Settings (“Customer portal on”), so this "
            "password lets no one in",
        ),
        (
            {"login_methods": _all_but(LoginMethod.PASSWORD)},
            {"password"},
            "Password sign-in is switched off in Settings (“Username and password”), so this "
            "password lets no one in until it is switched on.",
        ),
        (
            {"login_methods": _all_but(LoginMethod.MAGIC_LINK)},
            {"magic_link"},
            "Sign-in by emailed link is switched off in Settings (“Email sign-in link”), so a "
            "sign-in link lets no one in",
        ),
        (
            {"login_methods": _all_but(LoginMethod.PIN)},
            {"pin"},
            "Sign-in by phone and PIN is switched off in Settings (“Phone number and PIN”), so "
            "a PIN lets no one in until it is switched on. It can be saved now, but not emailed",
        ),
    ],
    ids=["free-plan", "portal-off", "password-off", "link-off", "pin-off"],
)
def test_the_page_says_which_ways_in_would_let_no_one_in_and_why(
    staff_client, contact, company, db, change, closed, note
):
    for name, value in change.items():
        setattr(company, name, value)
    db.session.flush()
    response = staff_client.get(access_url(contact))
    html, page = response.get_data(as_text=True), text_of(response)
    assert set(re.findall(r'data-closed="([a-z_]+)"', html)) == closed
    assert note in page
    assert page.count("lets no one in") == len(closed)


def test_no_note_while_every_way_in_works(staff_client, contact):
    html = staff_client.get(access_url(contact)).get_data(as_text=True)
    assert "data-closed" not in html and "lets no one in" not in html


def test_without_the_csrf_token_nothing_changes(staff_client, contact, db):
    response = staff_client.post(
        password_url(contact), data={"email": "x@metro.example", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    db.session.refresh(contact)
    assert contact.password_hash is None


def test_another_company_or_customer_or_a_technician_gets_404(
    client, staff_client, contact, create, company, other_company, db
):
    theirs = create.contact(create.customer(other_company), email="them@rival.example")
    data = {"email": "x@rival.example", "password": PASSWORD}
    assert staff_client.post(password_url(theirs), data=data).status_code == 404
    # The right contact under another customer's id.
    wrong_customer = (
        f"/customers/{create.customer(company).id}/contacts/{contact.id}/access/password"
    )
    assert staff_client.post(wrong_customer, data=data).status_code == 404
    technician = create.staff(company, role=StaffRole.TECHNICIAN)
    tech_client = staff_client.application.test_client()
    sign_in(tech_client, technician)
    assert tech_client.post(password_url(contact), data=data).status_code == 404
    assert db.session.get(Contact, theirs.id).password_hash is None
    assert db.session.get(Contact, contact.id).password_hash is None
