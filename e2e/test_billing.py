"""Billing in Chromium: download an invoice PDF whose figures match the page."""

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from fieldportal.demo_data import STAFF_PASSWORD

from .quality import PageProblems, assert_accessible, assert_no_horizontal_overflow


def sign_in_owner(page: Page):
    page.goto("/login")
    page.get_by_label("Email").fill("owner@acme.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Today at"))).to_be_visible()


def test_owner_downloads_an_invoice_pdf_matching_the_page(page: Page, live_server):
    problems = PageProblems(page)
    sign_in_owner(page)
    page.goto("/invoices?status=open")
    assert_accessible(page)
    page.locator("#invoice-table tbody a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"Invoice #\d+"))).to_be_visible()
    assert_accessible(page)
    total = page.locator("[data-figure=total]").inner_text().strip()
    balance = page.locator("[data-figure=balance]").inner_text().strip()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith("invoice-")
    content = Path(download.path()).read_bytes()
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages
    )
    assert f"Total {total}" in text
    assert f"Balance due {balance}" in text
    problems.assert_none()


# --- Portal ---------------------------------------------------------------------------

PHONE = {"width": 360, "height": 780}


def portal_sign_in(page: Page, live_server, email: str = "fleet@acme.example"):
    """Give the browser a portal session for a demo contact (the portal's own sign-in
    pages are another feature's; this writes the same server-side session they do)."""
    from datetime import timedelta

    from sqlalchemy import select

    from fieldportal.extensions import db
    from fieldportal.models import AuthSession, Contact, SignInMethod, utcnow
    from fieldportal.services.auth.tokens import new_token, token_hash

    app = live_server.app
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.email == email))
        token = new_token()
        db.session.add(
            AuthSession(
                token_hash=token_hash(token),
                company_id=contact.company_id,
                contact_id=contact.id,
                customer_id=contact.customer_id,
                method=SignInMethod.MAGIC_LINK,
                expires_at=utcnow() + timedelta(hours=12),
            )
        )
        db.session.commit()
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": token, "_fresh": True}
        )
        customer_id = contact.customer_id
    page.context.add_cookies(
        [{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}]
    )
    return customer_id


def test_customer_accepts_a_quote_with_typed_name_on_a_phone(page: Page, live_server):
    from decimal import Decimal

    from fieldportal.extensions import db
    from fieldportal.models import Customer
    from fieldportal.services.billing import quotes
    from fieldportal.services.billing.money import LineInput

    page.set_viewport_size(PHONE)
    customer_id = portal_sign_in(page, live_server)

    def make_quote():
        customer = db.session.get(Customer, customer_id)
        quote = quotes.create_quote(
            customer,
            title="Replace rear brake pads",
            lines=[
                LineInput("Rear pads", Decimal(1), 18_000, True),
                LineInput("Labour", Decimal("1.5"), 9_000, True),
            ],
        )
        quotes.send_quote(quote)
        return quote.id, quote.number

    quote_id, number = live_server.run(make_quote)
    problems = PageProblems(page)
    page.goto(f"/portal/acme/quotes/{quote_id}")
    expect(page.get_by_role("heading", name=re.compile(f"Quote #{number}"))).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_overflow(page)
    page.get_by_label("Type your full name to sign").fill("Fiona Fleetmanager")
    page.get_by_role("button", name="Accept quote").click()
    expect(page.locator(".badge", has_text="Accepted").first).to_be_visible()
    expect(page.get_by_text("signed “Fiona Fleetmanager”")).to_be_visible()
    expect(page.get_by_role("button", name="Accept quote")).to_have_count(0)
    assert_accessible(page)
    assert_no_horizontal_overflow(page)
    problems.assert_none()


def test_customer_pays_an_invoice_and_sees_it_paid_after_the_webhook(
    page: Page, live_server, stripe_standin
):
    from decimal import Decimal

    from fieldportal.extensions import db
    from fieldportal.models import Customer, Invoice
    from fieldportal.services.billing import invoices
    from fieldportal.services.billing.money import LineInput

    app = live_server.app
    page.set_viewport_size(PHONE)
    customer_id = portal_sign_in(page, live_server)

    def make_invoice():
        customer = db.session.get(Customer, customer_id)
        invoice = invoices.create_invoice(
            customer, lines=[LineInput("Fleet inspection", Decimal(1), 25_000, False)]
        )
        invoices.send_invoice(invoice, by=None)
        return invoice.id, invoice.number

    invoice_id, number = live_server.run(make_invoice)
    problems = PageProblems(page)
    page.goto(f"/portal/acme/invoices/{invoice_id}")
    expect(page.locator("[data-figure=balance]")).to_have_text("$250.00")
    assert_accessible(page)
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_role("heading", name="Stand-in Checkout")).to_be_visible()
    page.get_by_role("button", name="Pay 250.00").click()
    expect(page.get_by_text("Processing…")).to_be_visible()
    expect(page.get_by_text("Payment received.")).to_be_visible(timeout=15_000)
    page.goto(f"/portal/acme/invoices/{invoice_id}")
    expect(page.locator(".badge", has_text="Paid").first).to_be_visible()
    expect(page.locator("[data-figure=balance]")).to_have_text("$0.00")
    problems.assert_none()
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).status.value == "paid"
