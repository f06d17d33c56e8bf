"""A company adopts fieldportal on a new installation, start to finish, in the browser:
sign up → confirm the email (the link read from the outbox, as delivered) → sign in →
the onboarding checklist (0 of 7) → its settings → invite a colleague, who accepts from the
emailed link in a browser of their own → import customers from a CSV → the first invoice
sent → the last step (a job type), and the checklist is gone. Every
page on the way is checked as every journey's are (``Journey.check``: axe-core WCAG 2.2
A/AA at its size and at phone width, no horizontal overflow) and, at the end, no console
error, failed request or unexpected error response (``Journey.finish``)."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import Company, Customer, Invoice, InvoiceStatus, OutboxEmail

from .quality import DESKTOP, Journey

COMPANY = "Harbour Lights Servicing"
SLUG = "harbour-lights-servicing"
OWNER_EMAIL = "hana@harbour-lights.example"
OWNER_PASSWORD = "tide-table-lantern-9"
COLLEAGUE_EMAIL = "ned@harbour-lights.example"
CUSTOMERS_CSV = (
    "external_ref,name,kind,email,phone,billing_address,billing_terms,notes,"
    "contact_name,contact_email,contact_phone\n"
    "HL-001,Quayside Couriers Ltd,fleet,accounts@quayside.example,020 7946 0110,"
    '"4 Wharf Lane, London E1 1AA",net_30,,Quinn Reed,quinn@quayside.example,020 7946 0111\n'
    "HL-002,Marsh Bakery,account,orders@marsh-bakery.example,,"
    '"9 Mill Street, London SE1 2BB",on_completion,,Mo Marsh,mo@marsh-bakery.example,\n'
    "HL-003,Pat Okafor,consumer,pat.okafor@example.com,020 7946 0112,,,,,,\n"
)


@pytest.fixture
def owner_page(browser: Browser, fresh_server):
    context = browser.new_context(base_url=fresh_server.url, viewport=DESKTOP)
    yield context.new_page()
    context.close()


def _steps_done(checklist) -> dict[str, bool]:
    """Each step of the onboarding checklist (its data-step) and whether it shows done."""
    steps = checklist.locator("li[data-step]")
    return {
        steps.nth(i).get_attribute("data-step"): "(done)" in steps.nth(i).inner_text()
        for i in range(steps.count())
    }


def _count(live, model) -> int:
    with live.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_company_signs_up_onboards_invites_imports_and_sends_its_first_invoice(
    owner_page: Page, browser: Browser, fresh_server, artifacts_dir
):
    page, live = owner_page, fresh_server
    assert _count(live, Company) == 0, "a new installation: no company yet"
    journey = Journey(page, artifacts_dir)

    # --- Sign up -------------------------------------------------------------------
    page.goto("/signup")
    journey.check("adoption-signup")
    page.get_by_label("Company name").fill(COMPANY)
    page.get_by_label("Company name").blur()
    expect(page.get_by_label("Web address")).to_have_value(SLUG)
    page.get_by_label("Country").select_option("GB")
    # htmx proposes the country's zone and currency in place.
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
    expect(page.get_by_label("Currency")).to_have_value("GBP")
    page.get_by_label("Your name").fill("Hana Harbour")
    page.get_by_label("Your email").fill(OWNER_EMAIL)
    page.get_by_label("Choose a password").fill(OWNER_PASSWORD)
    journey.check()
    page.get_by_role("button", name="Start my company").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    journey.check("adoption-signup-sent")

    # Not live before the email is confirmed: the owner cannot sign in yet.
    journey.problems.allow(422, "/login")
    page.goto("/login")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Those details do not match an account")).to_be_visible()

    # --- Confirm the email ---------------------------------------------------------
    confirm_link = live.outbox_link(OWNER_EMAIL, "/signup/confirm/")
    assert confirm_link.startswith(live.url)
    page.goto(confirm_link)
    journey.check("adoption-confirm")
    page.get_by_role("button", name=f"Confirm and start {COMPANY}").click()
    expect(page).to_have_url(f"{live.url}/login")
    expect(page.get_by_text(f"Your email is confirmed and {COMPANY} is live.")).to_be_visible()
    assert "/confirm/" not in page.url
    journey.check()

    # --- Sign in -------------------------------------------------------------------
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Today at {COMPANY}")).to_be_visible()
    # A new company starts with every step of the onboarding checklist to do.
    checklist = page.get_by_role("region", name=f"Set up {COMPANY}")
    expect(checklist).to_contain_text("0 of 7 done.")
    assert set(_steps_done(checklist).values()) == {False}
    journey.check("adoption-home")

    # --- Onboarding: brand and tax rate --------------------------------------------
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    journey.check("adoption-settings")
    page.get_by_label("Brand colour").fill("#0f766e")
    page.get_by_label("Default tax rate (%)").fill("20")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_label("Default tax rate (%)")).to_have_value("20")
    journey.check()
    # Brand, tax rate and the portal settings (chosen by saving them) tick themselves.
    nav.get_by_role("link", name="Home").click()
    expect(checklist).to_contain_text("3 of 7 done.")
    assert [step for step, done in _steps_done(checklist).items() if done] == [
        "branding",
        "tax_rate",
        "portal",
    ]

    # --- Invite a colleague, who joins from the emailed link ------------------------
    checklist.get_by_role("link", name="Invite your staff").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    journey.check("adoption-staff")
    page.get_by_label("Email").fill(COLLEAGUE_EMAIL)
    page.get_by_label("Role").select_option("dispatcher")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {COLLEAGUE_EMAIL}.")).to_be_visible(timeout=30_000)
    colleague_row = page.locator(f'tr[data-staff="{COLLEAGUE_EMAIL}"]')
    expect(colleague_row).to_contain_text("Invited")
    journey.check()

    invite_link = live.outbox_link(COLLEAGUE_EMAIL, "/invite/")
    assert invite_link.startswith(live.url)
    colleague_context = browser.new_context(base_url=live.url, viewport=DESKTOP)
    colleague = colleague_context.new_page()
    colleague_journey = Journey(colleague, artifacts_dir)
    colleague.goto(invite_link)
    expect(colleague.get_by_role("heading", name=f"Join {COMPANY}")).to_be_visible()
    colleague_journey.check("adoption-invitation")
    colleague.get_by_label("Your name").fill("Ned Lantern")
    colleague.get_by_label("Choose a password").fill("harbour-wall-beacon-4")
    colleague.get_by_label("Repeat the password").fill("harbour-wall-beacon-4")
    colleague.get_by_role("button", name=f"Join {COMPANY}").click()
    expect(colleague.get_by_text(f"Welcome to {COMPANY}, Ned. You are signed in.")).to_be_visible(
        timeout=30_000
    )
    expect(colleague.get_by_role("heading", name=f"Today at {COMPANY}")).to_be_visible()
    assert "/invite/" not in colleague.url
    colleague_journey.check()
    colleague_journey.finish()
    colleague_context.close()

    page.reload()
    expect(colleague_row).to_contain_text("Active")
    expect(colleague_row).to_contain_text("Ned Lantern")

    # --- Import customers from a CSV -----------------------------------------------
    nav.get_by_role("link", name="Import").click()
    journey.check("adoption-import")
    page.get_by_label("What the file holds").select_option("customers")
    page.get_by_label("File (CSV or .xlsx, up to 10 MB)").set_input_files(
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": CUSTOMERS_CSV.encode()}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("3 rows: 3 to create, 0 to update")).to_be_visible()
    created = page.get_by_role("region", name="To create", exact=True)
    for name in ("Quayside Couriers Ltd", "Marsh Bakery", "Pat Okafor"):
        expect(created).to_contain_text(name)
    assert _count(live, Customer) == 0, "nothing is saved before confirming"
    journey.check("adoption-import-preview")
    page.get_by_role("button", name="Import: create 3, update 0").click()
    expect(
        page.get_by_text("Imported customers: 3 created, 0 updated, 0 unchanged.")
    ).to_be_visible()
    assert _count(live, Customer) == 3
    journey.check()

    nav.get_by_role("link", name="Customers").click()
    table = page.locator("table", has_text="Quayside Couriers Ltd")
    for name in ("Quayside Couriers Ltd", "Marsh Bakery", "Pat Okafor"):
        expect(table).to_contain_text(name)
    journey.check("adoption-customers")
    table.get_by_role("link", name="Quayside Couriers Ltd").click()
    # The imported phone number, read at a London company, is shown as London dials it.
    expect(page.get_by_text("020 7946 0110").first).to_be_visible()
    expect(page.get_by_role("link", name="Portal access for Quinn Reed")).to_be_visible()
    journey.check()

    # --- The first invoice ---------------------------------------------------------
    nav.get_by_role("link", name="Invoices").click()
    journey.check("adoption-invoices-empty")
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Customer").select_option(label="Quayside Couriers Ltd")
    page.get_by_label("Line 1 description").fill("Van service and MOT preparation")
    page.get_by_label("Line 1 quantity").fill("1")
    page.get_by_label("Line 1 unit price").fill("180.00")
    journey.check()
    page.get_by_role("button", name="Save draft").click()
    heading = page.get_by_role("heading", name=re.compile(r"Invoice #\d+"))
    expect(heading).to_contain_text("Invoice #1")
    expect(heading).to_contain_text("Draft")
    # The company's tax rate from onboarding, in its currency.
    expect(page.locator("[data-figure=subtotal]")).to_have_text("£180.00")
    expect(page.locator("[data-figure=total]")).to_have_text("£216.00")
    journey.check()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Invoice #1 sent to quinn@quayside.example.")).to_be_visible()
    expect(heading).to_contain_text("Open")
    journey.check("adoption-first-invoice")

    with live.app.app_context():
        invoice = db.session.scalar(select(Invoice))
        assert (invoice.number, invoice.status, invoice.total_cents) == (
            1,
            InvoiceStatus.SENT,
            21_600,
        )
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "invoice_sent"))
        assert email.to_address == "quinn@quayside.example"
    text = live.outbox_text("quinn@quayside.example")
    assert f"{COMPANY} has sent you invoice #1 for £216.00." in text
    # A new company is on the Free plan, without the portal: the email carries the invoice
    # itself, not a portal address that would answer "unavailable".
    assert "Van service and MOT preparation: £180.00" in text and "Total: £216.00" in text
    assert "/portal/" not in text and "To pay it or ask about it," in text

    nav.get_by_role("link", name="Outbox").click()
    row = page.locator("#outbox-table tbody tr", has_text=f"Invoice #1 from {COMPANY}")
    expect(row).to_have_count(1)
    journey.check()

    # --- The checklist's last step: a job type; then it is gone ---------------------
    nav.get_by_role("link", name="Home").click()
    expect(checklist).to_contain_text("6 of 7 done.")
    assert [step for step, done in _steps_done(checklist).items() if not done] == ["job_types"]
    checklist.get_by_role("link", name="Add the job types you offer").click()
    journey.check("adoption-job-types")
    page.get_by_label("Name", exact=True).fill("Van service")
    page.get_by_role("button", name="Add job type").click()
    expect(page.get_by_text("“Van service” added.")).to_be_visible()
    journey.check()
    nav.get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", name=f"Today at {COMPANY}")).to_be_visible()
    expect(checklist).to_have_count(0)
    journey.check()
    journey.finish()
