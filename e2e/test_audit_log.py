"""The audit log in Chromium: the owner signs in, opens Audit log from the navigation and
reads their own sign-in as a sentence; filtering by kind swaps the table in place; the page
is axe-clean and readable at phone width."""

import re

from playwright.sync_api import Page, expect

from .quality import Journey, assert_same_document, mark_document
from .test_operator import sign_in


def test_the_owner_reads_and_filters_the_audit_log(page: Page, live_server, artifacts_dir):
    journey = Journey(page, artifacts_dir)
    sign_in(page)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    table = page.locator("#audit-table")
    expect(table).to_contain_text(re.compile(r"Olivia Bennett signed in\."))
    journey.check(screenshot="operator-audit-log")

    mark_document(page)
    page.get_by_label("Kind").select_option(label="Settings")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"kind=settings"))
    expect(table).not_to_contain_text("signed in.")
    assert_same_document(page)  # htmx swapped the table; the page did not reload

    page.get_by_label("Kind").select_option(label="Staff and sign-in")
    page.get_by_role("button", name="Show").click()
    expect(table).to_contain_text(re.compile(r"Olivia Bennett signed in\."))
    csv_link = page.get_by_role("link", name="Export CSV")
    expect(csv_link).to_have_attribute(
        "href", re.compile(r"kind=staff.*format=csv|format=csv.*kind=staff")
    )
    journey.check()
    journey.finish()
