"""Every operator list as CSV at its own URL (?format=csv): what the file holds, its
filters and sort, other companies' rows absent, who may download it."""

from datetime import UTC, date, datetime, timedelta

import pytest

from fieldportal.models import (
    CustomerKind,
    InvoiceStatus,
    JobStatus,
    QuoteStatus,
    RequestStatus,
    StaffRole,
    Urgency,
    utcnow,
)
from fieldportal.services.clock import company_today

from ..helpers import sign_in
from .conftest import read_csv


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    return response


def test_invoices_as_csv_hold_the_figures_and_the_badge(
    staff_client, company, other_company, create
):
    today = company_today(company)
    customer = create.customer(company, name="Ada's Garage")
    overdue = create.invoice(
        customer,
        lines=(("Brakes", 12_345),),
        tax_cents=1_000,
        amount_paid_cents=0,
        issued_on=today - timedelta(days=40),
        due_on=today - timedelta(days=10),
        po_number="PO-7",
    )
    paid = create.invoice(customer, status=InvoiceStatus.PAID, amount_paid_cents=10_000)
    draft = create.invoice(customer, status=InvoiceStatus.DRAFT, issued_on=None, due_on=None)
    create.invoice(create.customer(other_company, name="Rival customer"))

    response = _download(staff_client, "/invoices?format=csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="acme-invoices-{today.isoformat()}.csv"'
    )
    rows = read_csv(response)
    assert [row["Number"] for row in rows] == [
        str(draft.number),
        str(paid.number),
        str(overdue.number),
    ]
    first = rows[2]
    assert first["Customer"] == "Ada's Garage" and first["Status"] == "overdue"
    assert (first["Subtotal"], first["Tax"], first["Total"], first["Balance"]) == (
        "123.45",
        "10.00",
        "133.45",
        "133.45",
    )
    assert first["Issued"] == (today - timedelta(days=40)).isoformat()
    assert first["Due"] == (today - timedelta(days=10)).isoformat()
    assert first["PO number"] == "PO-7" and first["Terms"] == "net_30"
    assert rows[1]["Status"] == "paid" and rows[1]["Balance"] == "0.00"
    assert rows[0]["Status"] == "draft" and rows[0]["Issued"] == ""
    assert "Rival customer" not in response.get_data(as_text=True)


def test_invoice_csv_honours_the_status_filter_and_the_order(staff_client, company, create):
    today = company_today(company)
    customer = create.customer(company)
    late = [create.invoice(customer, due_on=today - timedelta(days=d)) for d in (3, 5)]
    create.invoice(customer)  # open, not yet due
    create.invoice(customer, status=InvoiceStatus.PAID, amount_paid_cents=10_000)
    rows = read_csv(
        _download(staff_client, "/invoices?status=overdue&sort=number&dir=asc&page=2&format=csv")
    )
    # The filter and sort hold; the page does not (the file is the whole list).
    assert [row["Number"] for row in rows] == [str(invoice.number) for invoice in late]


def test_the_bom_for_excel_is_asked_for(staff_client, company, create):
    create.invoice(create.customer(company, name="Zoë Ünsal"))
    plain = _download(staff_client, "/invoices?format=csv").get_data()
    excel = _download(staff_client, "/invoices?format=csv&bom=1").get_data()
    assert not plain.startswith(b"\xef\xbb\xbf") and excel.startswith(b"\xef\xbb\xbf")
    assert excel[3:] == plain and "Zoë Ünsal".encode() in plain


def test_customer_csv_keeps_formulas_inert_and_honours_the_search(
    staff_client, company, other_company, create
):
    evil = create.customer(
        company, name='=HYPERLINK("http://evil.test","Click")', email="x@evil.test"
    )
    create.customer(company, name="Plain Customer", email="plain@example.com")
    fleet = create.customer(company, CustomerKind.FLEET, name="@Fleet", email="evil2@evil.test")
    create.customer(other_company, name="Other evil", email="other@evil.test")

    rows = read_csv(_download(staff_client, "/customers?q=evil&format=csv"))
    assert [row["Name"] for row in rows] == [
        '\'=HYPERLINK("http://evil.test","Click")',
        "'@Fleet",
    ]
    assert [row["ID"] for row in rows] == [str(evil.id), str(fleet.id)]
    assert rows[0]["Kind"] == "consumer" and rows[1]["Kind"] == "fleet"
    kinds = read_csv(_download(staff_client, "/customers?kind=fleet&format=csv"))
    assert [row["Name"] for row in kinds] == ["'@Fleet"]


def test_job_csv_honours_filters_and_sort_and_writes_times_in_the_company_zone(
    staff_client, company, other_company, create, owner
):
    zeta = create.customer(company, name="Zeta Haulage")
    alpha = create.customer(company, name="Alpha Buses")
    window = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
    first = create.job(
        zeta,
        title="Zeta brakes",
        window_start=window,
        window_end=window + timedelta(hours=2),
        technician_id=owner.id,
    )
    second = create.job(alpha, title="Alpha tyres", window_start=window + timedelta(days=1))
    create.job(alpha, JobStatus.COMPLETED, title="Done already", window_start=window)
    create.job(create.customer(other_company), title="Not ours", window_start=window)

    rows = read_csv(
        _download(staff_client, "/jobs?status=scheduled&sort=customer&dir=asc&format=csv")
    )
    assert [row["Number"] for row in rows] == [str(second.number), str(first.number)]
    assert rows[1]["Customer"] == "Zeta Haulage" and rows[1]["Title"] == "Zeta brakes"
    assert rows[1]["Window start"] == "2026-01-12T09:00:00-06:00"
    assert rows[1]["Window end"] == "2026-01-12T11:00:00-06:00"
    assert rows[1]["Technician"] == "Olivia Owner" and rows[1]["Status"] == "scheduled"

    dated = read_csv(_download(staff_client, "/jobs?from=2026-01-13&to=2026-01-13&format=csv"))
    assert [row["Title"] for row in dated] == ["Alpha tyres"]
    by_customer = read_csv(_download(staff_client, f"/jobs?customer={zeta.id}&format=csv"))
    assert [row["Title"] for row in by_customer] == ["Zeta brakes"]


def test_quote_csv_honours_the_status_filter(staff_client, company, other_company, create):
    customer = create.customer(company)
    sent = create.quote(customer, title="Sent one", total_cents=25_050, subtotal_cents=25_050)
    create.quote(customer, QuoteStatus.DRAFT, title="Draft one")
    create.quote(customer, QuoteStatus.SENT, title="Expired one", valid_until=date(2020, 1, 1))
    create.quote(create.customer(other_company), title="Not ours")
    rows = read_csv(_download(staff_client, "/quotes?status=sent&format=csv"))
    assert [(row["Title"], row["Status"], row["Total"]) for row in rows] == [
        ("Sent one", "sent", "250.50")
    ]
    assert rows[0]["Number"] == str(sent.number)
    everything = read_csv(_download(staff_client, "/quotes?format=csv"))
    assert {row["Title"]: row["Status"] for row in everything} == {
        "Sent one": "sent",
        "Draft one": "draft",
        "Expired one": "expired",
    }


def test_request_csv_honours_the_inbox_filters(staff_client, company, other_company, create):
    customer = create.customer(company, name="Requesting Co")
    create.request(customer, description="-rm -rf please", urgency=Urgency.EMERGENCY)
    create.request(customer, description="Routine check")
    create.request(
        customer, description="Already done", status=RequestStatus.APPROVED, decided_at=utcnow()
    )
    create.request(create.customer(other_company), description="Not ours")

    pending = read_csv(_download(staff_client, "/requests?format=csv"))
    assert sorted(row["Description"] for row in pending) == ["'-rm -rf please", "Routine check"]
    urgent = read_csv(_download(staff_client, "/requests?urgency=emergency&format=csv"))
    assert [(row["Description"], row["Customer"]) for row in urgent] == [
        ("'-rm -rf please", "Requesting Co")
    ]
    every = read_csv(_download(staff_client, "/requests?status=all&format=csv"))
    assert len(every) == 3 and {row["Status"] for row in every} == {"pending", "approved"}


def test_fleet_csv_holds_the_figures_in_the_index_order(
    staff_client, company, other_company, create
):
    big = create.fleet(company, vehicles=3, name="Big Fleet")
    small = create.fleet(company, vehicles=1, name="Small Fleet")
    create.invoice(big, lines=(("Service", 50_000),))
    create.fleet(other_company, name="Other Fleet")
    rows = read_csv(_download(staff_client, "/fleets?sort=vehicles&dir=asc&format=csv"))
    assert [(row["Fleet"], row["Active vehicles"]) for row in rows] == [
        ("Small Fleet", "1"),
        ("Big Fleet", "3"),
    ]
    assert rows[1]["Open A/R"] == "500.00" and rows[0]["Open A/R"] == "0.00"
    assert rows[1]["ID"] == str(big.id) and rows[0]["ID"] == str(small.id)
    searched = read_csv(_download(staff_client, "/fleets?q=small&format=csv"))
    assert [row["Fleet"] for row in searched] == ["Small Fleet"]


def test_a_fleets_vehicles_as_csv(staff_client, company, other_company, create):
    fleet = create.fleet(company, vehicles=0, name="Van Fleet")
    create.vehicle(
        fleet,
        make="Ford",
        model="Transit",
        plate="VAN 1",
        odometer=20_000,
        last_service_odometer=14_000,
    )
    create.vehicle(create.fleet(company, vehicles=0), plate="OTHER 1")
    response = _download(staff_client, f"/fleets/{fleet.id}?format=csv")
    assert "acme-fleet-" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert [(row["Plate"], row["Odometer"], row["Service status"]) for row in rows] == [
        ("VAN 1", "20000", "overdue")
    ]
    other = create.fleet(other_company)
    assert staff_client.get(f"/fleets/{other.id}?format=csv").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/invoices?format=csv",
        "/quotes?format=csv",
        "/customers?format=csv",
        "/fleets?format=csv",
        "/requests?format=csv",
    ],
)
def test_a_technician_gets_no_office_list(client, company, create, url):
    sign_in(client, create.staff(company, StaffRole.TECHNICIAN))
    assert client.get(url).status_code == 404


def test_signed_out_gets_no_file(client, company):
    response = client.get("/invoices?format=csv")
    assert response.status_code == 302 and "text/csv" not in response.headers.get(
        "Content-Type", ""
    )


@pytest.mark.parametrize(
    ("page", "fragment", "expected"),
    [
        (
            "/invoices?status=overdue&sort=number&dir=asc&page=2",
            "#invoice-table",
            "/invoices?status=overdue&amp;dir=asc&amp;format=csv",
        ),
        ("/quotes?status=draft&page=3", "#quote-table", "/quotes?status=draft&amp;format=csv"),
        (
            "/customers?q=acme&kind=fleet&page=2",
            "#customer-table",
            "/customers?q=acme&amp;kind=fleet&amp;format=csv",
        ),
        (
            "/jobs?status=scheduled&sort=customer&dir=asc&page=2",
            "#job-table",
            "/jobs?status=scheduled&amp;sort=customer&amp;dir=asc&amp;format=csv",
        ),
        (
            "/fleets?q=van&overdue=1&sort=vehicles&dir=desc&page=2",
            "#fleet-table",
            "/fleets?q=van&amp;overdue=1&amp;sort=vehicles&amp;dir=desc&amp;format=csv",
        ),
        (
            "/requests?status=all&urgency=high&page=2&bom=1",
            "#request-list",
            "/requests?status=all&amp;urgency=high&amp;format=csv",
        ),
    ],
)
def test_each_list_links_its_export_with_its_filters_in_both_renderings(
    staff_client, page, fragment, expected
):
    for headers in ({}, {"HX-Request": "true"}):
        html = staff_client.get(page, headers=headers).get_data(as_text=True)
        assert ("<html" in html) == (not headers)
        assert f'<a class="button" href="{expected}" download>Export CSV</a>' in html
        excel = expected.replace("?", "?bom=1&amp;", 1)
        assert f'<a class="button" href="{excel}" download>CSV for Excel</a>' in html


def test_the_fleet_page_links_its_vehicles_export(staff_client, company, create):
    fleet = create.fleet(company)
    html = staff_client.get(f"/fleets/{fleet.id}").get_data(as_text=True)
    assert f'href="/fleets/{fleet.id}?format=csv" download>Export vehicles (CSV)</a>' in html
