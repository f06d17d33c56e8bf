"""Staff side of portal access: status, links, activation, PIN, sessions, view as customer."""

from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    AuthSession,
    LoginLink,
    LoginMethod,
    OutboxEmail,
    Plan,
    StaffRole,
)
from fieldportal.services.auth.passwords import verify_secret
from fieldportal.services.mail.outbox_secrets import reveal
from fieldportal.services.portal.portal_auth import issue_login_link
from tests.helpers import sign_in, text_of


def access_url(contact, action=""):
    return f"/customers/{contact.customer_id}/contacts/{contact.id}/access{action}"


def test_status_moves_from_never_invited_to_invited(staff_client, contact, db):
    assert "Never invited" in text_of(staff_client.get(access_url(contact)))
    response = staff_client.post(access_url(contact, "/link"))
    assert response.status_code == 303
    page = text_of(staff_client.get(access_url(contact)))
    assert "Invited" in page and "Resend login link" in page
    assert "Sign-in link" in page  # outstanding link listed
    assert (
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.kind == "magic_link")
        )
        == 1
    )


def test_no_email_on_file_sends_nothing_with_a_clear_message(staff_client, create, fleet, db):
    silent = create.contact(fleet, email=None)
    response = staff_client.post(access_url(silent, "/link"))
    assert response.status_code == 422
    assert "no email address on file" in text_of(response)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_activation_email_sets_a_temporary_password(staff_client, contact, db):
    staff_client.post(access_url(contact, "/activation"))
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "activation"))
    temporary = reveal(email)[0].split("temporary password:")[1].split()[0]
    db.session.refresh(contact)
    assert contact.password_is_temporary and verify_secret(contact.password_hash, temporary)


def test_set_pin_and_send_with_custom_message(staff_client, contact, db):
    response = staff_client.post(
        access_url(contact, "/pin"),
        data={"pin": "2468", "send": "y", "message": "Welcome <b>aboard</b>"},
    )
    assert response.status_code == 303
    db.session.refresh(contact)
    assert verify_secret(contact.pin_hash, "2468")
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "pin_credentials"))
    assert "Welcome <b>aboard</b>" in email.text_body and "2468" in reveal(email)[0]
    assert "Welcome &lt;b&gt;aboard&lt;/b&gt;" in email.html_body
    assert "2468" not in staff_client.get(access_url(contact)).get_data(as_text=True)


def test_bad_pin_is_refused_inline(staff_client, contact, db):
    response = staff_client.post(access_url(contact, "/pin"), data={"pin": "12ab"})
    assert response.status_code == 422
    assert "A PIN is 4 to 8 digits." in text_of(response)
    db.session.refresh(contact)
    assert contact.pin_hash is None


def test_end_all_signs_the_contact_out_and_cancels_links(app, staff_client, contact, company, db):
    portal = app.test_client()
    sign_in(portal, contact)
    issue_login_link(contact)
    assert portal.get(f"/portal/{company.slug}/").status_code == 200
    assert staff_client.post(access_url(contact, "/end")).status_code == 303
    assert portal.get(f"/portal/{company.slug}/").status_code in (302, 404)
    assert (
        db.session.scalar(
            select(func.count(AuthSession.id)).where(AuthSession.contact_id == contact.id)
        )
        == 0
    )
    assert db.session.scalar(select(LoginLink)).invalidated_at is not None


def test_view_as_customer_is_read_only_and_audited(staff_client, contact, company, db):
    response = staff_client.post(f"/customers/{contact.customer_id}/contacts/{contact.id}/view-as")
    assert response.status_code == 303
    page = text_of(staff_client.get(f"/portal/{company.slug}/"))
    assert "Staff preview" in page and "Hello, Frank" in page
    assert staff_client.post(f"/portal/{company.slug}/sign-out").status_code == 403
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "portal.viewed_as")
        )
        == 1
    )
    staff_client.post("/view-as/stop")
    assert staff_client.get(f"/portal/{company.slug}/").status_code in (302, 404)


def test_a_preview_ends_when_its_staff_member_may_no_longer_manage_portal_access(
    staff_client, owner, contact, company, db
):
    staff_client.post(f"/customers/{contact.customer_id}/contacts/{contact.id}/view-as")
    assert "Staff preview" in text_of(staff_client.get(f"/portal/{company.slug}/"))
    owner.role = StaffRole.TECHNICIAN  # demoted by another owner while previewing
    db.session.flush()
    response = staff_client.get(f"/portal/{company.slug}/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"


def test_technicians_have_no_access_screens(client, company, contact, create):
    sign_in(client, create.staff(company, role=StaffRole.TECHNICIAN))
    assert client.get(access_url(contact)).status_code == 404


def test_contact_of_another_customer_in_the_url_is_404(staff_client, contact, create, company):
    other = create.customer(company)
    assert (
        staff_client.get(f"/customers/{other.id}/contacts/{contact.id}/access").status_code == 404
    )


def test_customer_page_links_to_each_contacts_access_screen(staff_client, contact):
    html = staff_client.get(f"/customers/{contact.customer_id}").get_data(as_text=True)
    assert f'href="{access_url(contact)}"' in html
    assert f'href="/customers/{contact.customer_id}"' in staff_client.get(
        access_url(contact)
    ).get_data(as_text=True)


# --- nothing is sent that would let no one in -------------------------------------------


def _switch_off(company, db, method):
    company.login_methods = [m.value for m in LoginMethod if m != method]
    db.session.flush()


def test_no_sign_in_link_is_sent_while_emailed_links_are_off(staff_client, contact, company, db):
    _switch_off(company, db, LoginMethod.MAGIC_LINK)
    response = staff_client.post(access_url(contact, "/link"))
    assert response.status_code == 422
    assert "Nothing was sent. Sign-in by emailed link is switched off in Settings" in text_of(
        response
    )
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    assert db.session.scalar(select(func.count(LoginLink.id))) == 0


def test_no_activation_email_on_the_free_plan(staff_client, contact, company, db):
    company.plan = Plan.FREE
    db.session.flush()
    response = staff_client.post(access_url(contact, "/activation"))
    assert response.status_code == 422
    assert "Nothing was sent. The customer portal is part of the Pro plan." in text_of(response)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    db.session.refresh(contact)
    assert contact.password_hash is None and not contact.password_is_temporary


def test_a_pin_is_saved_but_not_emailed_while_pin_sign_in_is_off(
    staff_client, contact, company, db
):
    _switch_off(company, db, LoginMethod.PIN)
    contact.phone = "+13125550199"
    db.session.flush()
    refused = staff_client.post(access_url(contact, "/pin"), data={"pin": "2468", "send": "y"})
    assert refused.status_code == 422
    assert "Nothing was sent. Sign-in by phone and PIN is switched off" in text_of(refused)
    db.session.refresh(contact)
    assert contact.pin_hash is None, "refused whole: the PIN was not saved either"
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    saved = staff_client.post(access_url(contact, "/pin"), data={"pin": "2468"})
    assert saved.status_code == 303
    db.session.refresh(contact)
    assert verify_secret(contact.pin_hash, "2468")
