"""The payments received page (/payments) and its CSV: newest first, the method filter,
keyset pages, another company's payments absent."""

from datetime import UTC, datetime, timedelta

import pytest

from fieldportal.extensions import db
from fieldportal.models import Payment, PaymentMethod
from fieldportal.services.billing import payment_list
from tests.exports.conftest import read_csv
from tests.helpers import next_page_href, text_of

START = datetime(2026, 5, 1, 15, 30, tzinfo=UTC)


def _payment(invoice, method, cents, *, days=0, by=None, reference=None):
    payment = Payment(
        company_id=invoice.company_id,
        invoice=invoice,
        method=method,
        amount_cents=cents,
        reference=reference,
        received_at=START + timedelta(days=days),
        recorded_by_id=by.id if by else None,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


@pytest.fixture
def received(create, company, other_company, customer, owner):
    invoice = create.invoice(customer, amount_paid_cents=7_500)
    check = _payment(invoice, PaymentMethod.CHECK, 2_500, days=0, by=owner, reference="=CHK 1001")
    card = _payment(invoice, PaymentMethod.CARD, 5_000, days=2)
    rival = create.invoice(create.customer(other_company, name="Rival Customer"))
    _payment(rival, PaymentMethod.CASH, 9_900, days=1)
    return invoice, check, card


def test_payments_page_lists_the_company_payments_newest_first(staff_client, received):
    invoice, check, card = received
    response = staff_client.get("/payments")
    assert response.status_code == 200
    text = text_of(response)
    number = invoice.number
    assert (
        f"May 3, 2026 #{number} Harbor Bakery Card — $50.00 — Online "
        f"May 1, 2026 #{number} Harbor Bakery Check =CHK 1001 $25.00 — Olivia Owner"
    ) in text
    assert "Rival Customer" not in text and "$99.00" not in text


def test_method_filter_as_an_htmx_fragment(staff_client, received):
    response = staff_client.get("/payments?method=check", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="payment-table"')
    assert "Check" in html and "Online" not in html
    assert 'href="/payments?method=check&amp;format=csv"' in html


def test_payments_csv_honours_the_filter_and_keeps_formulas_inert(staff_client, company, received):
    invoice, check, card = received
    rows = read_csv(staff_client.get("/payments?format=csv&dir=asc"))
    assert [row["ID"] for row in rows] == [str(check.id), str(card.id)]
    first = rows[0]
    assert first["Received"] == "2026-05-01T10:30:00-05:00"  # in the company's zone
    assert (first["Invoice"], first["Customer"], first["Method"]) == (
        str(invoice.number),
        "Harbor Bakery",
        "check",
    )
    assert first["Reference"] == "'=CHK 1001" and first["Amount"] == "25.00"
    assert first["Recorded by"] == "Olivia Owner" and rows[1]["Recorded by"] == ""
    only_cards = read_csv(staff_client.get("/payments?method=card&format=csv"))
    assert [row["ID"] for row in only_cards] == [str(card.id)]


def test_following_next_walks_every_payment_once(staff_client, create, customer, monkeypatch):
    monkeypatch.setattr(payment_list, "PAYMENTS_PER_PAGE", 4)
    invoice = create.invoice(customer, lines=(("Labour", 100_000),))
    # Ties on the time received are ordered by id, so none is skipped or shown twice.
    made = [_payment(invoice, PaymentMethod.CASH, 100 + n, days=n // 3) for n in range(10)]
    pages, url = [], "/payments?method=cash"
    while url:
        response = staff_client.get(url)
        html = response.get_data(as_text=True)
        pages.append({p.amount_cents for p in made if f"${p.amount_cents / 100:.2f}" in html})
        url = next_page_href(response) if 'rel="next"' in html else None
    # Newest first (day 3, then day 2's three, ...), every payment on exactly one page.
    assert pages == [{109, 108, 107, 106}, {105, 104, 103, 102}, {101, 100}]
