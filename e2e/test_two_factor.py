"""A staff member sets two-factor up from their profile in Chromium (QR code, the key,
a first code, the recovery codes shown once) and signs in again with a code; every page
is axe-clean and fits a phone."""

import re
from datetime import timedelta

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import select

from fieldportal.extensions import db
from fieldportal.models import Company, StaffRole, utcnow
from fieldportal.services import settings

from .quality import PageProblems, assert_accessible, assert_no_horizontal_overflow

EMAIL = "two-factor@acme.example"
PASSWORD = "a long e2e password"


def _make_staff(live_server):
    def work():
        company = db.session.scalar(select(Company).where(Company.slug == "acme"))
        settings.create_staff(
            company,
            by=None,
            name="Tara Two",
            email=EMAIL,
            role=StaffRole.DISPATCHER,
            password=PASSWORD,
        )

    live_server.run(work)


def _password_step(page: Page):
    page.goto("/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_set_up_two_factor_then_sign_in_with_a_code(page: Page, live_server):
    _make_staff(live_server)
    problems = PageProblems(page)
    problems.allow(422, "/login/code")  # the wrong code, on purpose
    _password_step(page)
    page.get_by_role("link", name=re.compile("Tara Two")).click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Set up two-factor sign-in").click()

    expect(page.get_by_role("img", name="QR code for Acme Mobile Mechanics")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 780})
    assert_no_horizontal_overflow(page)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    # The previous step's code (still in the window), so the current one stays unused for
    # signing in below.
    first = pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=30))
    page.get_by_label("Code from the app").fill(first)
    page.get_by_role("button", name="Turn two-factor on").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_text("of 10 recovery codes left")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    _password_step(page)
    expect(page.get_by_role("heading", name="Enter your two-factor code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right or was already used")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today at Acme Mobile Mechanics")).to_be_visible()
    problems.assert_none()
