"""The edges of services/billing/money.py that `make mutate money` found no test for: how a
rate reads, the message each bad amount or quantity gets, the [start, end) of what was
invoiced, the customer a figure is scoped to, zero (not nothing) when there is nothing,
and the lines a document keeps after its lines are replaced."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from fieldportal.models import Customer, InvoiceStatus, LineItem
from fieldportal.services.billing import money
from fieldportal.services.billing.money import LineInput
from fieldportal.services.errors import Invalid


@pytest.mark.parametrize(
    ("ppm", "shown"),
    [
        (88_750, "8.875"),
        (82_500, "8.25"),
        (100_000, "10"),
        (1_000_000, "100"),  # Decimal's own text would be 1E+2
        (5_000, "0.5"),
        (1, "0.0001"),
        (0, "0"),
    ],
)
def test_a_rate_reads_with_no_trailing_zeros(ppm, shown):
    assert money.format_percent(ppm) == shown


def _refusal(parse, text) -> str:
    with pytest.raises(Invalid) as refused:
        parse(text)
    return str(refused.value)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (money.parse_money, "", "Enter an amount in digits, like 125.00."),
        (money.parse_money, "12,50", "Enter an amount in digits, like 125.00."),
        (money.parse_money, "-3", "Enter an amount of zero or more, like 125.00."),
        (money.parse_money, "10,000,000.01", "Enter an amount of at most 10,000,000."),
        (money.parse_money, "1.005", "Use at most 2 decimal places."),
        (money.parse_quantity, "lots", "Enter a quantity in digits, like 1.5."),
        (money.parse_quantity, "0", "Enter a quantity more than zero."),
        (money.parse_quantity, "100,000.01", "Enter a quantity of at most 100,000."),
    ],
)
def test_each_bad_amount_or_quantity_gets_its_message(parse, text, message):
    assert _refusal(parse, text) == message


def test_the_largest_amount_is_taken():
    assert money.parse_money("10,000,000.00") == Decimal("10000000.00")


def test_a_rate_that_would_not_be_stored_exactly_is_refused_saying_why():
    with pytest.raises(ValueError, match=r"1\.23456 % has more than 4 decimal places"):
        money.percent_to_ppm(Decimal("1.23456"))


def test_month_to_date_is_the_first_to_tomorrow():
    assert money.month_to_date_bounds(date(2030, 3, 17)) == (date(2030, 3, 1), date(2030, 3, 18))
    assert money.month_to_date_bounds(date(2030, 3, 1)) == (date(2030, 3, 1), date(2030, 3, 2))


@pytest.fixture
def two_customers(create, company):
    return create.customer(company, name="Harbour"), create.customer(company, name="Other")


def test_invoiced_counts_the_first_day_and_not_the_end(create, company, two_customers):
    harbour, other = two_customers
    start, end = date(2030, 3, 1), date(2030, 4, 1)
    for issued_on, cents in (
        (start - timedelta(days=1), 1),
        (start, 10),
        (end - timedelta(days=1), 100),
        (end, 1_000),
    ):
        create.invoice(harbour, issued_on=issued_on, lines=(("Work", cents),))
    create.invoice(other, issued_on=start, lines=(("Theirs", 10_000),))
    create.invoice(harbour, InvoiceStatus.DRAFT, issued_on=start, lines=(("Draft", 100_000),))
    assert money.invoiced_cents(company.id, start, end, customer_id=harbour.id) == 110
    assert money.invoiced_cents(company.id, start, end) == 10_110
    assert money.invoiced_cents(company.id, end + timedelta(days=30), end + timedelta(days=60)) == 0


def test_open_ar_is_scoped_to_the_customer_and_zero_when_nothing_is_owed(
    create, company, two_customers
):
    harbour, other = two_customers
    assert money.open_ar_cents(company.id, customer_id=harbour.id) == 0
    create.invoice(other, lines=(("Theirs", 5_000),))
    create.invoice(harbour, lines=(("Ours", 700),))
    assert money.open_ar_cents(company.id, customer_id=harbour.id) == 700
    assert money.open_ar_cents(company.id) == 5_700


def test_the_per_row_figures_are_zero_for_a_customer_with_no_invoices(db, two_customers):
    harbour, _ = two_customers
    start, end = date(2030, 3, 1), date(2030, 4, 1)
    row = db.session.execute(
        select(
            money.open_ar_of_customer(Customer.id),
            money.invoiced_of_customer(Customer.id, start, end),
        ).where(Customer.id == harbour.id)
    ).one()
    assert tuple(row) == (0, 0)


def test_the_per_row_invoiced_figure_is_each_customers_own(db, create, two_customers):
    harbour, other = two_customers
    create.invoice(harbour, lines=(("Ours", 700),))
    create.invoice(other, lines=(("Theirs", 5_000),))
    start, end = money.month_to_date_bounds(date.today())
    figures = dict(
        db.session.execute(
            select(Customer.id, money.invoiced_of_customer(Customer.id, start, end)).where(
                Customer.id.in_((harbour.id, other.id))
            )
        ).all()
    )
    assert figures == {harbour.id: 700, other.id: 5_000}


def test_replacing_lines_keeps_exactly_the_new_ones_in_order(db, create, two_customers):
    harbour, _ = two_customers
    invoice = create.invoice(
        harbour, InvoiceStatus.DRAFT, lines=(("Old one", 100), ("Old two", 200))
    )
    db.session.flush()
    money.replace_lines(
        invoice,
        [
            LineInput("Brake pads", Decimal("2.5"), 4_000, taxable=False),
            LineInput("Labour", Decimal("1"), 9_000),
        ],
    )
    db.session.expire_all()
    stored = db.session.scalars(
        select(LineItem).where(LineItem.invoice_id == invoice.id).order_by(LineItem.position)
    ).all()
    assert [(line.position, line.description) for line in stored] == [
        (0, "Brake pads"),
        (1, "Labour"),
    ]
    assert [(line.quantity, line.taxable, line.amount_cents) for line in stored] == [
        (Decimal("2.5"), False, 10_000),
        (Decimal("1"), True, 9_000),
    ]


def test_a_total_too_large_is_refused_with_the_reason_and_keeps_the_old_lines(
    db, create, two_customers
):
    harbour, _ = two_customers
    invoice = create.invoice(harbour, InvoiceStatus.DRAFT, lines=(("Old one", 100),))
    db.session.flush()
    huge = LineInput("Everything", Decimal("100000"), money.MAX_CENTS)
    with pytest.raises(Invalid) as refused:
        money.replace_lines(invoice, [huge])
    assert str(refused.value) == money.TOTAL_TOO_LARGE
    assert [line.description for line in invoice.lines] == ["Old one"]
