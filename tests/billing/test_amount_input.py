"""Typed amounts (prices, quantities, tax rates, payments): values hypothesis found to
give 500s — NaN, Infinity, exponents, -0, huge digit strings — are refused on the field
with a 422 and nothing is written. Limits keep every figure inside the 32-bit cents
columns, so PostgreSQL never overflows (run this file with FIELDPORTAL_TEST_DATABASE_URL)."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fieldportal.models import CheckoutPayment, Invoice, LineItem, Payment, Quote
from fieldportal.services.billing.money import (
    MAX_CENTS,
    parse_money,
    parse_percent,
    parse_quantity,
)
from fieldportal.services.errors import Invalid
from tests.helpers import first_contact, sign_in, text_of

BAD_NUMBERS = [
    "NAN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1E100",
    "1e-100",
    "1E999999",
    "-0",
    "-5",
    "9" * 60,
    "0." + "0" * 59 + "1",
    "1.005",
    "0x10",
    "١٢",  # Arabic-Indic digits: Decimal() would take them, we do not
    ".",
    "1.2.3",
]
# A tax rate may have 4 decimals of a percent (8.875 % is real), so 1.005 is a fine rate;
# five decimals are not.
BAD_RATES = [value for value in BAD_NUMBERS if value != "1.005"] + ["1.00005", "8.87501"]
BAD_FIELD_VALUES = [
    (field, value) for field in ("lines-0-quantity", "lines-0-unit_price") for value in BAD_NUMBERS
] + [("tax_percent", value) for value in BAD_RATES]


def count(model) -> int:
    from fieldportal.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def invoice_post(customer, **overrides):
    data = {
        "customer_id": str(customer.id),
        "billing_terms": "net_30",
        "tax_percent": "0",
        "lines-0-description": "Labour",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10.00",
        "lines-0-taxable": "y",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("field", "value"), BAD_FIELD_VALUES)
def test_bad_numbers_in_invoice_lines_are_422_and_write_nothing(
    staff_client, customer, field, value
):
    response = staff_client.post("/invoices/new", data=invoice_post(customer, **{field: value}))
    assert response.status_code == 422
    text = text_of(response)
    assert "Enter a" in text or "decimal places" in text
    assert count(Invoice) == 0 and count(LineItem) == 0


@pytest.mark.parametrize("value", ["NAN", "Infinity", "1E100", "-0", "9" * 60, "1.005"])
def test_bad_numbers_in_quote_lines_are_422(staff_client, customer, value):
    response = staff_client.post(
        "/quotes/new",
        data={
            "customer_id": str(customer.id),
            "title": "Brakes",
            "lines-0-description": "Pads",
            "lines-0-quantity": value,
            "lines-0-unit_price": value,
        },
    )
    assert response.status_code == 422
    assert count(Quote) == 0 and count(LineItem) == 0


def test_editing_a_draft_with_a_bad_price_keeps_the_old_lines(staff_client, db, customer):
    created = staff_client.post("/invoices/new", data=invoice_post(customer))
    assert created.status_code == 303
    invoice = db.session.scalar(select(Invoice))
    response = staff_client.post(
        f"/invoices/{invoice.id}/edit", data=invoice_post(customer, **{"lines-0-unit_price": "NaN"})
    )
    assert response.status_code == 422
    db.session.refresh(invoice, ["lines"])
    assert [line.unit_price_cents for line in invoice.lines] == [1_000]


@pytest.mark.parametrize("value", BAD_NUMBERS + ["0", "0.00", ""])
def test_bad_payment_amounts_are_422_and_record_nothing(staff_client, db, create, customer, value):
    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    response = staff_client.post(
        f"/invoices/{invoice.id}/payments", data={"amount": value, "method": "cash"}
    )
    assert response.status_code == 422
    assert count(Payment) == 0
    db.session.refresh(invoice)
    assert invoice.amount_paid_cents == 0


@pytest.mark.parametrize("value", ["NAN", "Infinity", "1E100", "1E999999", "-0", "9" * 60, "1.005"])
def test_bad_portal_partial_amounts_are_422(client, db, create, customer, stripe_on, value):
    sign_in(client, first_contact(customer))
    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    response = client.post(f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": value})
    assert response.status_code == 422
    assert count(CheckoutPayment) == 0


def test_largest_allowed_figures_are_stored_exactly(staff_client, db, customer):
    """10,000,000.00 is the largest price/total; 100 % tax on half of it reaches it too."""
    largest = staff_client.post(
        "/invoices/new", data=invoice_post(customer, **{"lines-0-unit_price": "10,000,000.00"})
    )
    assert largest.status_code == 303
    taxed = staff_client.post(
        "/invoices/new",
        data=invoice_post(
            customer,
            **{"lines-0-unit_price": "50000", "lines-0-quantity": "100", "tax_percent": "100"},
        ),
    )
    assert taxed.status_code == 303
    totals = db.session.scalars(select(Invoice.total_cents).order_by(Invoice.id)).all()
    assert totals == [MAX_CENTS, MAX_CENTS]


@pytest.mark.parametrize(
    "overrides",
    [
        {"lines-0-unit_price": "10000000.01"},
        {"lines-0-unit_price": "50000", "lines-0-quantity": "100.01", "tax_percent": "100"},
        {"lines-0-unit_price": "10000000", "lines-0-quantity": "100000"},
        {"lines-0-quantity": "100000.01"},
        {"tax_percent": "100.01"},
    ],
)
def test_figures_past_the_limits_are_refused(staff_client, customer, overrides):
    response = staff_client.post("/invoices/new", data=invoice_post(customer, **overrides))
    assert response.status_code == 422
    assert count(Invoice) == 0


def test_parsers_accept_plain_amounts():
    assert parse_money(" 1,234.5 ") == Decimal("1234.50")
    assert parse_money(".5") == Decimal("0.50")
    assert parse_money("0") == Decimal("0.00")
    assert parse_quantity("2.25") == Decimal("2.25")
    assert parse_percent("8.25") == Decimal("8.25")
    assert parse_percent("8.875") == Decimal("8.875")
    assert parse_percent("0.0001") == Decimal("0.0001")
    for parse in (parse_money, parse_quantity, parse_percent):
        for value in ("NaN", "-0", "1E3", "1.00001"):
            with pytest.raises(Invalid):
                parse(value)
    for parse in (parse_money, parse_quantity):
        with pytest.raises(Invalid, match="at most 2 decimal places"):
            parse("1.001")
    with pytest.raises(Invalid, match="at most 4 decimal places"):
        parse_percent("8.87501")
    with pytest.raises(Invalid, match="more than zero"):
        parse_quantity("0.00")


def test_commas_only_as_thousands_separators():
    assert parse_money("1,250,000.50") == Decimal("1250000.50")
    assert parse_money("999") == Decimal("999.00")
    # A decimal comma or a stray separator would multiply the amount: refused, not guessed.
    for typed in ("12,50", "1,5", ",5", "1,,,0", "1,2345", "12,5.00"):
        with pytest.raises(Invalid, match="in digits"):
            parse_money(typed)
    with pytest.raises(Invalid):
        parse_quantity("1,5")


def test_a_decimal_comma_quantity_is_refused_not_read_as_a_bigger_one(staff_client, customer):
    response = staff_client.post(
        "/invoices/new",
        data=invoice_post(customer, **{"lines-0-quantity": "1,5"}),
    )
    assert response.status_code == 422
    assert count(Invoice) == 0
