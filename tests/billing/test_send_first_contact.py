"""Invoice Send to a customer with an email but no contact: the customer's first contact
is made from that email (an admin) and the email carries a sign-in link to the invoice,
instead of a portal address nobody could get into."""

import re

import pytest
from sqlalchemy import func, select

from fieldportal.models import AuditEvent, Contact, LoginLink, LoginMethod, OutboxEmail
from fieldportal.services.billing import invoices
from fieldportal.services.mail.outbox_secrets import reveal
from tests.helpers import text_of

from .conftest import line


def _contacts(db, customer):
    return db.session.scalars(select(Contact).where(Contact.customer_id == customer.id)).all()


def _email_text(db):
    return reveal(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first())[
        0
    ]


def test_the_first_contact_is_made_from_the_customers_email_and_gets_a_link(
    app, db, company, create, owner
):
    customer = create.customer(company, name="Ada Lovelace", email="Ada@Example.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    assert invoices.send_invoice(invoice, by=owner) == "Ada@Example.test"
    [contact] = _contacts(db, customer)
    assert (contact.name, contact.email) == ("Ada Lovelace", "ada@example.test")
    assert contact.is_admin and contact.portal_access and contact.invited_at is not None
    assert db.session.scalar(select(LoginLink).where(LoginLink.contact_id == contact.id))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.added"))
    assert (event.staff_user_id, event.customer_id) == (owner.id, customer.id)
    text = _email_text(db)
    assert "Hello Ada," in text
    assert "this link works once" in text
    token = re.search(r"/portal/acme/link/([A-Za-z0-9_-]{43})", text).group(1)
    # The link signs the new contact in and leads to the invoice.
    client = app.test_client()
    invoice_path = f"/portal/acme/invoices/{invoice.id}"
    response = client.post(f"/portal/acme/link/{token}", data={"next": invoice_path})
    assert response.status_code == 303 and response.headers["Location"] == invoice_path
    assert f"Invoice #{invoice.number}" in text_of(client.get(invoice_path))
    # Sent again: no second contact, no second link.
    invoices.send_invoice(invoice, by=owner)
    assert len(_contacts(db, customer)) == 1
    assert db.session.scalar(select(func.count(LoginLink.id))) == 1


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["plain", "htmx"])
def test_staff_sending_from_the_invoice_page_gives_the_customer_a_contact(
    staff_client, db, company, create, owner, headers
):
    customer = create.customer(company, name="Pine Dental", email="desk@pine.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    response = staff_client.post(f"/invoices/{invoice.id}/send", headers=headers)
    if headers:  # htmx: the page reloads at the invoice
        assert response.headers["HX-Redirect"] == f"/invoices/{invoice.id}"
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == f"/invoices/{invoice.id}"
    [contact] = _contacts(db, customer)
    assert contact.email == "desk@pine.test" and contact.is_admin
    assert "/portal/acme/link/" in _email_text(db)
    page = text_of(staff_client.get(f"/customers/{customer.id}"))
    assert "Pine Dental Admin" in page and "desk@pine.test" in page


def test_a_customer_with_a_contact_gets_no_new_one(db, company, create, owner):
    customer = create.customer(company, email="billing@pine.test")
    create.contact(customer, email=None, name="No Email")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    assert invoices.send_invoice(invoice, by=owner) == "billing@pine.test"
    assert [c.name for c in _contacts(db, customer)] == ["No Email"]
    assert "/link/" not in _email_text(db)


def test_an_address_another_contact_uses_makes_no_contact_and_the_invoice_still_goes(
    db, company, create, owner
):
    create.contact(create.customer(company), email="shared@pine.test")
    customer = create.customer(company, email="shared@pine.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    assert invoices.send_invoice(invoice, by=owner) == "shared@pine.test"
    assert _contacts(db, customer) == []
    text = _email_text(db)
    assert "/link/" not in text and f"/portal/acme/invoices/{invoice.id}" in text
    assert invoice.status.value == "sent"


def test_without_emailed_links_the_contact_is_made_but_no_link_sent(db, company, create, owner):
    company.login_methods = [LoginMethod.PASSWORD.value]
    customer = create.customer(company, email="ada@example.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    [contact] = _contacts(db, customer)
    assert contact.email == "ada@example.test"
    assert db.session.scalar(select(LoginLink)) is None
    assert "/link/" not in _email_text(db)


def test_no_link_into_a_portal_that_is_switched_off(db, company, create, owner):
    company.portal_enabled = False
    customer = create.customer(company, email="ada@example.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    assert db.session.scalar(select(LoginLink)) is None
    assert "/link/" not in _email_text(db)
