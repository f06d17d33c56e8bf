"""A staff owner signs in in Chromium and sees today's figures."""

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from fieldportal.demo_data import STAFF_PASSWORD
from fieldportal.extensions import db
from fieldportal.models import Company, RequestStatus, ServiceRequest

from .quality import PageProblems, assert_accessible, assert_no_horizontal_overflow


def test_owner_signs_in_and_sees_home_figures(page: Page, live_server):
    with live_server.app.app_context():
        company_id = db.session.scalar(select(Company.id).where(Company.slug == "acme"))
        pending = db.session.scalar(
            select(func.count(ServiceRequest.id)).where(
                ServiceRequest.company_id == company_id,
                ServiceRequest.status == RequestStatus.PENDING,
            )
        )
    problems = PageProblems(page)
    page.goto("/login")
    assert_accessible(page)
    page.get_by_label("Email").fill("owner@acme.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Today at Acme Mobile Mechanics")).to_be_visible()
    expect(page.locator("[data-figure=pending-requests]")).to_have_text(str(pending))
    expect(page.locator("[data-figure=jobs-today]")).not_to_have_text("0")
    expect(page.locator("[data-figure=overdue-vehicles]")).not_to_have_text("0")
    expect(page.locator("[data-figure=open-ar]")).to_contain_text("$")
    assert_accessible(page)
    problems.assert_none()
    page.set_viewport_size({"width": 360, "height": 780})
    assert_no_horizontal_overflow(page)


def test_wrong_password_shows_message(page: Page, live_server):
    page.goto("/login")
    page.get_by_label("Email").fill("owner@acme.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_text("Those details do not match an account, or the account is locked")
    ).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
