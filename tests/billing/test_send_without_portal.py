"""While a company's portal is not open (the Free plan: the portal is a Pro feature; or
staff switched it off) every portal address answers "unavailable". So an invoice or quote
email carries no portal address and no sign-in link: it carries the document's lines and
totals and says how to answer it (reply, or the company's phone)."""

import re

import pytest
from sqlalchemy import select

from fieldportal.models import LoginLink, OutboxEmail, Plan
from fieldportal.services.billing import invoices, quotes
from fieldportal.services.mail.outbox_secrets import reveal

from .conftest import line

CLOSED = [{"plan": Plan.FREE}, {"portal_enabled": False}]
CLOSED_IDS = ["free-plan", "portal-off"]


def _close(db, company, change):
    for name, value in change.items():
        setattr(company, name, value)
    db.session.flush()


def _email(db) -> tuple[str, str]:
    email = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    return reveal(email)


def _lines():
    return [line("Brake pads", "2", 4_500), line("Labour", "1", 9_000)]


@pytest.mark.parametrize("change", CLOSED, ids=CLOSED_IDS)
def test_the_invoice_email_carries_the_invoice_and_no_portal_address(
    db, company, create, owner, change
):
    _close(db, company, change)
    company.email, company.phone = "desk@acme.test", "+13125550100"
    customer = create.customer(company, name="Pine Dental", email="desk@pine.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=_lines())
    assert invoices.send_invoice(invoice, by=owner) == "desk@pine.test"
    text, html = _email(db)
    for body in (text, html):
        assert "/portal/" not in body and "customer portal" not in body
        assert "Brake pads" in body and "$90.00" in body and "Labour" in body
        assert f"{invoice.total_cents / 100:,.2f}" in body
        assert "reply to this email or call Acme Mobile Mechanics on (312) 555-0100" in body
    assert "Brake pads x 2: $90.00" in text
    assert "To pay it or ask about it" in text
    # No way in was handed out: no sign-in link, the new contact not invited.
    assert db.session.scalar(select(LoginLink)) is None
    [contact] = customer_contacts(db, customer)
    assert contact.invited_at is None


@pytest.mark.parametrize("change", CLOSED, ids=CLOSED_IDS)
def test_the_quote_email_says_how_to_answer_it_without_the_portal(
    db, company, create, owner, change
):
    _close(db, company, change)
    company.email, company.phone = None, None
    customer = create.customer(company, email="fleet@pine.test")
    quote = quotes.create_quote(customer, title="Brakes", by=owner, lines=_lines())
    quotes.send_quote(quote, by=owner)
    text, html = _email(db)
    for body in (text, html):
        assert "/portal/" not in body and "customer portal" not in body
        assert "Brake pads" in body
        assert "To accept it, decline it or ask for changes, contact Acme Mobile Mechanics." in (
            body
        )


def test_with_the_portal_open_the_emails_lead_to_it(db, company, create, owner):
    customer = create.customer(company, email="fleet@pine.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=_lines())
    invoices.send_invoice(invoice, by=owner)
    text, _ = _email(db)
    assert re.search(r"https://portal\.example\.test/portal/acme/link/\S+", text)
    assert "To pay it or ask about it" not in text and "Brake pads" not in text


def test_staff_resending_from_the_invoice_page_on_the_free_plan(
    staff_client, db, company, create, owner
):
    """Through the page, twice: the second send (already sent) has its lines to show too."""
    _close(db, company, {"plan": Plan.FREE})
    customer = create.customer(company, name="Pine Dental", email="desk@pine.test")
    invoice = invoices.create_invoice(customer, by=owner, lines=_lines())
    db.session.flush()
    for _ in range(2):
        response = staff_client.post(f"/invoices/{invoice.id}/send")
        assert response.status_code == 303
        text, _ = _email(db)
        assert "Brake pads x 2" in text and "/portal/" not in text
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 2


def customer_contacts(db, customer):
    from fieldportal.models import Contact

    return db.session.scalars(select(Contact).where(Contact.customer_id == customer.id)).all()
