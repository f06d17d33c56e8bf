"""Billing in Chromium: download an invoice PDF whose figures match the page."""

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from fieldportal.demo_data import STAFF_PASSWORD

from .quality import PageProblems, assert_accessible


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
    content = open(download.path(), "rb").read()
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages
    )
    assert f"Total {total}" in text
    assert f"Balance due {balance}" in text
    problems.assert_none()
