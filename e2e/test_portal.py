"""A customer on a phone: magic link from the outbox, every tab, load more, an expired
link turned into a fresh one, and the fleet token URL."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from fieldportal.extensions import db
from fieldportal.models import Customer, LoginLink, utcnow
from fieldportal.services.portal.portal_auth import regenerate_fleet_token

from .quality import PageProblems, assert_accessible, assert_no_horizontal_overflow

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def _request_link(page: Page, email: str):
    page.goto("/portal/acme/sign-in")
    page.get_by_role("textbox", name="Email").first.fill(email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_magic_link_then_every_tab(phone: Page, live_server):
    problems = PageProblems(phone)
    phone.goto("/portal/acme/sign-in")
    assert_accessible(phone)
    _request_link(phone, "fleet@acme.example")
    assert_accessible(phone)
    link = live_server.outbox_link("fleet@acme.example", "/link/")
    phone.goto(link)
    expect(phone.get_by_role("button", name="Continue to Acme Mobile Mechanics")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("button", name="Continue to Acme Mobile Mechanics").click()
    expect(phone.get_by_role("heading", name="Hello, Frank")).to_be_visible()
    assert "/link/" not in phone.url
    assert_accessible(phone)
    assert_no_horizontal_overflow(phone)

    tabs = phone.get_by_role("navigation", name="Portal")
    for label, heading in (
        ("Jobs", "Active jobs"),
        ("History", "Service history"),
        ("Vehicles", "Vehicles"),
        ("Account", "Account"),
    ):
        tabs.get_by_role("link", name=label, exact=True).click()
        expect(phone.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(tabs.get_by_role("link", name=label, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        assert_accessible(phone)
        assert_no_horizontal_overflow(phone)

    tabs.get_by_role("link", name="History", exact=True).click()
    expect(phone.get_by_role("heading", name="Service history")).to_be_visible()
    cards = phone.locator("#history-list > li.card")
    expect(cards).to_have_count(20)
    phone.get_by_role("link", name="Load more").click()
    expect(cards).not_to_have_count(20)
    assert cards.count() > 20
    phone.go_back()
    expect(phone.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    problems.assert_none()


def test_expired_link_offers_a_fresh_one(phone: Page, live_server):
    _request_link(phone, "consumer@acme.example")
    link = live_server.outbox_link("consumer@acme.example", "/link/")
    with live_server.app.app_context():
        db.session.execute(update(LoginLink).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="This sign-in link has expired")).to_be_visible()
    phone.get_by_role("button", name="Send me a new link").click()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    fresh = live_server.outbox_link("consumer@acme.example", "/link/")
    assert fresh != link
    phone.goto(fresh)
    phone.get_by_role("button", name="Continue to Acme Mobile Mechanics").click()
    expect(phone.get_by_role("heading", name="Hello, Carla")).to_be_visible()


def test_fleet_token_url_opens_read_only_portal(phone: Page, live_server):
    with live_server.app.app_context(), live_server.app.test_request_context():
        fleet = db.session.scalar(select(Customer).where(Customer.name == "Metro Couriers"))
        token = regenerate_fleet_token(fleet)
        db.session.commit()
    phone.goto(f"/portal/t/{token}")
    expect(phone.get_by_role("heading", name="Hello, Metro Couriers")).to_be_visible()
    assert token not in phone.url
    expect(phone.get_by_role("link", name="Invoices")).to_have_count(0)
    assert_accessible(phone)


def test_active_jobs_show_a_change_within_ten_seconds(phone: Page, live_server):
    """The Active jobs tab polls: 304 with no body while nothing changed, and a status set
    in the office shows on the phone within 10 s of being saved."""
    from fieldportal.models import Contact, Job, JobStatus
    from fieldportal.services.portal.portal_records import ACTIVE_ORDER

    _request_link(phone, "fleet@acme.example")
    phone.goto(live_server.outbox_link("fleet@acme.example", "/link/"))
    phone.get_by_role("button", name="Continue to Acme Mobile Mechanics").click()
    expect(phone.get_by_role("heading", name="Hello, Frank")).to_be_visible()
    phone.goto("/portal/acme/jobs")

    def a_job_not_in_progress():
        contact = db.session.scalar(select(Contact).where(Contact.email == "fleet@acme.example"))
        return db.session.scalar(
            select(Job.id)
            .where(Job.customer_id == contact.customer_id, Job.status.in_(ACTIVE_ORDER[1:]))
            .order_by(Job.id)
            .limit(1)
        )

    job_id = live_server.run(a_job_not_in_progress)
    card = phone.locator(f'[data-job="{job_id}"] [data-status]')
    expect(card).not_to_have_text("In progress")

    def poll_now():
        phone.wait_for_timeout(100)  # the swapped-in fragment is processed by htmx
        with phone.expect_response(lambda response: response.url.endswith("/jobs")) as polled:
            phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        return polled.value.status

    assert poll_now() == 200  # learns the tag of what it shows
    assert poll_now() == 304  # nothing changed: no body

    def start_the_job():
        db.session.get(Job, job_id).status = JobStatus.IN_PROGRESS

    live_server.run(start_the_job)
    expect(card).to_have_text("In progress", timeout=11_000)
