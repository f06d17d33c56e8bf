"""The portal's read-only tabs: active jobs, history, vehicles, assets, account."""

import re
from datetime import date, timedelta
from html import unescape

import flask
import pytest

from fieldportal.models import (
    AssetDefect,
    AssetTest,
    DefectSeverity,
    InvoiceStatus,
    JobStatus,
    OdometerReading,
    PortalPermission,
    StaffRole,
    utcnow,
)
from fieldportal.services.clock import company_today
from tests.helpers import sign_in, text_of


@pytest.fixture
def portal(client, contact):
    sign_in(client, contact)
    return client


def url(company, path=""):
    return f"/portal/{company.slug}{path}"


def test_active_jobs_in_customer_order_with_plain_labels(portal, company, fleet, create):
    technician = create.staff(company, role=StaffRole.TECHNICIAN, name="Marcus Hill")
    create.job(fleet, status=JobStatus.SCHEDULED, title="Tyre rotation")
    create.job(fleet, status=JobStatus.IN_PROGRESS, title="Oil change", technician_id=technician.id)
    create.job(fleet, status=JobStatus.EN_ROUTE, title="Brake service", technician_id=technician.id)
    create.job(fleet, status=JobStatus.COMPLETED, title="Old job")
    page = text_of(portal.get(url(company, "/jobs")))
    assert page.index("Oil change") < page.index("Brake service") < page.index("Tyre rotation")
    assert "In progress" in page and "On the way" in page and "Scheduled" in page
    assert "Technician: Marcus" in page and "Hill" not in page
    assert "Old job" not in page


def test_jobs_and_history_show_the_customer_note_never_the_internal_one(
    portal, company, fleet, create
):
    notes = dict(customer_notes="Gate code 4411", internal_notes="Customer slow to pay")
    create.job(fleet, status=JobStatus.SCHEDULED, title="Tyre rotation", **notes)
    create.job(fleet, status=JobStatus.COMPLETED, title="Oil change", **notes)
    for path in ("/jobs", "/history"):
        page = text_of(portal.get(url(company, path)))
        assert "Note: Gate code 4411" in page, path
        assert "slow to pay" not in page, path


def test_active_jobs_fragment_for_polling(portal, company, fleet, create):
    create.job(fleet, status=JobStatus.ARRIVED, title="Diagnostics")
    response = portal.get(url(company, "/jobs"), headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Technician arrived" in html and "data-poll" in html
    assert len(html) < 0.25 * len(portal.get(url(company, "/jobs")).get_data())


def test_add_to_calendar(portal, company, fleet, create):
    job = create.job(fleet, status=JobStatus.SCHEDULED, title="Annual inspection")
    response = portal.get(url(company, f"/jobs/{job.id}/calendar.ics"))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "Annual inspection" in body
    assert job.window_start.strftime("%Y%m%dT%H%M%SZ") in body
    done = create.job(fleet, status=JobStatus.COMPLETED)
    assert portal.get(url(company, f"/jobs/{done.id}/calendar.ics")).status_code == 404


def test_history_load_more_and_totals(portal, company, fleet, create):
    for n in range(25):
        create.job(
            fleet,
            status=JobStatus.COMPLETED,
            title=f"Service visit {n:02d}",
            completed_at=utcnow() - timedelta(days=n),
        )
    newest = create.job(
        fleet, status=JobStatus.COMPLETED, title="Newest visit", completed_at=utcnow()
    )
    create.invoice(fleet, status=InvoiceStatus.SENT, job_id=newest.id, lines=(("Labour", 9_900),))
    first = portal.get(url(company, "/history"))
    page = text_of(first)
    assert "Newest visit" in page and "$99.00" in page and "Completed" in page
    assert "Load more" in page
    assert "Service visit 24" not in page
    # The Load more link of the page (a keyset cursor): htmx gets the next rows only.
    html = first.get_data(as_text=True)
    load_more = re.search(r'<li class="load-more".*?</li>', html, re.S).group(0)
    href, hx_get = (
        unescape(re.search(rf'{name}="([^"]+)"', load_more).group(1)) for name in ("href", "hx-get")
    )
    more = portal.get(hx_get, headers={"HX-Request": "true"})
    more_text = text_of(more)
    assert "<html" not in more.get_data(as_text=True)
    assert "Service visit 24" in more_text and "Load more" not in more_text
    assert "Newest visit" not in more_text and "Service visit 18" not in more_text
    plain = portal.get(href)
    assert "Service visit 24" in text_of(plain)


def test_history_search_by_date_and_vehicle(portal, company, fleet, create):
    vehicle = create.vehicle(fleet, plate="FIND01")
    create.job(
        fleet,
        status=JobStatus.COMPLETED,
        title="Match",
        vehicle_id=vehicle.id,
        completed_at=utcnow(),
    )
    create.job(
        fleet,
        status=JobStatus.COMPLETED,
        title="Too old",
        vehicle_id=vehicle.id,
        completed_at=utcnow() - timedelta(days=90),
    )
    create.job(fleet, status=JobStatus.COMPLETED, title="Other van", completed_at=utcnow())
    since = (date.today() - timedelta(days=10)).isoformat()
    page = text_of(portal.get(url(company, f"/history?from={since}&vehicle_id={vehicle.id}")))
    assert "Match" in page and "Too old" not in page and "Other van" not in page


def _load_more_link(response) -> str | None:
    found = re.search(
        r'<li class="load-more".*?hx-get="([^"]+)"', response.get_data(as_text=True), re.S
    )
    return unescape(found.group(1)) if found else None


def test_history_load_more_keeps_the_filter_and_shows_every_job_once(
    portal, company, fleet, create
):
    """45 jobs completed at the same moment (ties on the date), 5 on another vehicle: the
    pages of the filtered list show the 45, each once, and nothing of the other vehicle."""
    vehicle = create.vehicle(fleet, plate="FIND02")
    when = utcnow() - timedelta(days=1)
    for n in range(45):
        create.job(
            fleet,
            status=JobStatus.COMPLETED,
            title=f"Same day {n:02d}",
            vehicle_id=vehicle.id,
            completed_at=when,
        )
    for n in range(5):
        create.job(fleet, status=JobStatus.COMPLETED, title=f"Other van {n}", completed_at=when)
    response = portal.get(url(company, f"/history?vehicle_id={vehicle.id}"))
    seen = re.findall(r"Same day \d\d", text_of(response))
    pages = 1
    while (link := _load_more_link(response)) is not None:
        assert f"vehicle_id={vehicle.id}" in link
        response = portal.get(link, headers={"HX-Request": "true"})
        seen += re.findall(r"Same day \d\d", text_of(response))
        assert "Other van" not in text_of(response)
        pages += 1
    assert pages == 3
    assert sorted(seen) == [f"Same day {n:02d}" for n in range(45)]


def test_vehicles_status_and_detail_with_forecast(portal, company, fleet, create, db):
    vehicle = create.vehicle(
        fleet, plate="DUE001", odometer=14_000, last_service_odometer=10_000, oil_spec="5W-30"
    )
    for days_ago, reading in ((60, 11_000), (0, 14_000)):
        db.session.add(
            OdometerReading(
                company_id=company.id,
                vehicle_id=vehicle.id,
                reading=reading,
                recorded_at=utcnow() - timedelta(days=days_ago),
            )
        )
    page = text_of(portal.get(url(company, "/vehicles")))
    assert "DUE001" in page and "5W-30" in page and "15,000 miles" in page
    detail = text_of(portal.get(url(company, f"/vehicles/{vehicle.id}")))
    assert "Next service by miles 15,000 miles (1,000 to go)" in detail
    # 3,000 miles in 60 days = 50 a day → 1,000 miles in 20 days
    expected = company_today(company) + timedelta(days=20)
    assert "Forecast at your usual mileage" in detail
    assert str(expected.day) in detail


def test_assets_show_only_chosen_fields_with_label_and_defects(client, company, create, db):
    account = create.customer(company, name="Lakeview Apartments")
    site = create.site(account, name="North building")
    asset = create.asset(
        account,
        site_id=site.id,
        asset_code="EXT-00042",
        serial_number="SN-SECRET",
        model_number="CO2-5",
    )
    db.session.add(
        AssetTest(
            company_id=company.id,
            asset_id=asset.id,
            test_number="T2026-1",
            tested_on=date(2026, 3, 1),
        )
    )
    db.session.add(
        AssetTest(
            company_id=company.id,
            asset_id=asset.id,
            test_number="T2025-1",
            tested_on=date(2025, 3, 1),
        )
    )
    db.session.add(
        AssetDefect(
            company_id=company.id,
            asset_id=asset.id,
            description="Missing tamper seal",
            severity=DefectSeverity.HIGH,
            found_on=date(2026, 3, 1),
        )
    )
    company.asset_id_label = "Equipment no."
    company.asset_portal_fields = ["model_number", "site"]
    contact = create.contact(account)
    sign_in(client, contact)
    page = text_of(client.get(url(company, "/assets")))
    assert "Equipment no. EXT-00042" in page
    assert "CO2-5" in page and "North building" in page
    assert "SN-SECRET" not in page
    assert "T2026-1" in page and "T2025-1" not in page
    assert "Missing tamper seal" in page
    assert "EXT-00042" not in text_of(client.get(url(company, "/assets?q=nothing-like-it")))


def test_site_scoped_contact_sees_only_its_sites(client, company, create):
    account = create.customer(company, name="Riverside Offices")
    north, south = create.site(account, name="North"), create.site(account, name="South")
    create.job(account, status=JobStatus.SCHEDULED, title="North job", site_id=north.id)
    south_job = create.job(account, status=JobStatus.SCHEDULED, title="South job", site_id=south.id)
    scoped = create.contact(account, is_admin=True, all_sites=False)
    scoped.sites.append(north)
    sign_in(client, scoped)
    page = text_of(client.get(url(company, "/jobs")))
    assert "North job" in page and "South job" not in page
    assert client.get(url(company, f"/jobs/{south_job.id}/calendar.ics")).status_code == 404


def test_account_is_read_only_details(portal, company, fleet):
    page = text_of(portal.get(url(company, "/account")))
    assert fleet.name in page and "Net 30 days" in page and "Frank Delgado" in page


@pytest.mark.parametrize(
    "path,permission",
    [
        ("/jobs", PortalPermission.JOBS),
        ("/history", PortalPermission.HISTORY),
        ("/vehicles", PortalPermission.VEHICLES),
        ("/assets", PortalPermission.ASSETS),
    ],
)
def test_without_permission_the_tab_is_404_and_unlinked(
    client, company, fleet, create, path, permission
):
    others = [p.value for p in PortalPermission if p != permission]
    limited = create.contact(fleet, is_admin=False, permissions=others)
    sign_in(client, limited)
    assert client.get(url(company, path)).status_code == 404
    assert f'href="{url(company, path)}"' not in client.get(url(company, "/")).get_data(
        as_text=True
    )


# Every tab, and whether a fleet-token viewer (read-only link) may open it.
FLEET_TOKEN_TABS = {
    "/": True,
    "/jobs": True,
    "/history": True,
    "/vehicles": True,
    "/assets": False,
    "/quotes": False,
    "/invoices": False,
    "/reports": False,
    "/requests": False,
    "/account": True,
}


def test_fleet_token_viewer_cannot_see_money_tabs(client, company, fleet, db):
    from fieldportal.blueprints.portal.tabs import TABS
    from fieldportal.services.auth.tokens import new_token, token_hash

    company.show_quotes = company.show_invoices = company.show_reports = True
    fleet.portal_token_hash = token_hash(new_token())
    sign_in(client, fleet)
    assert client.get(url(company, "/jobs")).status_code == 200
    assert client.get(url(company, "/assets")).status_code == 404
    with client.application.test_request_context():
        paths = {
            flask.url_for(tab.endpoint, company_slug=company.slug)[len(url(company)) :]
            for tab in TABS
        }
    assert paths == set(FLEET_TOKEN_TABS), "say what a fleet link gets for every tab"
    dashboard = client.get(url(company, "/")).get_data(as_text=True)
    for path, allowed in FLEET_TOKEN_TABS.items():
        status = client.get(url(company, path)).status_code
        assert status == (200 if allowed else 404), f"fleet link {path} → {status}"
        linked = f'href="{url(company, path)}"' in dashboard
        assert linked == allowed, f"fleet link: {path} {'not ' if allowed else ''}in the tabs"


@pytest.mark.parametrize("path", ["/jobs", "/history", "/vehicles", "/assets"])
def test_queries_do_not_grow_with_rows(portal, company, fleet, create, count_queries, path):
    account_site = create.site(fleet)

    def add_rows(count):
        for _ in range(count):
            vehicle = create.vehicle(fleet)
            create.job(
                fleet, status=JobStatus.SCHEDULED, vehicle_id=vehicle.id, site_id=account_site.id
            )
            create.job(
                fleet, status=JobStatus.COMPLETED, vehicle_id=vehicle.id, completed_at=utcnow()
            )
            create.asset(fleet, site_id=account_site.id)

    add_rows(1)
    portal.get(url(company, path))
    with count_queries() as few:
        portal.get(url(company, path))
    add_rows(12)
    with count_queries() as many:
        portal.get(url(company, path))
    assert len(many) == len(few) <= 10, path
