"""A technician on a 360 px phone runs a job to completion from My day while the customer's
portal, on another phone, shows each status as it is set."""

import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from fieldportal.demo_data import STAFF_PASSWORD
from fieldportal.extensions import db
from fieldportal.models import Contact, Customer, Job, JobStatus, StaffUser, Vehicle, utcnow
from fieldportal.services.clock import company_today, day_bounds_utc
from tests.factories import create_job

from .quality import PHONE, Journey, assert_no_horizontal_overflow
from .test_requests import portal_context

TITLE = "E2E: brake pads, front axle"


def _job_today_for_tech1() -> tuple[int, int, int]:
    """A job of the Acme fleet's (Frank's) in today's window, assigned to tech1; returns
    its id, number and its vehicle's odometer."""
    contact = db.session.scalar(select(Contact).where(Contact.email == "fleet@acme.example"))
    technician = db.session.scalar(select(StaffUser).where(StaffUser.email == "tech1@acme.example"))
    vehicle = db.session.scalar(
        select(Vehicle).where(Vehicle.customer_id == contact.customer_id).order_by(Vehicle.id)
    )
    company = technician.company
    start = max(utcnow(), day_bounds_utc(company, company_today(company))[0])
    job = create_job(
        db.session.get(Customer, contact.customer_id),
        JobStatus.ASSIGNED,
        title=TITLE,
        technician_id=technician.id,
        vehicle_id=vehicle.id,
        window_start=start.replace(microsecond=0),
        window_end=start.replace(microsecond=0) + timedelta(minutes=30),
        internal_notes="Gate code 4321",
    )
    db.session.flush()
    return job.id, job.number, vehicle.odometer


def _technician_phone(browser: Browser, live_server) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("tech1@acme.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def test_technician_runs_a_job_while_the_portal_shows_each_status(
    browser: Browser, live_server, artifacts_dir
):
    job_id, number, odometer = live_server.run(_job_today_for_tech1)
    customer = portal_context(browser, live_server, "fleet@acme.example").new_page()
    phone = _technician_phone(browser, live_server)
    journey = Journey(phone, artifacts_dir)

    def portal_shows(label: str) -> None:
        customer.goto("/portal/acme/jobs")
        expect(customer.locator(f'[data-job="{job_id}"] [data-status]')).to_have_text(label)

    portal_shows("Technician assigned")
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="My day").click()
    card = phone.locator(f"#job-{job_id}")
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text("Gate code 4321")
    expect(card.get_by_role("link", name=re.compile(r"\(call\)$"))).to_have_attribute(
        "href", re.compile(r"^tel:\+")
    )
    journey.check("my-day")
    for button, office, portal in (
        ("On my way", "En route", "On the way"),
        ("Arrived", "Arrived", "Technician arrived"),
        ("Start work", "In progress", "In progress"),
    ):
        card.get_by_role("button", name=re.compile(f"^{button}")).click()
        expect(card.locator("[data-job-status]")).to_have_text(office)
        portal_shows(portal)
    expect(card).to_contain_text(re.compile(r"On the way \d+:\d\d\s[AP]M by Marcus Hill"))
    assert_no_horizontal_overflow(phone)

    card.get_by_label("Odometer at service").fill(str(odometer - 1))
    card.get_by_label("Services performed").fill("Front pads and discs")
    journey.problems.allow(422, f"/my-day/jobs/{job_id}/complete")
    card.get_by_role("button", name=re.compile("^Complete job")).click()
    expect(card.get_by_role("alert")).to_contain_text("The odometer cannot go backwards")
    card.get_by_label("Odometer at service").fill(str(odometer + 120))
    card.get_by_role("button", name=re.compile("^Complete job")).click()
    expect(card.locator("[data-job-status]")).to_have_text("Completed")
    expect(card.get_by_role("button")).to_have_count(0)
    journey.check("my-day-done")
    journey.finish()

    customer.goto("/portal/acme/jobs")
    expect(customer.locator(f'[data-job="{job_id}"]')).to_have_count(0)
    customer.goto("/portal/acme/history")
    expect(customer.get_by_text(TITLE).first).to_be_visible()

    def stored():
        job = db.session.get(Job, job_id)
        return job.status, job.odometer_at_service, job.number

    assert live_server.run(stored) == (JobStatus.COMPLETED, odometer + 120, number)
