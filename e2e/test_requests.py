"""Service requests in a real browser: staff decide inline in the inbox; a customer on a
phone asks for work with a photo and sees the answer."""

import re

from playwright.sync_api import Page, expect

from fieldportal.demo_data import STAFF_PASSWORD

from .quality import PageProblems, assert_accessible


def staff_sign_in(page: Page, email: str = "dispatcher@acme.example") -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def pending_count(page: Page) -> int:
    return int(page.locator(".pending-count").first.get_attribute("data-pending-count"))


def test_decline_without_reason_is_refused_inline_then_accepted(page: Page, live_server):
    problems = PageProblems(page)
    staff_sign_in(page)
    page.goto("/requests")
    assert_accessible(page)
    before = pending_count(page)
    row = page.locator(".request-row.request-pending").first
    row_id = row.get_attribute("id")
    row = page.locator(f"#{row_id}")

    row.get_by_role("button", name="Decline").click()
    expect(row.get_by_text("Give the customer a reason.")).to_be_visible()
    expect(row.get_by_label("Reason (the customer reads it)")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page).to_have_url(re.compile(r"/requests$"))  # swapped in place, no navigation
    expect(page.locator(".pending-count").first).to_have_text(f"{before} pending")

    row.get_by_label("Reason (the customer reads it)").fill("We are fully booked that week")
    row.get_by_role("button", name="Decline").click()
    expect(row.get_by_text("We are fully booked that week")).to_be_visible()
    expect(row.locator(".request-status")).to_have_text("Declined")
    expect(row.locator(".request-outcome")).to_be_focused()
    expect(page.locator(".pending-count").first).to_have_text(f"{before - 1} pending")
    assert_accessible(page)
    # Chromium logs the expected 422 of the refused decline as a console error.
    problems.console_errors = [e for e in problems.console_errors if "422" not in e]
    problems.assert_none()
