"""A dispatcher on a tablet opens the schedule from Jobs today, and schedules and assigns the
first queued job from the board in place; the job lands in the technician's lane."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from fieldportal.extensions import db
from fieldportal.models import Company, Job, JobStatus
from fieldportal.services.clock import company_today

from .quality import Journey
from .test_requests import staff_sign_in

TABLET = {"width": 768, "height": 1024}


def _first_queued_job() -> tuple[int, int, str, str]:
    """The queue's first job (Acme's oldest unscheduled): id, number, title, and Acme's
    today (ISO)."""
    company = db.session.scalar(select(Company).where(Company.slug == "acme"))
    job = db.session.scalar(
        select(Job)
        .where(Job.company_id == company.id, Job.status == JobStatus.UNSCHEDULED)
        .order_by(Job.number)
        .limit(1)
    )
    return job.id, job.number, job.title, company_today(company).isoformat()


def test_dispatcher_schedules_and_assigns_from_the_board(page: Page, live_server, artifacts_dir):
    job_id, number, title, today = live_server.run(_first_queued_job)
    page.set_viewport_size(TABLET)
    staff_sign_in(page)
    journey = Journey(page, artifacts_dir)
    page.locator("[data-figure=jobs-today]").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Schedule", exact=True)).to_be_visible()
    queue = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Waiting")))
    item = queue.locator(f'[data-job="{job_id}"]')
    expect(item).to_contain_text(title)
    journey.check("schedule")

    item.get_by_text(re.compile("^Time and technician")).click()
    item.get_by_label("Window starts").fill(f"{today}T23:00")
    item.get_by_label("Window ends").fill(f"{today}T23:30")
    item.get_by_label("Technician").select_option(label="Marcus Hill (technician)")
    item.get_by_role("button", name=re.compile("^Save")).click()

    lane = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Marcus Hill")))
    slot = lane.locator(f'[data-job="{job_id}"]')
    expect(slot).to_contain_text(f"#{number} {title}")
    expect(slot).to_contain_text("Assigned")
    expect(queue.locator(f'[data-job="{job_id}"]')).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/schedule$|/schedule\?"))
    journey.check()
    journey.finish()

    def stored():
        job = db.session.get(Job, job_id)
        return job.status, job.technician_id is not None

    assert live_server.run(stored) == (JobStatus.ASSIGNED, True)
