"""Every money figure agrees across the fleet index, the operator home page, the invoice
pages, the portal dashboard and the PDFs (issue 7: "every figure must agree").

The expected figures are worked out by hand from the invoices below: open A/R counts the
unpaid balance of sent invoices only; revenue this month counts sent and paid invoices
issued this month (company time zone); drafts and voids count nowhere."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from fieldportal.models import InvoiceStatus, PaymentMethod
from fieldportal.services.billing import invoices
from fieldportal.services.clock import company_today
from tests.helpers import first_contact, sign_in, text_of

OPEN_AR = "$522.45"  # 123.45 unpaid + (500.00 − 200.00) part paid + 99.00 from last month
MTD_REVENUE = "$693.45"  # 123.45 + 500.00 + 70.00 (paid in full); last month's excluded


def figure(response, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>\s*(?:<strong>)?([^<]+)<', response.text)
    assert match, f"no {name} figure in {response.request.path}"
    return match.group(1).strip()


def cents(shown: str) -> int:
    return int(shown.strip("$").replace(",", "").replace(".", ""))


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def fleet_books(db, company, other_company, create, owner):
    fleet = create.fleet(company, vehicles=1, name="Zephyr Haulage")
    contact = create.contact(fleet, name="Zoe Zephyr", email="zoe@zephyr.test")
    today = company_today(company)
    last_month = today.replace(day=1) - timedelta(days=1)
    unpaid = create.invoice(fleet, lines=(("Tyres", 12_345),), issued_on=today)
    part_paid = create.invoice(fleet, lines=(("Engine", 50_000),), issued_on=today)
    invoices.record_payment(part_paid, amount_cents=20_000, method=PaymentMethod.CHECK, by=owner)
    paid = create.invoice(fleet, lines=(("Wipers", 7_000),), issued_on=today)
    invoices.record_payment(paid, amount_cents=7_000, method=PaymentMethod.CASH, by=owner)
    overdue = create.invoice(
        fleet, lines=(("Brakes", 9_900),), issued_on=last_month, due_on=last_month
    )
    create.invoice(fleet, status=InvoiceStatus.DRAFT, lines=(("Quote-ish", 1_000_000),))
    create.invoice(fleet, status=InvoiceStatus.VOID, lines=(("Mistake", 2_000),), issued_on=today)
    create.invoice(create.fleet(other_company, vehicles=0), lines=(("Theirs", 55_500),))
    db.session.flush()
    db.session.expire_all()
    return fleet, contact, [unpaid, part_paid, paid, overdue]


def test_money_figures_agree_everywhere(staff_client, client, fleet_books):
    fleet, contact, (unpaid, part_paid, paid, overdue) = fleet_books

    index = staff_client.get("/fleets", query_string={"q": "Zephyr"})
    row = re.search(r"<tr>\s*<td><a [^>]*>Zephyr Haulage</a>.*?</tr>", index.text, re.S)
    assert row, index.text
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells[-2:] == [MTD_REVENUE, OPEN_AR]

    home = staff_client.get("/")
    assert figure(home, "open-ar") == OPEN_AR
    assert figure(home, "mtd-revenue") == MTD_REVENUE

    listing = staff_client.get("/invoices")
    assert figure(listing, "open-ar") == OPEN_AR
    assert figure(listing, "mtd-revenue") == MTD_REVENUE

    balances = {}
    for invoice in (unpaid, part_paid, paid, overdue):
        page = staff_client.get(f"/invoices/{invoice.id}")
        balances[invoice.id] = figure(page, "balance")
        pdf = pdf_text(staff_client.get(f"/invoices/{invoice.id}.pdf").data)
        assert f"Balance due {balances[invoice.id]}" in pdf
    assert sum(cents(value) for value in balances.values()) == cents(OPEN_AR)
    assert balances[part_paid.id] == "$300.00" and balances[paid.id] == "$0.00"

    operator_statement = pdf_text(staff_client.get(f"/customers/{fleet.id}/statement.pdf").data)
    assert OPEN_AR in operator_statement

    sign_in(client, contact)  # the same test client, now as the fleet's portal contact
    dashboard = client.get("/portal/acme/")
    assert figure(dashboard, "open-balance") == OPEN_AR
    for invoice in (unpaid, part_paid, overdue):
        assert (
            figure(client.get(f"/portal/acme/invoices/{invoice.id}"), "balance")
            == (balances[invoice.id])
        )
    statement = pdf_text(client.get("/portal/acme/statement.pdf").data)
    aged = re.search(r"90\+ days Balance((?: \$[\d,.]+){6})", statement, re.I)
    assert aged, statement
    *buckets, total = aged.group(1).split()
    assert total == OPEN_AR
    assert sum(cents(bucket) for bucket in buckets) == cents(OPEN_AR)


def test_portal_dashboard_counts_follow_the_site_scope_and_quote_expiry(
    client, db, company, create, customer
):
    today = company_today(company)
    north = create.site(customer, name="North depot")
    south = create.site(customer, name="South depot")
    create.invoice(customer, site_id=north.id, lines=(("North", 1_111),))
    create.invoice(customer, site_id=south.id, lines=(("South", 2_222),))
    create.quote(customer, site_id=north.id, valid_until=today)
    create.quote(customer, site_id=north.id, valid_until=today - timedelta(days=1))  # lapsed
    create.quote(customer, site_id=south.id, valid_until=today)
    scoped = create.contact(customer, all_sites=False, email="north@bakery.test")
    scoped.sites.append(north)
    db.session.flush()

    sign_in(client, first_contact(customer))
    dashboard = client.get("/portal/acme/")
    assert figure(dashboard, "open-balance") == "$33.33"
    assert figure(dashboard, "quotes-awaiting") == "2"  # the lapsed one shows as expired

    sign_in(client, scoped)
    dashboard = client.get("/portal/acme/")
    assert figure(dashboard, "open-balance") == "$11.11"  # what its invoice list shows
    assert figure(dashboard, "quotes-awaiting") == "1"
    assert "$11.11" in text_of(client.get("/portal/acme/invoices"))
