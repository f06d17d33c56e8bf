"""THE site-scope rule (services/site_scope.py) on every portal surface.

A site-scoped contact (Petra, North building only) sees the records of the North
building; South-building records and records with no site are for whole-customer
contacts (Alicia) only. The SQL condition and the Python twin agree on every record.
"""

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from fieldportal.models import (
    Asset,
    Invoice,
    Job,
    JobStatus,
    Quote,
    Report,
    ReportKind,
    ServiceRequest,
    Site,
    Vehicle,
)
from fieldportal.services.portal.site_scope import site_condition, visible
from fieldportal.services.work import reports
from tests.helpers import sign_in, text_of

PLACES = ("north", "south", "nosite")
CENTS = {"north": 1_111, "south": 2_222, "nosite": 3_333, "other": 4_444}


@dataclass
class Place:
    """One of each record at one place (a site, or no site)."""

    site: Site | None
    vehicle: Vehicle = None
    asset: Asset = None
    upcoming: Job = None
    completed: Job = None
    quote: Quote = None
    invoice: Invoice = None
    report: Report = None
    request: ServiceRequest = None
    records: list = field(default_factory=list)


@dataclass
class Books:
    places: dict[str, Place]
    scoped: object
    whole: object
    job_type: object

    def seen_by(self, who: str) -> tuple[str, ...]:
        return ("north",) if who == "scoped" else PLACES


def _place(create, company, customer, owner, name: str, site: Site | None, job_type) -> Place:
    site_id = site.id if site else None
    place = Place(site)
    place.vehicle = create.vehicle(customer, plate=f"{name.upper()}VAN", site_id=site_id)
    place.asset = create.asset(customer, asset_code=f"AC-{name.upper()}", site_id=site_id)
    place.upcoming = create.job(customer, title=f"Boiler check ({name})", site_id=site_id)
    place.completed = create.job(
        customer,
        JobStatus.COMPLETED,
        title=f"Boiler service ({name})",
        site_id=site_id,
        vehicle_id=place.vehicle.id,
    )
    place.quote = create.quote(
        customer, title=f"Pump quote ({name})", site_id=site_id, total_cents=CENTS[name] * 4
    )
    place.invoice = create.invoice(
        customer, site_id=site_id, job_id=place.completed.id, lines=((name, CENTS[name]),)
    )
    place.report = reports.create_report(
        customer, kind=ReportKind.INSPECTION, title=f"Findings ({name})", job=place.completed
    )
    reports.approve_report(place.report, by=owner)
    place.request = create.request(
        customer, description=f"Leaking tap ({name})", site_id=site_id, job_type_id=job_type.id
    )
    place.records = [
        place.vehicle,
        place.asset,
        place.upcoming,
        place.completed,
        place.quote,
        place.invoice,
        place.report,
        place.request,
    ] + ([site] if site else [])
    return place


@pytest.fixture
def books(db, create, company, owner) -> Books:
    customer = create.fleet(company, vehicles=0, name="Lakeview Apartments")
    north = create.site(customer, name="North building")
    south = create.site(customer, name="South building")
    job_type = create.job_type(company, name="Plumbing")
    customer.requestable_job_types.append(job_type)
    places = {
        name: _place(create, company, customer, owner, name, site, job_type)
        for name, site in (("north", north), ("south", south), ("nosite", None))
    }
    scoped = create.contact(customer, name="Petra Patel", email="petra@lakeview.test")
    scoped.all_sites = False
    scoped.sites = [north]
    whole = create.contact(customer, name="Alicia Admin", email="alicia@lakeview.test")
    db.session.flush()
    return Books(places, scoped, whole, job_type)


def _url(path: str = "") -> str:
    return f"/portal/acme{path}"


@pytest.fixture(params=["scoped", "whole"])
def who(request, client, books):
    sign_in(client, getattr(books, request.param))
    return request.param


def _assert_sees(text: str, books: Books, who: str, marker) -> None:
    for name in PLACES:
        shown = marker(books.places[name], name) in text
        assert shown == (name in books.seen_by(who)), (who, name, marker(books.places[name], name))


# ---------------------------------------------------------------- the two twins agree


@pytest.mark.parametrize("site_ids", ["all", "none", "north", "north+south"])
def test_sql_condition_and_python_visible_agree_on_every_record(db, books, site_ids):
    north, south = books.places["north"].site.id, books.places["south"].site.id
    ids = {"all": None, "none": set(), "north": {north}, "north+south": {north, south}}[site_ids]
    records = [record for place in books.places.values() for record in place.records]
    assert {type(record) for record in records} >= {Site, Vehicle, Asset, Job, Quote, Invoice}
    for record in records:
        model = type(record)
        condition = site_condition(model, ids)
        query = select(model.id).where(model.id == record.id)
        in_sql = db.session.scalar(query if condition is None else query.where(condition))
        assert (in_sql is not None) == visible(record, ids), (model.__name__, record.id)


def test_no_site_records_are_for_whole_customer_contacts_only(db, books):
    north = books.places["north"].site.id
    for record in books.places["nosite"].records:
        assert visible(record, None) and not visible(record, {north}) and not visible(record, set())


# ---------------------------------------------------------------- lists and tabs


TABS = [
    ("/jobs", lambda p, name: f"Boiler check ({name})"),
    ("/history", lambda p, name: f"Boiler service ({name})"),
    ("/vehicles", lambda p, name: p.vehicle.plate),
    ("/assets", lambda p, name: p.asset.asset_code),
    ("/requests", lambda p, name: f"Leaking tap ({name})"),
    ("/quotes", lambda p, name: f"Pump quote ({name})"),
    ("/invoices?state=all", lambda p, name: f"Invoice #{p.invoice.number}"),
    ("/reports", lambda p, name: f"Findings ({name})"),
]


@pytest.mark.parametrize(("path", "marker"), TABS)
def test_every_tab_lists_the_records_of_the_sites_the_contact_sees(
    client, books, who, path, marker
):
    response = client.get(_url(path))
    assert response.status_code == 200
    _assert_sees(text_of(response), books, who, marker)


def test_dashboard_counts_only_the_sites_the_contact_sees(client, books, who):
    text = text_of(client.get(_url("/")))
    _assert_sees(text, books, who, lambda p, name: f"Boiler check ({name})")
    _assert_sees(text, books, who, lambda p, name: p.vehicle.plate)  # overdue vehicles
    balance = sum(CENTS[name] for name in books.seen_by(who))
    assert f"${balance / 100:,.2f}" in text


# ---------------------------------------------------------------- detail pages, PDFs, .ics


RECORD_PATHS = [
    lambda p: f"/vehicles/{p.vehicle.id}",
    lambda p: f"/vehicles/{p.vehicle.id}/history.pdf",
    lambda p: f"/jobs/{p.upcoming.id}/calendar.ics",
    lambda p: f"/quotes/{p.quote.id}",
    lambda p: f"/quotes/{p.quote.id}.pdf",
    lambda p: f"/invoices/{p.invoice.id}",
    lambda p: f"/invoices/{p.invoice.id}.pdf",
    lambda p: f"/reports/{p.report.id}",
    lambda p: f"/reports/{p.report.id}.pdf",
    lambda p: f"/requests/new?vehicle_id={p.vehicle.id}",
]
RECORD_PATH_IDS = [
    "vehicle",
    "vehicle-pdf",
    "ics",
    "quote",
    "quote-pdf",
    "invoice",
    "invoice-pdf",
    "report",
    "report-pdf",
    "request-prefill",
]


@pytest.mark.parametrize("path", RECORD_PATHS, ids=RECORD_PATH_IDS)
def test_a_record_opens_only_for_a_contact_who_sees_its_site(client, books, who, path):
    for name, place in books.places.items():
        expected = 200 if name in books.seen_by(who) else 404
        assert client.get(_url(path(place))).status_code == expected, (who, name)


def test_statement_covers_only_the_sites_the_contact_sees(client, books, who):
    from tests.billing.test_portal_tabs import pdf_text

    text = pdf_text(client.get(_url("/statement.pdf")).data)
    for name in PLACES:
        assert (f"${CENTS[name] / 100:,.2f}" in text) == (name in books.seen_by(who)), name


# ---------------------------------------------------------------- another customer


@pytest.fixture
def hillside(db, create, company, owner, books) -> Place:
    """Another customer of the same company, with one of each record at its own site."""
    customer = create.fleet(company, vehicles=0, name="Hillside Homes")
    site = create.site(customer, name="Hillside block")
    place = _place(create, company, customer, owner, "other", site, books.job_type)
    db.session.flush()
    return place


@pytest.mark.parametrize(("path", "marker"), TABS)
def test_no_tab_lists_another_customers_records(client, books, who, hillside, path, marker):
    response = client.get(_url(path))
    assert response.status_code == 200
    text = text_of(response)
    assert marker(books.places["north"], "north") in text
    assert marker(hillside, "other") not in text


@pytest.mark.parametrize("path", RECORD_PATHS, ids=RECORD_PATH_IDS)
def test_another_customers_record_is_404(client, books, who, hillside, path):
    assert client.get(_url(path(books.places["north"]))).status_code == 200
    assert client.get(_url(path(hillside))).status_code == 404


@pytest.mark.parametrize("path", RECORD_PATHS, ids=RECORD_PATH_IDS)
def test_an_id_that_does_not_exist_is_404(client, books, who, path):
    missing = Place(
        site=None,
        vehicle=Vehicle(id=999_999),
        upcoming=Job(id=999_999),
        quote=Quote(id=999_999),
        invoice=Invoice(id=999_999),
        report=Report(id=999_999),
    )
    assert client.get(_url(path(missing))).status_code == 404


# ---------------------------------------------------------------- no site left: nothing


@pytest.fixture
def siteless(db, client, books) -> Books:
    """Petra stays site-scoped but has no site left (an empty set): she sees nothing."""
    books.scoped.sites = []
    db.session.flush()
    sign_in(client, books.scoped)
    return books


@pytest.mark.parametrize(("path", "marker"), TABS)
def test_a_scoped_contact_with_no_site_left_sees_no_record_on_any_tab(
    client, siteless, path, marker
):
    response = client.get(_url(path))
    assert response.status_code == 200
    text = text_of(response)
    for name, place in siteless.places.items():
        assert marker(place, name) not in text, name


def test_a_scoped_contact_with_no_site_left_owes_nothing_on_the_dashboard(client, siteless):
    text = text_of(client.get(_url("/")))
    assert "$0.00" in text
    for name, place in siteless.places.items():
        assert f"Boiler check ({name})" not in text and place.vehicle.plate not in text


@pytest.mark.parametrize("path", RECORD_PATHS, ids=RECORD_PATH_IDS)
def test_a_scoped_contact_with_no_site_left_opens_no_record(client, siteless, path):
    for name, place in siteless.places.items():
        assert client.get(_url(path(place))).status_code == 404, name


# ---------------------------------------------------------------- forms and filters


def _options(html: str, select_id: str) -> str:
    start = html.find(f'id="{select_id}"')
    return html[start : html.find("</select>", start)] if start >= 0 else ""


def test_request_form_offers_only_the_sites_vehicles_and_assets_the_contact_sees(
    client, books, who
):
    html = client.get(_url("/requests/new")).get_data(as_text=True)
    sites = _options(html, "site_id")
    assert ("North building" in sites) and (("South building" in sites) == (who == "whole"))
    _assert_sees(_options(html, "vehicle_id"), books, who, lambda p, name: p.vehicle.plate)
    _assert_sees(_options(html, "asset_id"), books, who, lambda p, name: p.asset.asset_code)


@pytest.mark.parametrize("name", PLACES)
def test_a_request_may_name_only_a_vehicle_the_contact_sees(client, db, books, who, name):
    data = {
        "site_id": str(books.places["north"].site.id),
        "vehicle_id": str(books.places[name].vehicle.id),
        "job_type_id": str(books.job_type.id),
        "description": "Please look at it",
        "urgency": "normal",
    }
    response = client.post(_url("/requests/new"), data=data)
    if name in books.seen_by(who):
        assert response.status_code == 303
    else:
        assert response.status_code == 422
        assert "Choose one of your vehicles." in text_of(response)
        stored = select(ServiceRequest).where(ServiceRequest.description == "Please look at it")
        assert db.session.scalar(stored) is None


def test_history_filters_offer_only_the_sites_vehicles_and_assets_the_contact_sees(
    client, books, who
):
    html = client.get(_url("/history")).get_data(as_text=True)
    # One visible site needs no site filter at all; two or more are all listed.
    sites = _options(html, "site_id")
    assert ("South building" in sites) == (who == "whole")
    assert ("North building" in sites) == (who == "whole")
    _assert_sees(_options(html, "vehicle_id"), books, who, lambda p, name: p.vehicle.plate)
    _assert_sees(_options(html, "asset_id"), books, who, lambda p, name: p.asset.asset_code)


# ---------------------------------------------------------------- documents follow their job


def test_a_report_or_invoice_of_a_job_is_at_the_jobs_site(client, db, create, books, owner):
    """Report #15 vs #8: both belong to a North-building job; one was stored without a
    site. A document made for a job shows wherever the job shows, and nowhere else."""
    north, south = books.places["north"].site, books.places["south"].site
    customer = north.customer
    siteless = reports.create_report(
        customer, kind=ReportKind.SERVICE, title="Siteless", job=books.places["north"].completed
    )
    siteless.site_id = None
    job = create.job(customer, JobStatus.COMPLETED, title="Roof check", site_id=north.id)
    moved = reports.create_report(customer, kind=ReportKind.SERVICE, title="Moved", job=job)
    moved_invoice = create.invoice(customer, site_id=north.id, job_id=job.id)
    for report in (siteless, moved):
        reports.approve_report(report, by=owner)
    job.site_id = south.id  # staff move the job to the South building afterwards
    books.places["north"].invoice.site_id = None  # an invoice of a North job, without a site
    db.session.flush()
    sign_in(client, books.scoped)
    assert client.get(_url(f"/reports/{siteless.id}")).status_code == 200
    assert client.get(_url(f"/reports/{siteless.id}.pdf")).status_code == 200
    assert client.get(_url(f"/invoices/{books.places['north'].invoice.id}")).status_code == 200
    assert client.get(_url(f"/reports/{moved.id}")).status_code == 404
    assert client.get(_url(f"/invoices/{moved_invoice.id}")).status_code == 404
    listing = text_of(client.get(_url("/reports")))
    assert "Siteless" in listing and "Moved" not in listing


def test_both_twins_put_a_job_document_at_its_jobs_site_whatever_its_own_says(db, create, books):
    """An invoice stored without a site, and one whose job moved to another building: each
    is where its job is, in SQL and in Python alike."""
    north, south = books.places["north"].site, books.places["south"].site
    job = create.job(north.customer, JobStatus.COMPLETED, site_id=north.id)
    siteless = create.invoice(north.customer, job_id=job.id)
    stale = create.invoice(north.customer, site_id=south.id, job_id=job.id)
    db.session.flush()
    for invoice in (siteless, stale):
        assert visible(invoice, {north.id}) and not visible(invoice, {south.id})
        in_north = site_condition(Invoice, {north.id})
        found = db.session.scalar(select(Invoice.id).where(Invoice.id == invoice.id, in_north))
        assert found == invoice.id
