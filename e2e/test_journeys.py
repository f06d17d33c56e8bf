"""One journey per role, start to finish, with the same checks on every page visited
(``Journey.check``: axe-core WCAG 2.2 A/AA, no horizontal overflow at 360 px, screenshots
of the main pages at phone and desktop size) and, at the end, no console error, failed
request or unexpected error response (``Journey.finish``). Then the main actions once
more with the keyboard only, with the focus visible on each control used."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from fieldportal.demo_data import PORTAL_PASSWORD, STAFF_PASSWORD
from fieldportal.extensions import db
from fieldportal.models import Company, Customer, CustomerKind
from fieldportal.services.portal.portal_auth import regenerate_fleet_token
from tests.factories import create_contact, create_customer, create_request, create_vehicle

from .quality import (
    PHONE,
    Journey,
    PageProblems,
    assert_focus_visible,
    assert_same_document,
    mark_document,
    tab_to,
)
from .test_requests import pending_count, portal_password_sign_in, staff_sign_in

FLEET = "Journey Freight"
FLEET_EMAIL = "ops@journey-freight.example"


def _acme() -> Company:
    return db.session.scalar(select(Company).where(Company.slug == "acme"))


@pytest.fixture(scope="module")
def journey_fleet(live_server) -> int:
    """A fleet of Acme's with a contact to invoice and one vehicle overdue for service."""

    def create():
        fleet = create_customer(
            _acme(), CustomerKind.FLEET, name=FLEET, email=FLEET_EMAIL, interval_miles=5_000
        )
        create_contact(fleet, name="Jo Journey", email=FLEET_EMAIL)
        create_vehicle(fleet, plate="JRN-001", odometer=21_000, last_service_odometer=10_000)
        return fleet.id

    return live_server.run(create)


def pending_request(live_server, customer_id: int, description: str) -> int:
    def create():
        return create_request(db.session.get(Customer, customer_id), description=description).id

    return live_server.run(create)


def portal_contact(live_server, name: str, email: str | None, phone: str | None) -> int:
    """A new household customer of Acme's with one contact who has never signed in;
    returns the customer's id."""

    def create():
        customer = create_customer(_acme(), name=name)
        create_contact(customer, name=name, email=email, phone=phone)
        return customer.id

    return live_server.run(create)


@pytest.fixture
def phone_page(browser: Browser, live_server):
    """A fresh phone-sized browser (its own cookies) for a portal user."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def money(text: str) -> float:
    return float(re.sub(r"[^\d.-]", "", text))


def nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


# --- Operator -------------------------------------------------------------------------


def test_operator_journey(page: Page, live_server, journey_fleet, artifacts_dir):
    request_id = pending_request(live_server, journey_fleet, "Journey: brakes squeal on van 1")
    journey = Journey(page, artifacts_dir)
    page.goto("/login")
    journey.check("operator-sign-in")
    staff_sign_in(page, "owner@acme.example")
    expect(page.get_by_role("heading", name="Today at Acme Mobile Mechanics")).to_be_visible()
    journey.check("operator-home")

    # Fleet index: sort, search and filter swap the table in place and the URL follows.
    nav(page, "Fleet accounts")
    expect(page.get_by_role("heading", name="Fleet accounts", exact=True)).to_be_visible()
    journey.check("operator-fleets")
    mark_document(page)
    table = page.locator("#fleet-table")
    table.get_by_role("link", name="Open A/R").click()
    expect(page).to_have_url(re.compile(r"sort=ar&dir=desc"))
    expect(table.locator('th[aria-sort="descending"]')).to_contain_text("Open A/R")
    balances = [money(cell) for cell in table.locator("tbody td:nth-child(6)").all_inner_texts()]
    assert balances and balances == sorted(balances, reverse=True)
    page.get_by_label("Search by name").fill(FLEET)
    expect(page).to_have_url(re.compile(r"q=Journey(\+|%20)Freight"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(FLEET)
    page.get_by_label("Has overdue vehicles").check()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr td:nth-child(3)")).to_have_text("1 overdue")
    assert_same_document(page)
    journey.check()

    # Back restores each earlier table, with its controls.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"overdue=1"))
    expect(page.get_by_label("Has overdue vehicles")).not_to_be_checked()
    expect(page.get_by_label("Search by name")).to_have_value(FLEET)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"q="))
    expect(page.get_by_label("Search by name")).to_have_value("")
    expect(table.locator('th[aria-sort="descending"]')).to_contain_text("Open A/R")
    assert table.locator("tbody tr").count() > 1
    page.go_forward()
    expect(table.locator("tbody tr")).to_have_count(1)
    table.get_by_role("link", name=FLEET).click()

    expect(page.get_by_role("heading", name=FLEET, level=1)).to_be_visible()
    expect(page.locator("tr[data-vehicle]", has_text="JRN-001").locator(".badge")).to_have_text(
        "Overdue"
    )
    journey.check("operator-fleet-detail")

    # Approve the fleet's request inline: the row and the pending count change, no reload.
    nav(page, "Requests")
    expect(page.get_by_role("heading", name=re.compile("Service requests"))).to_be_visible()
    mark_document(page)
    before = pending_count(page)
    row = page.locator(f"#request-{request_id}")
    row.get_by_role("button", name="Approve").click()
    expect(row.locator(".request-status")).to_have_text("Approved")
    expect(page.locator(".pending-count")).to_have_text(f"{before - 1} pending")
    assert_same_document(page)
    journey.check("operator-requests")

    # Create an invoice, send it, find the email in the outbox.
    nav(page, "Invoices")
    page.get_by_role("link", name="New invoice").click()
    journey.check("operator-invoice-form")
    page.get_by_label("Customer").select_option(label=FLEET)
    page.get_by_label("Line 1 description").fill("Brake inspection")
    page.get_by_label("Line 1 quantity").fill("2")
    page.get_by_label("Line 1 unit price").fill("45.50")
    page.get_by_role("button", name="Save draft").click()
    heading = page.get_by_role("heading", name=re.compile(r"Invoice #\d+"))
    expect(heading).to_contain_text("Draft")
    number = re.search(r"#(\d+)", heading.inner_text()).group(1)
    expect(page.locator("[data-figure=subtotal]")).to_have_text("$91.00")
    journey.check()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text(f"Invoice #{number} sent to {FLEET_EMAIL}.")).to_be_visible()
    expect(heading).to_contain_text("Open")  # sent, not yet paid
    journey.check("operator-invoice")

    nav(page, "Outbox")
    email_row = page.locator("#outbox-table tbody tr", has_text=f"Invoice #{number} from")
    expect(email_row).to_have_count(1)
    expect(email_row).to_contain_text(FLEET_EMAIL)
    journey.check("operator-outbox")
    email_row.get_by_role("link").click()
    expect(page.get_by_text(f"Invoice #{number}").first).to_be_visible()
    journey.check()
    journey.finish()


# --- Portal customer on a phone -------------------------------------------------------


def test_portal_customer_journey(phone_page: Page, live_server, stripe_standin, artifacts_dir):
    page = phone_page
    journey = Journey(page, artifacts_dir)
    page.goto("/portal/acme/sign-in")
    journey.check("portal-sign-in")
    page.get_by_role("textbox", name="Email").first.fill("fleet@acme.example")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    journey.check()
    page.goto(live_server.outbox_link("fleet@acme.example", "/link/"))
    journey.check()
    page.get_by_role("button", name="Continue to Acme Mobile Mechanics").click()
    expect(page.get_by_role("heading", name="Hello, Frank")).to_be_visible()
    journey.check("portal-dashboard")

    tabs = page.get_by_role("navigation", name="Portal")
    labels = tabs.get_by_role("link").all_inner_texts()
    assert {"Jobs", "History", "Vehicles", "Quotes", "Invoices", "Requests", "Account"} <= set(
        labels
    ), labels
    mark_document(page)
    for label in labels:
        tab = tabs.get_by_role("link", name=label, exact=True)
        tab.click()
        expect(page).to_have_url(re.compile(re.escape(tab.get_attribute("href")) + "$"))
        expect(tab).to_have_attribute("aria-current", "page")
        expect(page.locator("#panel h1")).to_be_visible()
        journey.check(f"portal-{label.lower()}")
    assert_same_document(page)  # each tab swapped only the panel

    # Pay an open invoice through (stand-in) Stripe Checkout, then download its PDF.
    tabs.get_by_role("link", name="Invoices").click()
    page.get_by_role("navigation", name="Filter invoices").get_by_role("link", name="Open").click()
    expect(page).to_have_url(re.compile(r"state=open"))
    page.locator("#invoice-list article").first.get_by_role("link").click()
    number = re.search(r"#(\d+)", page.get_by_role("heading", level=1).inner_text()).group(1)
    balance = page.locator("[data-figure=balance]").inner_text().strip()
    invoice_url = page.url
    assert money(balance) > 0
    journey.check("portal-invoice")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Stand-in Checkout")).to_be_visible()
    page.get_by_role("button", name=f"Pay {money(balance):.2f}").click()
    expect(page.get_by_text("Payment received.")).to_be_visible(timeout=15_000)
    journey.check()
    page.goto(invoice_url)
    expect(page.locator("[data-figure=balance]")).to_have_text("$0.00")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"invoice-{number}.pdf"
    pdf = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert f"Invoice #{number}" in text and "Balance due $0.00" in text

    # Ask for more work.
    tabs.get_by_role("link", name="Requests").click()
    page.get_by_role("link", name="Request service").click()
    journey.check("portal-request-form")
    for label in ("Site", "Service"):
        field = page.get_by_label(label, exact=True)
        if field.count() and field.locator("option[value='']").count():
            field.select_option(index=1)
    page.get_by_label("What do you need?").fill("Journey: annual inspection for the whole fleet")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(re.compile(r"Thanks — request #\d+ was sent"))).to_be_visible()
    card = page.locator(".request-row", has_text="Journey: annual inspection")
    expect(card.locator(".request-status")).to_have_text("Pending")
    journey.check("portal-my-requests")
    journey.finish()


# --- Fleet manager by token URL -------------------------------------------------------


def test_fleet_manager_by_token_url_reads_but_changes_nothing(
    phone_page: Page, live_server, artifacts_dir
):
    def new_token():
        fleet = db.session.scalar(select(Customer).where(Customer.name == "Metro Couriers"))
        return regenerate_fleet_token(fleet)

    token = live_server.run(new_token)
    page = phone_page
    journey = Journey(page, artifacts_dir)
    page.goto(f"/portal/t/{token}")
    expect(page.get_by_role("heading", name="Hello, Metro Couriers")).to_be_visible()
    assert token not in page.url
    journey.check("portal-fleet-token")

    tabs = page.get_by_role("navigation", name="Portal")
    labels = tabs.get_by_role("link").all_inner_texts()
    assert "Vehicles" in labels and "Requests" not in labels, labels
    for label in labels:
        tabs.get_by_role("link", name=label, exact=True).click()
        expect(tabs.get_by_role("link", name=label, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.locator("#panel h1")).to_be_visible()
        journey.check()
        writes = page.locator("form[method=post]").evaluate_all(
            "(forms) => forms.map((form) => form.action).filter((a) => !a.endsWith('/sign-out'))"
        )
        assert writes == [], f"{label}: forms that change data {writes}"

    journey.problems.allow(404, "/portal/acme/requests/new")
    assert page.goto("/portal/acme/requests/new").status == 404
    journey.finish()


# --- Contacts signing in by phone + PIN, and by activation email ----------------------


def open_portal_access(page: Page, customer_id: int, contact_name: str, journey) -> None:
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("link", name=f"Portal access for {contact_name}").click()
    expect(page.get_by_role("heading", name=f"Portal access: {contact_name}")).to_be_visible()
    journey.check("operator-portal-access")


def test_contact_signs_in_with_phone_and_pin_set_by_staff(
    page: Page, phone_page: Page, live_server, artifacts_dir
):
    customer_id = portal_contact(live_server, "Pat Pinner", None, "+1 312 555 0177")
    staff = Journey(page, artifacts_dir)
    staff_sign_in(page, "owner@acme.example")
    open_portal_access(page, customer_id, "Pat Pinner", staff)
    page.get_by_label("New PIN (4 to 8 digits)").fill("913570")
    page.get_by_role("button", name="Save PIN").click()
    expect(page.get_by_text("PIN saved. It will not be shown again.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("PINSet")
    staff.check()
    staff.finish()

    customer = Journey(phone_page, artifacts_dir)
    phone_page.goto("/portal/acme/sign-in")
    section = phone_page.locator(
        "section", has=phone_page.get_by_role("heading", name="Sign in with your phone and PIN")
    )
    section.get_by_label("Phone number").fill("+1 312 555 0177")
    section.get_by_label("PIN").fill("913570")
    section.get_by_role("button", name="Sign in").click()
    expect(phone_page.get_by_role("heading", name="Hello, Pat")).to_be_visible()
    customer.check()
    customer.finish()


def test_contact_activates_with_temporary_password_and_must_choose_a_new_one(
    page: Page, phone_page: Page, live_server, artifacts_dir
):
    email = "alex.activation@journey.example"
    customer_id = portal_contact(live_server, "Alex Activation", email, None)
    staff = Journey(page, artifacts_dir)
    staff_sign_in(page, "owner@acme.example")
    open_portal_access(page, customer_id, "Alex Activation", staff)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send activation email").click()
    expect(page.get_by_text(f"temporary password sent to {email}")).to_be_visible()
    staff.check()
    staff.finish()
    temporary = re.search(r"temporary password:\s+(\S+)", live_server.outbox_text(email)).group(1)

    customer = Journey(phone_page, artifacts_dir)
    portal_password_sign_in(phone_page, email, temporary)
    expect(phone_page.get_by_role("heading", name="Choose your password")).to_be_visible()
    customer.check("portal-choose-password")
    phone_page.goto("/portal/acme/jobs")  # every page insists until it is changed
    expect(phone_page.get_by_role("heading", name="Choose your password")).to_be_visible()
    phone_page.get_by_label("New password", exact=True).fill("Quiet-Harbour-2031")
    phone_page.get_by_label("Repeat the new password").fill("Quiet-Harbour-2031")
    phone_page.get_by_role("button", name="Save password").click()
    expect(phone_page.get_by_role("heading", name="Hello, Alex")).to_be_visible()
    customer.check()
    customer.finish()


# --- Keyboard only --------------------------------------------------------------------


def keyboard_sign_in(page: Page, form, email: str, password: str) -> None:
    """Tab to the email field of ``form`` (its focus visible), type, Tab on to the
    password, type, press Enter."""
    field = form.locator("input[name=email]")
    tab_to(page, field)
    assert_focus_visible(field)
    page.keyboard.type(email)
    tab_to(page, form.locator("input[type=password]"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def test_operator_keyboard_only(page: Page, live_server, journey_fleet):
    request_id = pending_request(live_server, journey_fleet, "Journey: keyboard-only approval")
    problems = PageProblems(page)
    page.goto("/login")
    keyboard_sign_in(page, page, "owner@acme.example", STAFF_PASSWORD)
    expect(page.get_by_role("heading", name="Today at Acme Mobile Mechanics")).to_be_visible()

    page.goto("/fleets")
    search = page.get_by_label("Search by name")
    tab_to(page, search)
    assert_focus_visible(search)
    page.keyboard.type("Journey")
    expect(page).to_have_url(re.compile(r"q=Journey"))
    expect(page.locator("#fleet-table tbody tr")).to_have_count(1)
    header = page.locator("#fleet-table th").get_by_role("link", name="Vehicles")
    tab_to(page, header)
    assert_focus_visible(header)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=vehicles"))
    expect(page.locator('#fleet-table th[aria-sort="descending"]')).to_contain_text("Vehicles")
    # The swapped-in header keeps the focus, so the keyboard user keeps their place.
    assert_focus_visible(header)

    page.goto("/requests")
    row = page.locator(f"#request-{request_id}")
    approve = row.get_by_role("button", name="Approve")
    tab_to(page, approve, limit=200)
    assert_focus_visible(approve)
    page.keyboard.press("Enter")
    expect(row.locator(".request-status")).to_have_text("Approved")
    expect(row.locator(".request-outcome")).to_be_focused()
    problems.assert_none()


def test_portal_keyboard_only(phone_page: Page, live_server):
    page = phone_page
    problems = PageProblems(page)
    page.goto("/portal/acme/sign-in")
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Sign in with a password")
    )
    keyboard_sign_in(page, section, "consumer@acme.example", PORTAL_PASSWORD)
    expect(page.get_by_role("heading", name="Hello, Carla")).to_be_visible()

    tabs = page.get_by_role("navigation", name="Portal")
    for label, heading in (("Jobs", "Active jobs"), ("History", "Service history")):
        tab = tabs.get_by_role("link", name=label, exact=True)
        tab_to(page, tab)
        assert_focus_visible(tab)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(tab).to_have_attribute("aria-current", "page")
        expect(tab).to_be_focused()
    problems.assert_none()
