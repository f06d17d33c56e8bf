"""The A/R ageing report (services/billing/ageing.py): which bucket each invoice's balance
falls in (the SQL and Python twins agree), the page and its CSV, counted from the
company's today in its own time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldportal.models import InvoiceStatus
from fieldportal.services import clock
from fieldportal.services.billing import ageing
from fieldportal.services.clock import company_today
from tests.exports.conftest import read_csv
from tests.helpers import text_of

S = InvoiceStatus

# (status, days past due (negative: not yet due; None: no due date), cents paid of 10,000)
# → the bucket its balance is counted in (None: it owes nothing)
CASES = [
    (S.SENT, -10, 0, "current"),
    (S.SENT, 0, 0, "current"),  # due today is not overdue yet
    (S.SENT, None, 0, "current"),
    (S.SENT, 1, 0, "days_1_30"),
    (S.SENT, 30, 0, "days_1_30"),
    (S.SENT, 31, 0, "days_31_60"),
    (S.SENT, 60, 0, "days_31_60"),
    (S.SENT, 61, 0, "days_61_90"),
    (S.SENT, 90, 0, "days_61_90"),
    (S.SENT, 91, 0, "over_90"),
    (S.SENT, 400, 0, "over_90"),
    (S.SENT, 45, 2_500, "days_31_60"),  # part-paid: its balance, where it is due
    (S.PAID, 45, 10_000, None),
    (S.VOID, 45, 0, None),
    (S.DRAFT, 45, 0, None),
]


def _invoice(create, customer, today, status, days_late, paid, total=10_000):
    due_on = None if days_late is None else today - timedelta(days=days_late)
    return create.invoice(
        customer,
        status,
        lines=(("Labour", total),),
        issued_on=today - timedelta(days=200),
        due_on=due_on,
        amount_paid_cents=paid,
    )


@pytest.mark.parametrize(("status", "days_late", "paid", "expected"), CASES)
def test_sql_bucket_agrees_with_python_bucket(
    db, create, company, customer, status, days_late, paid, expected
):
    today = company_today(company)
    invoice = _invoice(create, customer, today, status, days_late, paid)
    python = ageing.bucket_of(invoice, today)
    assert (python.key if python else None) == expected
    balances = ageing._open_balances(company.id, today)
    in_sql = db.session.execute(select(balances.c.bucket, balances.c.balance)).all()
    if expected is None:
        assert in_sql == []
    else:
        assert [tuple(row) for row in in_sql] == [(expected, 10_000 - paid)]


@pytest.fixture
def ledger(create, company, other_company, customer):
    """Two customers owing money in every bucket, and what must not count."""
    today = company_today(company)
    fleet = create.customer(company, name="Zephyr Couriers")
    for days_late, paid in ((-5, 0), (10, 0), (40, 4_000), (75, 0), (120, 0)):
        _invoice(create, customer, today, S.SENT, days_late, paid)
    _invoice(create, fleet, today, S.SENT, 95, 0, total=50_000)
    _invoice(create, fleet, today, S.SENT, 3, 0, total=1_234)
    for status, paid in ((S.PAID, 10_000), (S.VOID, 0), (S.DRAFT, 0)):
        _invoice(create, customer, today, status, 200, paid)
    create.customer(company, name="Settled Ltd")  # owes nothing: not on the report
    rival = create.customer(other_company, name="Rival Customer")
    _invoice(create, rival, today, S.SENT, 100, 0)
    return customer, fleet


def test_ageing_page_shows_each_customer_by_bucket_with_totals(staff_client, ledger):
    customer, fleet = ledger
    response = staff_client.get("/reports/ageing")
    assert response.status_code == 200
    text = text_of(response)
    assert "<html" in response.get_data(as_text=True)
    # Harbor Bakery: 100 current, 100 at 1–30, 60 (part-paid) at 31–60, 100 at 61–90,
    # 100 past 90; Zephyr: 12.34 at 1–30, 500 past 90.
    assert (
        "Harbor Bakery $100.00 $100.00 $60.00 $100.00 $100.00 $460.00 "
        "Zephyr Couriers $0.00 $12.34 $0.00 $0.00 $500.00 $512.34 "
        "Total $100.00 $112.34 $60.00 $100.00 $600.00 $972.34"
    ) in text
    assert "2 customers owing money" in text
    assert "Settled Ltd" not in text and "Rival Customer" not in text


def test_ageing_sorted_by_total_as_an_htmx_fragment(staff_client, ledger):
    response = staff_client.get(
        "/reports/ageing?sort=total&dir=desc", headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="ageing-table"')
    assert html.index("Zephyr Couriers") < html.index("Harbor Bakery")
    assert 'aria-sort="descending"' in html


def test_ageing_csv_has_every_customer_then_the_totals(staff_client, company, ledger):
    customer, fleet = ledger
    response = staff_client.get("/reports/ageing?sort=over_90&dir=desc&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="acme-ar-ageing-{company_today(company).isoformat()}.csv"'
    )
    rows = read_csv(response)
    assert [list(row.values()) for row in rows] == [
        [str(fleet.id), "Zephyr Couriers", "0.00", "12.34", "0.00", "0.00", "500.00", "512.34"],
        [
            str(customer.id),
            "Harbor Bakery",
            "100.00",
            "100.00",
            "60.00",
            "100.00",
            "100.00",
            "460.00",
        ],
        ["", "Total", "100.00", "112.34", "60.00", "100.00", "600.00", "972.34"],
    ]
    assert list(rows[0]) == [
        "Customer ID",
        "Customer",
        "Current",
        "1–30 days",
        "31–60 days",
        "61–90 days",
        "90+ days",
        "Total",
    ]


def test_ageing_of_a_company_owed_nothing(staff_client):
    text = text_of(staff_client.get("/reports/ageing"))
    assert "No customer owes anything." in text and "Total $0.00" in text


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # 12:00 UTC on 10 March is already 11 March in Auckland: an invoice due on the
        # 10th is a day late there, and still current in Chicago (06:00 on the 10th).
        ("Pacific/Auckland", "days_1_30"),
        ("America/Chicago", "current"),
    ],
)
def test_days_past_due_count_from_the_company_today(
    staff_client, company, customer, create, monkeypatch, zone, expected
):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 3, 10, 12, tzinfo=UTC))
    company.time_zone = zone
    create.invoice(customer, issued_on=date(2026, 2, 8), due_on=date(2026, 3, 10))
    rows = read_csv(staff_client.get("/reports/ageing?format=csv"))
    column = next(b.label for b in ageing.BUCKETS if b.key == expected)
    assert rows[0][column] == "100.00" and rows[0]["Total"] == "100.00"
    assert sum(rows[0][b.label] == "100.00" for b in ageing.BUCKETS) == 1


def test_ageing_pages_customers(staff_client, company, create, monkeypatch):
    monkeypatch.setattr(ageing, "CUSTOMERS_PER_PAGE", 2)
    for n in range(5):
        create.invoice(create.customer(company, name=f"Customer {n:02}"))
    first = text_of(staff_client.get("/reports/ageing"))
    assert "Customer 00" in first and "Customer 02" not in first and "Page 1 of 3" in first
    last = text_of(staff_client.get("/reports/ageing?page=3"))
    assert "Customer 04" in last and "Customer 03" not in last
    # The totals are the company's, whichever page is shown.
    assert "Total $500.00" in first and "Total $500.00" in last
    assert len(read_csv(staff_client.get("/reports/ageing?format=csv"))) == 6


def test_money_links_are_shown_to_staff_who_see_money(staff_client):
    for page in ("/invoices", "/reports"):
        html = staff_client.get(page).get_data(as_text=True)
        assert 'href="/reports/ageing"' in html and 'href="/payments"' in html


def test_invoices_in_the_same_bucket_add_up(db, create, company, customer):
    today = company_today(company)
    for paid in (0, 1_000):
        _invoice(create, customer, today, S.SENT, 50, paid)
    row = db.session.execute(ageing.ageing_select(company, ageing.AgeingQuery(), today)).one()
    assert ageing.AgeingRow.of(row).bucket_cents == (0, 0, 19_000, 0, 0)
