"""PDF documents: the same figures as the pages, branding, escaping, the URL fetcher,
paper size, and the content-versioned cache."""

import io
import time
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldportal.models import InvoiceStatus, JobStatus, PaymentMethod, ReportKind, Vehicle
from fieldportal.services.billing import ageing, documents, invoices, quotes
from fieldportal.services.work import reports
from tests.helpers import first_contact

from .conftest import line


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def render_ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def taxed_invoice(db, customer, owner, app, render_ctx):
    customer.company.tax_rate_ppm = 82_500
    invoice = invoices.create_invoice(
        customer,
        by=owner,
        lines=[
            line("Brake pads", "2", 4_550),
            line("Labour", "1.5", 9_000),
            line("Disposal fee", "1", 1_000, taxable=False),
        ],
        po_number="PO-77",
    )
    invoices.send_invoice(invoice, by=owner)
    invoices.record_payment(
        invoice, amount_cents=5_000, method=PaymentMethod.CHECK, by=owner, reference="CHK 9"
    )
    return invoice


def test_invoice_pdf_shows_breakdown_payments_balance_terms(db, taxed_invoice):
    # 2 × 45.50 = 91.00; 1.5 × 90.00 = 135.00; 10.00 untaxed → subtotal 236.00,
    # tax 8.25 % of 226.00 = 18.645 → 18.65, total 254.65, paid 50.00, balance 204.65
    assert taxed_invoice.total_cents == 25_465
    text = pdf_text(documents.invoice_pdf(taxed_invoice).content)
    for expected in (
        "Acme Mobile Mechanics",
        f"Invoice #{taxed_invoice.number}",
        "Harbor Bakery",
        "Brake pads",
        "$91.00",
        "$135.00",
        "$236.00",
        "Tax (8.25%) $18.65",
        "Total $254.65",
        "CHK 9",
        "Paid $50.00",
        "Balance due $204.65",
        "Net 30",
        "PO-77",
        "PARTIALLY PAID",
    ):
        assert expected in text, expected


def test_pdf_escapes_user_text_and_fetches_nothing_foreign(db, customer, owner, render_ctx):
    customer.name = '<img src="file:///etc/passwd"> {{7*7}}'
    customer.email = "pdf@example.com"  # a generated address could contain "49"
    invoice = invoices.create_invoice(
        customer,
        by=owner,
        lines=[line('<link rel=stylesheet href="http://evil.test/x.css"> Oil')],
        notes="<script>alert(1)</script>",
    )
    text = pdf_text(documents.invoice_pdf(invoice).content)
    assert '<img src="file:///etc/passwd"> {{7*7}}' in text
    assert "<script>alert(1)</script>" in text
    assert "49" not in text.replace("$", "")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://evil.test/x.css",
        "http://127.0.0.1:5000/static/css/app.css",
        "https://pdf.fieldportal.invalid/static/../../fieldportal/config.py",
        "https://pdf.fieldportal.invalid/static/js/app.js",
        "https://pdf.fieldportal.invalid/logo",  # this company has no logo
    ],
)
def test_url_fetcher_refuses_everything_but_our_static_files(db, company, render_ctx, url):
    fetcher = documents.make_url_fetcher(company)
    with pytest.raises(ValueError):
        fetcher.fetch(url)


def test_url_fetcher_serves_our_css_and_the_company_logo(
    db, company, app, render_ctx, tmp_path, monkeypatch
):
    from PIL import Image

    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    (tmp_path / "logos").mkdir()
    Image.new("RGB", (40, 20), "navy").save(tmp_path / "logos" / "abc123.png")
    company.logo_filename = "abc123.png"
    fetcher = documents.make_url_fetcher(company)
    assert b"@page" in fetcher.fetch(f"{documents.PDF_HOST}/static/css/pdf.css").read()
    assert fetcher.fetch(f"{documents.PDF_HOST}/logo").read().startswith(b"\x89PNG")


def test_paper_size_follows_the_company(db, taxed_invoice, render_ctx):
    company = taxed_invoice.customer.company
    company.paper_size = "A4"
    a4 = PdfReader(io.BytesIO(documents.invoice_pdf(taxed_invoice).content)).pages[0]
    company.paper_size = "Letter"
    letter = PdfReader(io.BytesIO(documents.invoice_pdf(taxed_invoice).content)).pages[0]
    assert round(float(a4.mediabox.width)) == 595 and round(float(a4.mediabox.height)) == 842
    assert (
        round(float(letter.mediabox.width)) == 612 and round(float(letter.mediabox.height)) == 792
    )


def test_unchanged_document_is_served_from_cache_and_a_change_renders_again(
    db, taxed_invoice, owner, render_ctx
):
    first = documents.invoice_pdf(taxed_invoice)
    started = time.perf_counter()
    again = documents.invoice_pdf(taxed_invoice)
    elapsed = time.perf_counter() - started
    assert again.from_cache and again.content == first.content
    assert elapsed < 0.5  # the budget (10 ms) is measured by bench/pdf.py, not here
    invoices.record_payment(taxed_invoice, amount_cents=100, method=PaymentMethod.CASH, by=owner)
    changed = documents.invoice_pdf(taxed_invoice)
    assert not changed.from_cache and changed.version != first.version
    assert "Balance due $203.65" in pdf_text(changed.content)


def test_quote_pdf_with_decision_record(db, customer, render_ctx, company):
    quote = quotes.create_quote(customer, title="Clutch", lines=[line("Clutch kit", "1", 60_000)])
    quotes.send_quote(quote)
    quotes.decide(
        quote,
        quotes.QuoteDecisionKind.ACCEPTED,
        contact=first_contact(customer),
        evidence=quotes.Evidence("203.0.113.5", "Firefox"),
        signed_name="Hana Baker",
    )
    db.session.refresh(quote)
    db.session.refresh(quote, ["lines", "decisions"])
    text = pdf_text(documents.quote_pdf(quote, date.today()).content)
    assert f"Quote #{quote.number}" in text and "$600.00" in text and "ACCEPTED" in text
    assert "Hana Baker" in text and "203.0.113.5" in text
    assert quote.decisions[0].quote_sha256 in text.replace(" ", "")


def test_report_and_job_sheet_pdfs(db, customer, create, owner, render_ctx):
    job = create.job(customer, status=JobStatus.COMPLETED, services_performed="Oil and filter")
    report = reports.create_report(
        customer, kind=ReportKind.SERVICE, title="Service report", body="All good", job=job
    )
    text = pdf_text(documents.report_pdf(report).content)
    assert "Service report" in text and "All good" in text and "DRAFT" in text
    sheet = pdf_text(documents.job_sheet_pdf(job).content)
    assert f"Job sheet #{job.number}" in sheet and "Oil and filter" in sheet


def test_statement_ages_open_balances(db, customer, create, render_ctx, company):
    today = date(2026, 6, 30)
    for days_overdue, cents in ((-5, 1_000), (10, 2_000), (45, 3_000), (75, 4_000), (120, 5_000)):
        create.invoice(
            customer, lines=(("Work", cents),), due_on=today - timedelta(days=days_overdue)
        )
    create.invoice(customer, status=InvoiceStatus.DRAFT, lines=(("Draft", 99_999),))
    create.invoice(customer, status=InvoiceStatus.VOID, lines=(("Void", 88_888),))
    statement = documents.statement_of_account(customer, today, today - timedelta(days=365))
    assert statement.buckets == [1_000, 2_000, 3_000, 4_000, 5_000]
    assert statement.balance_cents == 15_000
    # The same figures as the customer's line of the A/R ageing report.
    [row] = db.session.execute(ageing.ageing_select(company, ageing.AgeingQuery(), today)).all()
    assert list(ageing.AgeingRow.of(row).bucket_cents) == statement.buckets
    text = pdf_text(documents.statement_pdf(statement).content)
    assert "Statement of account" in text
    assert "$150.00" in text and "$50.00" in text
    assert "999.99" not in text and "888.88" not in text


def test_vehicle_history_pdf(db, create, company, owner, render_ctx):
    fleet = create.fleet(company, vehicles=1)
    vehicle = db.session.scalars(select(Vehicle).where(Vehicle.customer_id == fleet.id)).one()
    create.job(
        fleet,
        status=JobStatus.COMPLETED,
        vehicle_id=vehicle.id,
        odometer_at_service=12_345,
        services_performed="Tyre rotation",
    )
    text = pdf_text(documents.vehicle_history_pdf(vehicle).content)
    assert "Service history" in text and "12,345" in text and "Tyre rotation" in text
