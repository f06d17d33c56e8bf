"""Operator back office in Chromium: fleet index sort/filter with back/forward, portal
token regeneration, a new customer's vehicle status, completing a job clears "Overdue", an
htmx upload over the body limit."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from fieldportal.demo_data import STAFF_PASSWORD
from fieldportal.extensions import db
from fieldportal.models import (
    Company,
    Customer,
    CustomerKind,
    ImportUpload,
    Job,
    JobStatus,
    Vehicle,
)
from fieldportal.services.auth.tokens import token_hash
from fieldportal.services.billing.numbering import next_number

from .quality import PageProblems, assert_accessible


def sign_in(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("owner@acme.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Today at"))).to_be_visible()


def fleet_names(page: Page) -> list[str]:
    return page.locator("#fleet-table tbody tr td:first-child a").all_inner_texts()


def test_fleet_index_sort_filter_search_and_history(page: Page, live_server):
    problems = PageProblems(page)
    sign_in(page)
    page.goto("/fleets")
    expect(page.get_by_role("heading", name="Fleet accounts", exact=True)).to_be_visible()
    by_name = fleet_names(page)
    assert by_name == sorted(by_name, key=str.lower)

    page.locator("#fleet-table th a", has_text="Vehicles").click()
    expect(page).to_have_url(re.compile(r"sort=vehicles&dir=desc"))
    expect(page.locator('#fleet-table th[aria-sort="descending"]')).to_contain_text("Vehicles")
    counts = [
        int(n) for n in page.locator("#fleet-table tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert counts == sorted(counts, reverse=True)
    by_vehicles = fleet_names(page)

    page.get_by_label("Has overdue vehicles").check()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    expect(page).to_have_url(re.compile(r"sort=vehicles"))  # the sort survives the filter
    overdue_cells = page.locator("#fleet-table tbody tr td:nth-child(3)").all_inner_texts()
    assert overdue_cells and all("overdue" in cell for cell in overdue_cells)

    first = fleet_names(page)[0]
    page.get_by_label("Search by name").fill(first[:5])
    expect(page).to_have_url(re.compile(r"q=" + re.escape(first[:5]).replace("\\ ", "(\\+|%20)")))
    expect(page.locator("#fleet-table tbody tr").first).to_contain_text(first[:5])
    assert_accessible(page)

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"q=[^&]"))
    expect(page).to_have_url(re.compile(r"overdue=1"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"overdue=1"))
    expect(page.locator("#fleet-table tbody tr")).to_have_count(len(by_vehicles))
    expect(page.get_by_label("Has overdue vehicles")).not_to_be_checked()
    assert fleet_names(page) == by_vehicles
    page.go_forward()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    expect(page.get_by_label("Has overdue vehicles")).to_be_checked()
    page.reload()
    expect(page.get_by_label("Has overdue vehicles")).to_be_checked()
    problems.assert_none()


def regenerate(page: Page, previous: str | None = None) -> str:
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#fleet-portal button.danger").click()
    url_box = page.locator("#portal-url")
    if previous:
        expect(url_box).not_to_have_value(previous)
    expect(url_box).to_have_value(re.compile(r"/portal/t/[A-Za-z0-9_-]{43}$"))
    expect(page.get_by_role("button", name="Copy portal link")).to_be_visible()
    return url_box.input_value()


def test_regenerate_portal_token(page: Page, browser, live_server):
    sign_in(page)
    page.goto("/fleets")
    page.locator("#fleet-table tbody tr td:first-child a").first.click()
    fleet_id = int(re.search(r"/fleets/(\d+)", page.url).group(1))
    fleet_name = page.get_by_role("heading", level=1).inner_text()
    old_url = regenerate(page)
    assert_accessible(page)
    fleet_manager = browser.new_context().new_page()
    fleet_manager.goto(old_url)
    expect(fleet_manager.get_by_text(fleet_name).first).to_be_visible()
    portal_home = fleet_manager.url

    new_url = regenerate(page, previous=old_url)
    assert new_url != old_url
    with live_server.app.app_context():
        stored = db.session.get(Customer, fleet_id).portal_token_hash
    assert stored == token_hash(new_url.rsplit("/", 1)[1])
    # The session the old link opened has ended, and the old link is dead.
    fleet_manager.goto(portal_home)
    expect(fleet_manager.get_by_text(fleet_name)).to_have_count(0)
    assert fleet_manager.goto(old_url).status == 404
    fleet_manager.goto(new_url)
    expect(fleet_manager.get_by_text(fleet_name).first).to_be_visible()
    fleet_manager.context.close()


def test_create_customer_with_vehicle_shows_interval_status(page: Page, live_server):
    sign_in(page)
    page.goto("/customers/new")
    page.get_by_label("Kind").select_option("fleet")
    page.get_by_label("Name", exact=True).fill("Browser Test Haulage")
    page.get_by_label("Default service interval (miles)").fill("5000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Browser Test Haulage"))).to_be_visible()
    page.get_by_role("link", name="Add vehicle").click()
    page.get_by_label("Make").fill("Iveco")
    page.get_by_label("Model", exact=True).fill("Daily")
    page.get_by_label("Odometer (miles)").fill("12000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-service-status]")).to_have_text("Overdue")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Browser Test Haulage")).click()
    expect(page.locator("tr", has_text="Iveco Daily").locator(".badge")).to_have_text("Overdue")


def test_completing_a_job_takes_the_vehicle_out_of_overdue(page: Page, live_server):
    with live_server.app.app_context():
        company = db.session.scalar(select(Company).where(Company.slug == "acme"))
        fleet = Customer(
            company_id=company.id,
            kind=CustomerKind.FLEET,
            name="Overdue Movers",
            interval_miles=5_000,
        )
        db.session.add(fleet)
        db.session.flush()
        vehicle = Vehicle(
            company_id=company.id,
            customer_id=fleet.id,
            make="Ford",
            model="Transit",
            plate="E2E-OD1",
            odometer=16_000,
            last_service_odometer=10_000,
        )
        db.session.add(vehicle)
        db.session.flush()
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        job = Job(
            company_id=company.id,
            customer_id=fleet.id,
            vehicle_id=vehicle.id,
            number=next_number(company.id, "job"),
            title="Overdue service",
            status=JobStatus.IN_PROGRESS,
            window_start=start,
            window_end=start + timedelta(hours=2),
        )
        db.session.add(job)
        db.session.commit()
        fleet_id, job_id = fleet.id, job.id

    sign_in(page)
    page.goto(f"/fleets/{fleet_id}")
    expect(page.locator("tr[data-vehicle]", has_text="E2E-OD1").locator(".badge")).to_have_text(
        "Overdue"
    )
    page.goto(f"/jobs/{job_id}")
    page.get_by_label("Odometer at service").fill("16100")
    page.get_by_label("Services performed").fill("Oil, filters, brake check")
    page.get_by_role("button", name="Complete job").click()
    expect(page.locator("[data-job-status]")).to_have_text("Completed")
    assert_accessible(page)
    page.goto(f"/fleets/{fleet_id}")
    expect(page.locator("tr[data-vehicle]", has_text="E2E-OD1").locator(".badge")).to_have_text(
        "OK"
    )


MEGABYTE = 1024 * 1024


def upload_count(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count(ImportUpload.id)))


def test_an_htmx_upload_over_the_limit_shows_the_message_above_the_form(
    page: Page, live_server, tmp_path
):
    """The import form posts through htmx; an 11 MB file gets the 413's message in the
    flash area and the form stays as it was, its file still chosen. (A file input, not
    11 MB typed into a textarea: laying that text out took Chromium 5 s idle and more than
    the click's 30 s at load 15-30, so the click timed out before anything was sent.)"""
    big = tmp_path / "customers.csv"
    row = "Hillside Homes,office@hillside.example,+1 312 555 0199\n"
    big.write_text("name,email,phone\n" + row * (11 * MEGABYTE // len(row) + 1))
    assert big.stat().st_size > 11 * MEGABYTE
    problems = PageProblems(page)
    problems.allow(413, "/import")
    sign_in(page)
    page.goto("/import")
    before = upload_count(live_server)
    file_field = page.get_by_label("File (CSV or .xlsx, up to 10 MB)")
    file_field.set_input_files(big)
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.locator("#flash")).to_contain_text(
        "What you sent is larger than 10 MB, the most we accept at once."
    )
    expect(page).to_have_url(re.compile(r"/import$"))  # no preview page: nothing was taken
    assert file_field.evaluate("(field) => [...field.files].map((file) => file.name)") == [
        "customers.csv"
    ]
    assert upload_count(live_server) == before
    assert_accessible(page)
    problems.assert_none()
