"""A platform admin's first day, in Chromium: the set-password link from the command line,
two-factor set up with an authenticator (a code computed from the key the page shows),
the companies list searched with htmx, a company moved to Free and back, suspended (its
staff sign-in says so) and resumed, and the audit log. Every page axe-clean at desktop
and phone width, no console error or unexpected failed response."""

import re

import pyotp
from playwright.sync_api import Page, expect

from fieldportal.demo_data import STAFF_PASSWORD
from fieldportal.services.platform import accounts

from .quality import Journey

ADMIN = "ops@platform.example.com"
PASSWORD = "a long platform passphrase"


def test_platform_admin_sets_up_and_runs_the_installation(
    page: Page, live_server, browser, artifacts_dir
):
    _, link = live_server.run(lambda: accounts.create_admin(ADMIN))
    journey = Journey(page, artifacts_dir)

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
    journey.check()
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    page.get_by_role("button", name="Save the password").click()

    expect(page.get_by_role("heading", name="Set up two-factor")).to_be_visible()
    journey.check()
    page.get_by_role("button", name="Set up two-factor").click()
    expect(page.get_by_role("img", name="QR code for fieldportal platform")).to_be_visible()
    journey.check(screenshot="platform-two-factor")
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    page.get_by_role("textbox", name="The code your app shows").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn two-factor on").click()

    expect(page.get_by_role("heading", name="Two-factor is on")).to_be_visible()
    assert len(re.findall(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", page.content())) == 10
    journey.check()
    page.get_by_role("link", name="I have kept them: go to the companies").click()

    expect(page.get_by_role("heading", name="Companies")).to_be_visible()
    table = page.locator("#company-table")
    expect(table.get_by_role("link", name="Acme Mobile Mechanics")).to_be_visible()
    expect(table.get_by_role("link", name="Northwind Fleet Services")).to_be_visible()
    journey.check(screenshot="platform-companies")
    page.get_by_label("Search name or slug").fill("north")
    expect(table.get_by_role("link", name="Acme Mobile Mechanics")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/platform/\?q=north"))
    page.get_by_label("Search name or slug").fill("acme")
    table.get_by_role("link", name="Acme Mobile Mechanics").click()

    expect(page.get_by_role("heading", name="Acme Mobile Mechanics", exact=True)).to_be_visible()
    journey.check(screenshot="platform-company")
    page.get_by_label("Free: the back office, without the customer portal").check()
    page.get_by_role("button", name="Change the plan").click()
    expect(page.get_by_text("Acme Mobile Mechanics is now on Free.")).to_be_visible()
    expect(page.get_by_text("Closed: not in the Free plan")).to_be_visible()
    page.get_by_role("button", name="Suspend Acme Mobile Mechanics").click()
    expect(page.get_by_text("is suspended: staff cannot sign in")).to_be_visible()
    journey.check()

    staff = browser.new_page(base_url=live_server.url)
    staff.goto("/login")
    staff.get_by_label("Email").fill("owner@acme.example")
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_role("heading", name="Acme Mobile Mechanics is suspended")).to_be_visible()
    staff.goto("/portal/acme/sign-in")
    expect(staff.get_by_text("The customer portal is unavailable right now")).to_be_visible()
    staff.close()

    page.get_by_role("button", name="Resume Acme Mobile Mechanics").click()
    page.get_by_label("Pro: with the customer portal").check()
    page.get_by_role("button", name="Change the plan").click()
    expect(page.get_by_text("Acme Mobile Mechanics is now on Pro.")).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    for summary in ("Suspended Acme Mobile Mechanics", "Resumed Acme Mobile Mechanics"):
        expect(page.get_by_text(summary)).to_be_visible()
    journey.check()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Platform sign-in")).to_be_visible()
    journey.check()
    journey.finish()
