"""THE overdue-invoice rule (services/invoices.py): its SQL twin agrees, and every page
shows the one badge shown_status computes."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldportal.models import Invoice, InvoiceStatus
from fieldportal.services.billing.invoices import (
    ShownStatus,
    is_overdue,
    overdue_clause,
    shown_status,
)
from fieldportal.services.clock import company_today
from tests.helpers import first_contact, sign_in

S = InvoiceStatus


# (stored status, days until due (None: no due date), cents paid of 10,000) → badge
CASES = [
    (S.DRAFT, -5, 0, ShownStatus.DRAFT),
    (S.SENT, 1, 0, ShownStatus.OPEN),
    (S.SENT, 0, 0, ShownStatus.OPEN),  # due today is not overdue yet
    (S.SENT, -1, 0, ShownStatus.OVERDUE),
    (S.SENT, None, 0, ShownStatus.OPEN),
    (S.SENT, -1, 2_500, ShownStatus.PARTIALLY_PAID),
    (S.SENT, 1, 2_500, ShownStatus.PARTIALLY_PAID),
    (S.PAID, -30, 10_000, ShownStatus.PAID),
    (S.VOID, -30, 0, ShownStatus.VOID),
]


def _invoice(create, customer, today, status, due_in, paid):
    due_on = None if due_in is None else today + timedelta(days=due_in)
    return create.invoice(
        customer, status, lines=(("Labour", 10_000),), due_on=due_on, amount_paid_cents=paid
    )


@pytest.mark.parametrize(("status", "due_in", "paid", "badge"), CASES)
def test_sql_overdue_clause_agrees_with_is_overdue(
    db, create, company, customer, status, due_in, paid, badge
):
    today = company_today(company)
    invoice = _invoice(create, customer, today, status, due_in, paid)
    in_sql = db.session.scalar(
        select(Invoice.id).where(Invoice.id == invoice.id, overdue_clause(today))
    )
    assert (in_sql is not None) == is_overdue(invoice, today)
    assert shown_status(invoice, today) == badge
    # Overdue money is owed money: a partially paid invoice past due is overdue too.
    assert is_overdue(invoice, today) == (status == S.SENT and due_in is not None and due_in < 0)


LABELS = {
    ShownStatus.DRAFT: "Draft",
    ShownStatus.OPEN: "Open",
    ShownStatus.OVERDUE: "Overdue",
    ShownStatus.PARTIALLY_PAID: "Partially paid",
    ShownStatus.PAID: "Paid",
    ShownStatus.VOID: "Void",
}


def _badge(html: str) -> str:
    """The text of the first badge in ``html``."""
    start = html.index('<span class="badge')
    badge = html[start : html.index("</span>", start)]
    return badge[badge.index(">") + 1 :].strip()


@pytest.mark.parametrize(("status", "due_in", "paid", "badge"), CASES)
def test_operator_and_portal_detail_pages_show_the_computed_badge(
    client, create, company, owner, customer, status, due_in, paid, badge
):
    invoice = _invoice(create, customer, company_today(company), status, due_in, paid)
    sign_in(client, owner)
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert _badge(heading) == LABELS[badge]
    if status == S.DRAFT:
        return  # drafts never reach the portal
    sign_in(client, first_contact(customer))
    page = client.get(f"/portal/acme/invoices/{invoice.id}").get_data(as_text=True)
    assert _badge(page[page.index('<p><span class="badge') :]) == LABELS[badge]


def test_operator_overdue_filter_lists_exactly_the_overdue_invoices(
    staff_client, create, company, customer
):
    today = company_today(company)
    made = [_invoice(create, customer, today, *case[:3]) for case in CASES]
    html = staff_client.get("/invoices?status=overdue").get_data(as_text=True)
    listed = {invoice.number for invoice in made if f">#{invoice.number}</a>" in html}
    assert listed == {invoice.number for invoice in made if is_overdue(invoice, today)}
    assert len(listed) == 2
    for invoice in made:
        if invoice.number in listed:
            row = html[html.index(f">#{invoice.number}</a>") :]
            assert _badge(row) == LABELS[shown_status(invoice, today)]


def test_portal_list_badges_match_shown_status(client, create, company, customer):
    today = company_today(company)
    made = [_invoice(create, customer, today, *case[:3]) for case in CASES if case[0] != S.DRAFT]
    sign_in(client, first_contact(customer))
    html = client.get("/portal/acme/invoices?state=all").get_data(as_text=True)
    for invoice in made:
        card = html[html.index(f"Invoice #{invoice.number}</a>") :]
        assert _badge(card) == LABELS[shown_status(invoice, today)], invoice.number
