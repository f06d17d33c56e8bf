"""Fleet accounts index: figures, sort, search, filter, pagination, htmx, roles, queries."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from fieldportal.models import InvoiceStatus, JobStatus, RequestStatus
from fieldportal.services.clock import company_today

from ..helpers import text_of
from .conftest import HX


def fleet_names(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<a href="/fleets/\d+">([^<]+)</a>', html)


@pytest.fixture
def three_fleets(company, create):
    """Alpha: 1 vehicle, no money; Bravo: 3 vehicles, big A/R; Charlie: 2 vehicles, big MTD."""
    today = company_today(company)
    alpha = create.fleet(company, vehicles=1, name="Alpha Couriers")
    bravo = create.fleet(company, vehicles=3, name="Bravo Buses")
    charlie = create.fleet(company, vehicles=2, name="charlie Cabs")
    # Bravo: open A/R 500.00 (700 sent, 200 paid), a draft and a void that count for nothing.
    create.invoice(
        bravo,
        lines=(("Work", 70_000),),
        amount_paid_cents=20_000,
        issued_on=today.replace(day=1) - timedelta(days=40),
    )
    create.invoice(bravo, InvoiceStatus.DRAFT, lines=(("Draft", 999_00),), issued_on=today)
    create.invoice(bravo, InvoiceStatus.VOID, lines=(("Void", 888_00),), issued_on=today)
    # Charlie: 1,200.00 invoiced this month and fully paid.
    create.invoice(
        charlie,
        InvoiceStatus.PAID,
        lines=(("Work", 120_000),),
        amount_paid_cents=120_000,
        issued_on=today,
    )
    # Next jobs: Alpha in 2 days, Charlie in 5; Bravo only has a cancelled and a past job.
    now = datetime.now(UTC).replace(microsecond=0)
    create.job(
        alpha, window_start=now + timedelta(days=2), window_end=now + timedelta(days=2, hours=1)
    )
    create.job(
        charlie, window_start=now + timedelta(days=5), window_end=now + timedelta(days=5, hours=1)
    )
    create.job(
        bravo,
        JobStatus.CANCELLED,
        window_start=now + timedelta(days=1),
        window_end=now + timedelta(days=1, hours=1),
    )
    create.job(
        bravo, window_start=now - timedelta(days=3), window_end=now - timedelta(days=3, hours=-1)
    )
    # Vehicles: Bravo's are serviced recently (not overdue); others have never been serviced
    # at 10,000 miles with a 5,000 mile interval (overdue).
    return alpha, bravo, charlie


def test_index_shows_each_fleets_figures(staff_client, three_fleets, company, create):
    alpha, bravo, charlie = three_fleets
    create.vehicle(alpha, active=False)  # inactive vehicles are not counted
    create.customer(company, name="Consumer Carl")  # not a fleet
    response = staff_client.get("/fleets")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = {
        name: row
        for name, row in re.findall(
            r'<tr>\s*<td><a href="/fleets/\d+">([^<]+)</a></td>(.*?)</tr>', html, re.S
        )
    }
    assert set(rows) == {"Alpha Couriers", "Bravo Buses", "charlie Cabs"}
    cells = {name: re.sub(r"<[^>]+>", " ", row).split() for name, row in rows.items()}
    assert cells["Alpha Couriers"][0] == "1"
    assert cells["Bravo Buses"][0] == "3"
    assert cells["Bravo Buses"][-1] == "$500.00"  # open A/R
    assert cells["Bravo Buses"][-2] == "$0.00"  # drafts, voids and last month excluded
    assert cells["charlie Cabs"][-2] == "$1,200.00"
    assert cells["charlie Cabs"][-1] == "$0.00"
    assert "None" in cells["Bravo Buses"]  # cancelled and past jobs are not "next"
    assert "Consumer Carl" not in html


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        ("name", "asc", ["Alpha Couriers", "Bravo Buses", "charlie Cabs"]),
        ("name", "desc", ["charlie Cabs", "Bravo Buses", "Alpha Couriers"]),
        ("vehicles", "asc", ["Alpha Couriers", "charlie Cabs", "Bravo Buses"]),
        ("vehicles", "desc", ["Bravo Buses", "charlie Cabs", "Alpha Couriers"]),
        ("next_job", "asc", ["Alpha Couriers", "charlie Cabs", "Bravo Buses"]),
        ("next_job", "desc", ["charlie Cabs", "Alpha Couriers", "Bravo Buses"]),
        ("mtd", "asc", ["Alpha Couriers", "Bravo Buses", "charlie Cabs"]),
        ("mtd", "desc", ["charlie Cabs", "Alpha Couriers", "Bravo Buses"]),
        ("ar", "asc", ["Alpha Couriers", "charlie Cabs", "Bravo Buses"]),
        ("ar", "desc", ["Bravo Buses", "Alpha Couriers", "charlie Cabs"]),
        ("overdue", "desc", ["Bravo Buses", "charlie Cabs", "Alpha Couriers"]),
        ("overdue", "asc", ["Alpha Couriers", "charlie Cabs", "Bravo Buses"]),
    ],
)
def test_sort_by_every_column_both_ways(staff_client, three_fleets, sort, direction, expected):
    response = staff_client.get(f"/fleets?sort={sort}&dir={direction}")
    assert fleet_names(response) == expected
    th = re.search(r'<th scope="col"[^>]*aria-sort="(\w+)"', response.get_data(as_text=True))
    assert th.group(1) == ("ascending" if direction == "asc" else "descending")


def test_unknown_sort_and_bad_page_fall_back(staff_client, three_fleets):
    response = staff_client.get("/fleets?sort=drop+table&dir=sideways&page=abc")
    assert response.status_code == 200
    assert fleet_names(response) == ["Alpha Couriers", "Bravo Buses", "charlie Cabs"]


def test_search_by_name_is_case_insensitive_and_literal(
    staff_client, three_fleets, company, create
):
    create.fleet(company, vehicles=0, name="100% Vans")
    assert fleet_names(staff_client.get("/fleets?q=BRAVO")) == ["Bravo Buses"]
    assert fleet_names(staff_client.get("/fleets?q=%25")) == ["100% Vans"]
    response = staff_client.get("/fleets?q=nobody")
    assert "No fleets match." in text_of(response)


def test_filter_has_overdue_vehicles(staff_client, three_fleets, company):
    alpha, bravo, charlie = three_fleets
    # Bravo's vehicles were all serviced at their current odometer yesterday.
    for vehicle in _vehicles_of(bravo):
        vehicle.last_service_on = company_today(company) - timedelta(days=1)
        vehicle.last_service_odometer = vehicle.odometer
    response = staff_client.get("/fleets?overdue=1")
    assert fleet_names(response) == ["Alpha Couriers", "charlie Cabs"]
    assert 'name="overdue" value="1" checked' in response.get_data(as_text=True)


def _vehicles_of(fleet):
    from sqlalchemy import select

    from fieldportal.extensions import db
    from fieldportal.models import Vehicle

    return db.session.scalars(select(Vehicle).where(Vehicle.customer_id == fleet.id)).all()


def test_pagination_keeps_sort_and_search(staff_client, company, create):
    for n in range(30):
        create.fleet(company, vehicles=0, name=f"Fleet {n:02d}")
    first = staff_client.get("/fleets?sort=name&dir=desc")
    assert len(fleet_names(first)) == 25
    assert "Showing 1–25 of 30 fleets" in text_of(first)
    assert 'href="/fleets?dir=desc&amp;page=2"' in first.get_data(as_text=True)
    second = staff_client.get("/fleets?dir=desc&page=2")
    assert fleet_names(second) == [f"Fleet {n:02d}" for n in range(4, -1, -1)]
    assert "Showing 26–30 of 30 fleets" in text_of(second)
    # A page past the end shows the last page rather than an empty table.
    assert fleet_names(staff_client.get("/fleets?dir=desc&page=99")) == fleet_names(second)


def test_htmx_request_gets_only_the_table(staff_client, three_fleets):
    response = staff_client.get("/fleets?sort=vehicles&dir=desc", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="fleet-table"')
    assert "Pending requests" not in html
    assert fleet_names(response)[0] == "Bravo Buses"
    assert "HX-Request" in response.headers.get("Vary", "")
    # Sort links carry both href (no JS) and hx-get, and the table pushes the URL.
    assert 'hx-push-url="true"' in html
    assert 'href="/fleets?sort=vehicles" hx-get="/fleets?sort=vehicles"' in html


def test_same_url_is_a_full_page_without_htmx(staff_client, three_fleets):
    response = staff_client.get("/fleets?sort=vehicles&dir=desc&q=b")
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="fleet-filter"' in html
    assert 'value="b"' in html
    assert fleet_names(response) == ["Bravo Buses", "charlie Cabs"]


def test_pending_requests_panel(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0, name="Delta Deliveries")
    create.request(fleet, description="Brakes squeal on van 7")
    create.request(
        fleet,
        description="Already handled",
        status=RequestStatus.APPROVED,
        decided_at=datetime.now(UTC),
    )
    response = staff_client.get("/fleets")
    html = response.get_data(as_text=True)
    assert re.search(r'data-figure="pending-requests">1<', html)
    assert "Brakes squeal on van 7" in html
    assert "Already handled" not in html
    # The inbox is another feature: no link until its endpoint exists.
    if "operator.inbox" not in staff_client.application.view_functions:
        assert 'href="/requests"' not in html


def test_technician_cannot_see_fleets(client_as, technician, three_fleets):
    client = client_as(technician)
    assert client.get("/fleets").status_code == 404
    assert client.get(f"/fleets/{three_fleets[0].id}").status_code == 404


def test_dispatcher_sees_fleets_with_money(client_as, dispatcher, three_fleets):
    response = client_as(dispatcher).get("/fleets")
    assert response.status_code == 200
    assert "Open A/R" in text_of(response)


def test_signed_out_is_sent_to_login(client, three_fleets):
    response = client.get("/fleets")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_other_tenants_fleets_are_not_listed(staff_client, three_fleets, other_company, create):
    create.fleet(other_company, vehicles=1, name="Rival Fleet")
    assert "Rival Fleet" not in staff_client.get("/fleets?q=Rival").get_data(as_text=True)


@pytest.mark.parametrize("fleets", [10, 500])
def test_query_count_is_constant(staff_client, company, create, count_queries, fleets):
    for n in range(fleets):
        fleet = create.fleet(company, vehicles=1 if n % 50 == 0 else 0, name=f"F{n:03d}")
        if n % 50 == 0:
            create.invoice(fleet)
            create.job(fleet)
            create.request(fleet)
    for sort in ("name", "ar"):
        with count_queries() as queries:
            response = staff_client.get(f"/fleets?sort={sort}&overdue=1")
        assert response.status_code == 200
        assert len(queries) <= 8, queries
    with count_queries() as queries:
        staff_client.get("/fleets?page=2", headers=HX)
    assert len(queries) <= 6
