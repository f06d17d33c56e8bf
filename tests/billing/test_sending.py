"""Sending invoices and quotes: the outbox email, portal provisioning, no email on file."""

import re

import pytest
from sqlalchemy import select

from fieldportal.models import LoginLink, LoginMethod, OutboxEmail
from fieldportal.services.billing import invoices, quotes
from fieldportal.services.errors import Invalid
from fieldportal.services.mail.outbox_secrets import reveal
from fieldportal.services.portal import portal_auth

from .conftest import line


def test_send_invoice_queues_email_and_provisions_portal_access(db, app, company, create, owner):
    customer = create.customer(company, name="Pine Dental", email=None)
    contact = create.contact(customer, name="Priya Pine", email="priya@pine.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    address = invoices.send_invoice(invoice, by=owner)
    assert address == "priya@pine.test"
    email = db.session.scalar(select(OutboxEmail))
    assert email.to_address == "priya@pine.test"
    assert email.kind == "invoice_sent"
    assert f"Invoice #{invoice.number}" in email.subject
    text, _ = reveal(email)
    assert "$100.00" in email.text_body
    assert "https://portal.example.test/portal/acme/" in text
    link = db.session.scalar(select(LoginLink).where(LoginLink.contact_id == contact.id))
    assert link is not None and link.used_at is None
    # the raw token is in the email, only its hash in the database
    assert link.token_hash not in text
    assert contact.invited_at is not None and contact.portal_access


def test_second_send_does_not_provision_again(db, app, company, create, owner):
    customer = create.customer(company, email=None)
    contact = create.contact(customer, email="a@b.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    invoices.send_invoice(invoice, by=owner)
    links = db.session.scalars(select(LoginLink).where(LoginLink.contact_id == contact.id)).all()
    assert len(links) == 1
    bodies = [e.text_body for e in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))]
    assert "this link works once" in bodies[0]
    assert "this link works once" not in bodies[1]


def test_no_email_on_file_sends_nothing(db, app, company, create, owner):
    customer = create.customer(company, email=None)
    create.contact(customer, email=None)
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    with pytest.raises(Invalid, match="No email on file"):
        invoices.send_invoice(invoice, by=owner)
    assert invoice.status.value == "draft"
    assert db.session.scalar(select(OutboxEmail)) is None


def test_user_text_is_escaped_in_the_html_email(db, app, company, create, owner):
    customer = create.customer(company, email=None)
    create.contact(customer, name="<script>x</script> {{7*7}}", email="x@y.test")
    quote = quotes.create_quote(customer, title="<b>Brakes</b>", lines=[line()])
    quotes.send_quote(quote, by=owner)
    email = db.session.scalar(select(OutboxEmail))
    assert "<b>Brakes</b>" not in email.html_body
    assert "&lt;b&gt;Brakes&lt;/b&gt;" in email.html_body
    assert "<script>" not in email.html_body
    assert "49" not in email.html_body


def _link_token(email) -> str:
    text, _ = reveal(email)
    match = re.search(r"/portal/acme/link/([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def test_the_invoice_email_link_signs_the_contact_in_once(client, db, company, create, owner):
    customer = create.customer(company, email=None)
    contact = create.contact(customer, email="new@pine.test", portal_access=False)
    earlier = portal_auth.issue_login_link(contact)
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    token = _link_token(db.session.scalar(select(OutboxEmail)))
    # the portal's sign-in service issued it: earlier links of the contact stop working
    assert portal_auth.look_up_link(company, earlier).state == portal_auth.LinkState.EXPIRED
    assert client.post(f"/portal/acme/link/{token}").status_code == 303
    assert client.get(f"/portal/acme/invoices/{invoice.id}").status_code == 200
    assert portal_auth.consume_link(company, token) is None


def test_the_invoice_email_leads_to_the_invoice_through_sign_in(client, db, company, create, owner):
    customer = create.customer(company, email=None)
    create.contact(customer, email="new@pine.test", portal_access=False)
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    email = db.session.scalar(select(OutboxEmail))
    invoice_path = f"/portal/acme/invoices/{invoice.id}"
    link = re.search(r"https://portal\.example\.test(/portal/acme/link/\S+)", reveal(email)[0])
    continue_page = client.get(link.group(1)).get_data(as_text=True)
    assert f'name="next" value="{invoice_path}"' in continue_page
    token = _link_token(email)
    response = client.post(f"/portal/acme/link/{token}", data={"next": invoice_path})
    assert response.headers["Location"] == invoice_path
    # sent again to a contact who has access: a plain link to the invoice
    invoices.send_invoice(invoice, by=owner)
    again = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    assert f"https://portal.example.test{invoice_path}\n" in again.text_body


def test_quote_email_links_to_the_quote(db, company, create, owner):
    customer = create.customer(company, email="fleet@pine.test")
    quote = quotes.create_quote(customer, title="Brakes", by=owner, lines=[line()])
    quotes.send_quote(quote, by=owner)
    email = db.session.scalar(select(OutboxEmail))
    assert f"https://portal.example.test/portal/acme/quotes/{quote.id}\n" in email.text_body


def test_no_login_link_when_the_company_does_not_allow_emailed_links(db, company, create, owner):
    company.login_methods = [m.value for m in LoginMethod if m != LoginMethod.MAGIC_LINK]
    customer = create.customer(company, email=None)
    contact = create.contact(customer, email="p@pine.test", portal_access=False)
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    email = db.session.scalar(select(OutboxEmail))
    assert "/link/" not in email.text_body and "https://portal.example.test/portal/acme/" in (
        email.text_body
    )
    assert db.session.scalar(select(LoginLink)) is None and not contact.portal_access
