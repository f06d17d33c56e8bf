"""Emailing a fleet's portal link from its detail page: the link staff were just shown, or a
new one; checked input, tenancy, roles, audit, and delivery over real SMTP."""

import email
import re
from email import policy

import pytest
from sqlalchemy import func, select

from fieldportal.models import AuditEvent, OutboxEmail, StaffRole
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.mail.outbox_delivery import deliver_pending
from fieldportal.services.mail.outbox_secrets import reveal
from tests.helpers import sign_in, text_of

HX = {"HX-Request": "true"}
HOSTILE = "<script>alert(1)</script>"


def _emails(db) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _shown_token(response) -> str:
    match = re.search(
        r'id="portal-url"[^>]*value="https://portal\.example\.test/portal/t/([\w-]{43})"',
        response.get_data(as_text=True),
    )
    assert match, response.get_data(as_text=True)
    return match.group(1)


@pytest.fixture
def fleet(create, company):
    fleet = create.fleet(company, vehicles=0, name="Metro Couriers", email="office@metro.example")
    create.contact(fleet, name="Ann Other", email="ann@metro.example", is_admin=False)
    create.contact(fleet, name="Frank Delgado", email="frank@metro.example", is_admin=True)
    return fleet


def test_the_form_is_prefilled_with_the_admin_contact(staff_client, fleet):
    html = staff_client.get(f"/fleets/{fleet.id}").get_data(as_text=True)
    assert re.search(r'<label for="share-to">Send to</label>', html)
    assert re.search(r'id="share-to"[^>]*value="frank@metro.example"', html)
    assert 'id="share-message"' in html and "Email portal link" in html


def test_without_contacts_the_fleet_email_is_used(staff_client, create, company):
    fleet = create.fleet(company, vehicles=0, email="desk@solo.example")
    html = staff_client.get(f"/fleets/{fleet.id}").get_data(as_text=True)
    assert re.search(r'id="share-to"[^>]*value="desk@solo.example"', html)


def test_the_link_just_shown_is_emailed_and_delivered_end_to_end(
    staff_client, app, db, fleet, owner, smtp_server
):
    token = _shown_token(staff_client.post(f"/fleets/{fleet.id}/portal-token", headers=HX))
    response = staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email",
        data={"to": " frank@metro.example ", "message": f"Hi Frank {HOSTILE}", "token": token},
        headers=HX,
    )
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert "Portal link emailed to frank@metro.example." in text_of(response)
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(fleet)
    assert fleet.portal_token_hash == token_hash(token), "the shown link stays valid"

    [row] = _emails(db)
    assert (row.kind, row.to_address, row.related_id) == (
        "fleet_link",
        "frank@metro.example",
        fleet.id,
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "fleet.portal_link_emailed")
    )
    assert event.staff_user_id == owner.id and event.customer_id == fleet.id
    assert event.details == {"to": "frank@metro.example", "new_link": False}
    assert token not in event.summary + str(event.details)

    assert deliver_pending(worker="test").sent == 1
    [envelope] = smtp_server.messages
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["To"] == "frank@metro.example"
    assert message["Subject"] == "Your Metro Couriers service portal with Acme Mobile Mechanics"
    link = f"https://portal.example.test/portal/t/{token}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert link in text and f'href="{link}"' in html
    assert f"Hi Frank {HOSTILE}" in text
    assert "Hi Frank &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html

    # The emailed link opens the fleet's portal.
    opened = app.test_client().get(link.removeprefix("https://portal.example.test"))
    assert opened.status_code == 302 and opened.headers["Location"] == "/portal/acme/"


def test_without_a_shown_link_a_new_one_is_emailed_and_the_old_stops(
    staff_client, app, db, fleet, smtp_server
):
    old = new_token()
    fleet.portal_token_hash = token_hash(old)
    db.session.flush()
    page = staff_client.get(f"/fleets/{fleet.id}").get_data(as_text=True)
    assert "Email a new portal link" in page and "the current link stops working" in page

    response = staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email", data={"to": "ann@metro.example"}
    )
    assert response.status_code == 200
    assert "It is a new link: the previous one no longer works." in text_of(response)
    new = _shown_token(response)
    assert new != old
    [row] = _emails(db)
    text, _ = reveal(row)
    assert f"/portal/t/{new}" in text and old not in text
    visitor = app.test_client()
    assert visitor.get(f"/portal/t/{old}").status_code == 404
    assert visitor.get(f"/portal/t/{new}").status_code == 302


def test_the_outbox_page_hides_the_fleet_link(staff_client, db, fleet):
    token = _shown_token(staff_client.post(f"/fleets/{fleet.id}/portal-token", headers=HX))
    staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email", data={"to": "frank@metro.example", "token": token}
    )
    [row] = _emails(db)
    text, html = reveal(row)
    assert token in text and token in html
    assert token not in row.text_body and token not in row.html_body
    page = staff_client.get(f"/outbox/{row.id}").get_data(as_text=True)
    assert token not in page and "[portal link hidden]" in page


@pytest.mark.parametrize(
    "address, message",
    [
        ("", "Enter the email address to send the link to."),
        ("not-an-email", "Enter a valid email address"),
        ("frank@metro.example\r\nBcc: all@x.example", "Enter a valid email address"),
        ("a" * 250 + "@x.example", "Field cannot be longer than 254 characters."),
    ],
)
def test_a_bad_address_is_a_clear_422_and_nothing_is_sent(
    staff_client, db, fleet, address, message
):
    token = _shown_token(staff_client.post(f"/fleets/{fleet.id}/portal-token", headers=HX))
    response = staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email",
        data={"to": address, "token": token},
        headers=HX,
    )
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    # The link just shown stays on screen, still valid, and nothing was queued or audited.
    assert _shown_token(response) == token
    db.session.refresh(fleet)
    assert fleet.portal_token_hash == token_hash(token)
    assert _emails(db) == []
    assert not db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "fleet.portal_link_emailed")
    )


def test_a_replaced_link_is_refused_with_409(staff_client, db, fleet):
    stale = _shown_token(staff_client.post(f"/fleets/{fleet.id}/portal-token", headers=HX))
    current = _shown_token(staff_client.post(f"/fleets/{fleet.id}/portal-token", headers=HX))
    response = staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email",
        data={"to": "frank@metro.example", "token": stale},
        headers=HX,
    )
    assert response.status_code == 409
    assert "replaced since this page was loaded" in text_of(response)
    assert stale not in response.get_data(as_text=True)
    db.session.refresh(fleet)
    assert fleet.portal_token_hash == token_hash(current) and _emails(db) == []


def test_a_fleet_with_its_portal_off_gets_no_link(staff_client, db, fleet):
    fleet.portal_enabled = False
    db.session.flush()
    assert "Email portal link" not in text_of(staff_client.get(f"/fleets/{fleet.id}"))
    response = staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email", data={"to": "frank@metro.example"}
    )
    assert response.status_code == 409
    assert "turn the portal on first" in text_of(response)
    db.session.refresh(fleet)
    assert fleet.portal_token_hash is None and _emails(db) == []


def test_dispatchers_may_send_technicians_and_other_companies_get_404(
    client, db, create, company, other_company, fleet
):
    sign_in(client, create.staff(company, role=StaffRole.DISPATCHER))
    sent = client.post(f"/fleets/{fleet.id}/portal-link/email", data={"to": "x@metro.example"})
    assert sent.status_code == 200
    assert "previous one" not in text_of(sent), "the fleet had no link to replace"
    theirs = create.fleet(other_company, vehicles=0)
    assert (
        client.post(
            f"/fleets/{theirs.id}/portal-link/email", data={"to": "x@y.example"}
        ).status_code
        == 404
    )
    technician = client.application.test_client()
    sign_in(technician, create.staff(company, role=StaffRole.TECHNICIAN))
    assert (
        technician.post(
            f"/fleets/{fleet.id}/portal-link/email", data={"to": "x@y.example"}
        ).status_code
        == 404
    )
    db.session.refresh(theirs)
    assert theirs.portal_token_hash is None
    assert [row.to_address for row in _emails(db)] == ["x@metro.example"]


def test_the_form_needs_csrf(staff_client, db, fleet):
    response = staff_client.post(
        f"/fleets/{fleet.id}/portal-link/email", data={"to": "frank@metro.example"}, csrf=False
    )
    assert response.status_code == 400 and _emails(db) == []
