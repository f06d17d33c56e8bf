"""Tax rates finer than a basis point: New York City's 8.875 % typed on the operator forms
gives the right tax to the cent on the page, the PDF and the stored totals (operator and
portal); five decimals are refused on the field; fingerprints of quotes at whole basis
points are the same as before rates moved to parts per million."""

import hashlib
import io
import json
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from fieldportal.models import Invoice, Quote
from fieldportal.services.billing import quotes
from fieldportal.services.billing.money import format_percent, percent_to_ppm, ppm_to_percent
from tests.helpers import first_contact, sign_in, text_of

from .test_operator_invoices import line_fields

# $1,234.56 taxable at 8.875 % = 109.5672 → $109.57; plus $10.00 untaxed.
NYC_LINES = line_fields(("Fleet service", "1", "1,234.56", True), ("Disposal", "1", "10", False))
NYC_FIGURES = ("Subtotal $1,244.56", "Tax (8.875%) $109.57", "Total $1,354.13")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def assert_nyc_figures(document, *texts):
    assert (document.tax_rate_ppm, document.subtotal_cents) == (88_750, 124_456)
    assert (document.tax_cents, document.total_cents) == (10_957, 135_413)
    for text in texts:
        for figure in NYC_FIGURES:
            assert figure in text, (figure, text)


def test_invoice_at_8_875_percent_page_pdf_portal_and_totals(app, staff_client, db, customer):
    response = staff_client.post(
        "/invoices/new",
        data={"customer_id": customer.id, "billing_terms": "net_30", "tax_percent": "8.875"}
        | NYC_LINES,
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    invoice = db.session.scalar(select(Invoice))
    edit_form = staff_client.get(url + "/edit").get_data(as_text=True)
    assert 'value="8.875"' in edit_form  # not rounded to 8.88 when shown again
    assert staff_client.post(url + "/send").status_code == 303
    page = text_of(staff_client.get(url))
    pdf = pdf_text(staff_client.get(url + ".pdf").data)
    portal = app.test_client()
    sign_in(portal, first_contact(customer))
    portal_page = text_of(portal.get(f"/portal/acme/invoices/{invoice.id}"))
    db.session.refresh(invoice)
    assert_nyc_figures(invoice, page, pdf, portal_page)


def test_quote_at_8_875_percent_page_pdf_portal_and_totals(app, staff_client, db, customer):
    response = staff_client.post(
        "/quotes/new",
        data={"customer_id": customer.id, "title": "Fleet service", "tax_percent": "8.875"}
        | NYC_LINES,
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    quote = db.session.scalar(select(Quote))
    assert 'value="8.875"' in staff_client.get(url + "/edit").get_data(as_text=True)
    assert staff_client.post(url + "/send").status_code == 303
    page = text_of(staff_client.get(url))
    pdf = pdf_text(staff_client.get(url + ".pdf").data)
    portal = app.test_client()
    sign_in(portal, first_contact(customer))
    portal_page = text_of(portal.get(f"/portal/acme/quotes/{quote.id}"))
    db.session.refresh(quote)
    assert_nyc_figures(quote, page, pdf, portal_page)


@pytest.mark.parametrize("url", ["/invoices/new", "/quotes/new"])
@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("8.87501", "Use at most 4 decimal places."),
        ("NaN", "Enter a rate in digits, like 8.875."),
        ("Infinity", "Enter a rate in digits, like 8.875."),
        ("8.875E0", "Enter a rate in digits, like 8.875."),
        ("-8.875", "Enter a rate of zero or more, like 8.875."),
        ("100.0001", "Enter a rate of at most 100."),
    ],
)
def test_bad_rates_are_refused_on_the_field(staff_client, db, customer, url, rate, message):
    data = {"customer_id": customer.id, "title": "Brakes", "billing_terms": "net_30"}
    response = staff_client.post(url, data=data | {"tax_percent": rate} | NYC_LINES)
    assert response.status_code == 422
    assert message in text_of(response)
    for model in (Invoice, Quote):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_new_documents_start_with_the_company_rate_shown_exactly(staff_client, company):
    company.tax_rate_ppm = 88_750
    for url in ("/invoices/new", "/quotes/new"):
        assert 'value="8.875"' in staff_client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("ppm", "percent", "shown"),
    [
        (0, Decimal("0"), "0"),
        (1, Decimal("0.0001"), "0.0001"),
        (82_500, Decimal("8.25"), "8.25"),
        (88_750, Decimal("8.875"), "8.875"),
        (100_000, Decimal("10"), "10"),
        (102_500, Decimal("10.25"), "10.25"),
        (1_000_000, Decimal("100"), "100"),
    ],
)
def test_rate_conversions(ppm, percent, shown):
    assert ppm_to_percent(ppm) == percent and str(ppm_to_percent(ppm)) == shown
    assert format_percent(ppm) == shown
    assert percent_to_ppm(percent) == ppm
    assert percent_to_ppm(Decimal(shown + ("" if "." in shown else ".") + "000")) == ppm


def test_percent_to_ppm_refuses_what_it_cannot_store_exactly():
    with pytest.raises(ValueError):
        percent_to_ppm(Decimal("8.87501"))


def _old_fingerprint(quote) -> str:
    """quote_fingerprint as it was with basis points (before 2026-12)."""
    shown = {
        "company": quote.company_id,
        "number": quote.number,
        "revision": quote.revision,
        "title": quote.title,
        "notes": quote.notes or "",
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "currency": quote.customer.company.currency,
        "lines": [
            [
                line.description,
                format(Decimal(line.quantity).quantize(Decimal("0.01")), "f"),
                line.unit_price_cents,
                line.taxable,
                line.amount_cents,
            ]
            for line in quote.lines
        ],
        "tax_rate_bp": quote.tax_rate_ppm // 100,
        "subtotal": quote.subtotal_cents,
        "tax": quote.tax_cents,
        "total": quote.total_cents,
    }
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_fingerprints_of_whole_basis_point_rates_are_unchanged(db, create, customer):
    quote = create.quote(customer, title="Brakes")
    for ppm in (0, 82_500, 1_000_000):
        quote.tax_rate_ppm = ppm
        assert quotes.quote_fingerprint(quote) == _old_fingerprint(quote)
    quote.tax_rate_ppm = 88_750
    finer = quotes.quote_fingerprint(quote)
    quote.tax_rate_ppm = 88_700
    assert finer != quotes.quote_fingerprint(quote)
    quote.tax_rate_ppm = 88_800
    assert finer != quotes.quote_fingerprint(quote)
