"""Printable documents (WeasyPrint): invoice, quote, report, job sheet, statement of
account and vehicle service history.

- The same context builders feed the web pages and the PDFs, so the figures agree.
- The URL fetcher serves only our static files and the company's logo; file://, http(s)
  to anywhere and data from user text are refused (QUALITY.md 33).
- A rendered PDF is cached under instance/pdf-cache, keyed by the SHA-256 of its HTML
  and the template version: any change of data changes the HTML and so the key, and an
  unchanged document is served from disk without running WeasyPrint (QUALITY.md 37).
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app, g, render_template
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import (
    Company,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    Payment,
    Quote,
    Report,
    Vehicle,
)
from ..portal.site_scope import limit_to_sites
from . import ageing
from .money import TERM_LABELS, format_percent

# Bump when a PDF template or pdf.css changes, so cached files are not served stale.
TEMPLATE_VERSION = "2026-12-02.1"
PDF_HOST = "https://pdf.fieldportal.invalid"
STATIC_ROOT = Path(__file__).resolve().parents[3] / "static"


def _weasyprint():
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    return weasyprint, URLFetcher, URLFetcherResponse


def make_url_fetcher(company: Company):
    """A fetcher for exactly: /static/css|img/… of our app, and /logo/<this company's logo>."""
    _, URLFetcher, URLFetcherResponse = _weasyprint()
    logo = logo_path(company)

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = resolve_document_url(url, logo)
            if path is None:
                raise ValueError(f"refused URL in a document: {url[:80]}")
            return URLFetcherResponse(url, body=path.read_bytes(), headers=_media_type(path))

    return LocalOnlyFetcher(timeout=1, allowed_protocols=("https",), allow_redirects=False)


def _media_type(path: Path) -> dict:
    types = {
        ".css": "text/css",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".webp": "image/webp",
    }
    return {"Content-Type": types.get(path.suffix.lower(), "application/octet-stream")}


def resolve_document_url(url: str, logo: Path | None) -> Path | None:
    """The local file a document URL stands for, or None when it is not allowed."""
    if not url.startswith(PDF_HOST + "/"):
        return None
    path = url[len(PDF_HOST) :].split("?", 1)[0].split("#", 1)[0]
    if path == "/logo" and logo is not None:
        return logo
    if path.startswith("/static/") and ".." not in path:
        candidate = (STATIC_ROOT / path[len("/static/") :]).resolve()
        if candidate.is_file() and STATIC_ROOT in candidate.parents:
            if candidate.suffix.lower() in (".css", ".png", ".jpg", ".jpeg", ".webp"):
                return candidate
    return None


def logo_path(company: Company) -> Path | None:
    """The company's uploaded logo file, if it has one on disk."""
    if not company.logo_filename or "/" in company.logo_filename or ".." in company.logo_filename:
        return None
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    for candidate in (folder / "logos" / company.logo_filename, folder / company.logo_filename):
        if candidate.is_file():
            return candidate
    return None


def cache_folder() -> Path:
    folder = Path(
        current_app.config.get("PDF_CACHE_FOLDER") or Path(current_app.instance_path) / "pdf-cache"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class RenderedPdf:
    content: bytes
    from_cache: bool
    version: str


def render_pdf(template: str, company: Company, **context) -> RenderedPdf:
    """Render ``pdf/<template>`` for a company, or serve the cached PDF of the same HTML."""
    previous = getattr(g, "company", None)
    g.company = company
    try:
        html = render_template(
            f"pdf/{template}",
            company=company,
            has_logo=logo_path(company) is not None,
            pdf_host=PDF_HOST,
            **context,
        )
    finally:
        g.company = previous
    version = hashlib.sha256(f"{TEMPLATE_VERSION}\0{template}\0{html}".encode()).hexdigest()
    cached = cache_folder() / f"{company.id}-{version}.pdf"
    if cached.is_file():
        return RenderedPdf(cached.read_bytes(), True, version)
    weasyprint, _, _ = _weasyprint()
    content = weasyprint.HTML(
        string=html, base_url=PDF_HOST + "/", url_fetcher=make_url_fetcher(company)
    ).write_pdf()
    handle, temporary = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(temporary, cached)  # atomic: a concurrent reader sees all or nothing
    return RenderedPdf(content, False, version)


# --- What each document shows (shared with the pages) --------------------------------


def invoice_context(invoice: Invoice) -> dict:
    """Everything an invoice page or PDF shows, from one place."""
    return {
        "invoice": invoice,
        "customer": invoice.customer,
        "lines": invoice.lines,
        "payments": [p for p in invoice.payments],
        "terms_label": TERM_LABELS[invoice.billing_terms],
        "tax_percent": format_percent(invoice.tax_rate_ppm),
    }


def load_invoice(invoice_id: int) -> Invoice | None:
    """An invoice with everything its document shows, in three queries (no tenancy check:
    for callers that already know it is theirs, such as the benchmark)."""
    return db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            joinedload(Invoice.customer).joinedload(Customer.company),
            selectinload(Invoice.lines),
            selectinload(Invoice.payments),
        )
    )


def quote_context(quote: Quote) -> dict:
    return {
        "quote": quote,
        "customer": quote.customer,
        "lines": quote.lines,
        "decisions": quote.decisions,
        "tax_percent": format_percent(quote.tax_rate_ppm),
    }


def invoice_pdf(invoice: Invoice) -> RenderedPdf:
    return render_pdf("invoice.html", invoice.customer.company, **invoice_context(invoice))


def quote_pdf(quote: Quote, today: date) -> RenderedPdf:
    from .quotes import effective_status

    return render_pdf(
        "quote.html",
        quote.customer.company,
        status=effective_status(quote, today),
        **quote_context(quote),
    )


def job_sheet_options() -> tuple:
    """Loader options for a job sheet: the job's customer, site, vehicle, asset, technician."""
    return (
        joinedload(Job.customer).joinedload(Customer.company),
        joinedload(Job.site),
        joinedload(Job.vehicle),
        joinedload(Job.asset),
        joinedload(Job.technician),
    )


def vehicle_history_options() -> tuple:
    """Loader options for a vehicle's history PDF: its customer and the customer's company."""
    return (joinedload(Vehicle.customer).joinedload(Customer.company),)


def report_pdf(report: Report) -> RenderedPdf:
    return render_pdf(
        "report.html", report.customer.company, report=report, customer=report.customer
    )


def job_sheet_pdf(job: Job) -> RenderedPdf:
    return render_pdf("job_sheet.html", job.customer.company, job=job, customer=job.customer)


@dataclass
class Statement:
    customer: Customer
    today: date
    open_invoices: list
    payments: list
    buckets: list = field(default_factory=lambda: [0] * len(ageing.BUCKETS))

    @property
    def balance_cents(self) -> int:
        return sum(self.buckets)

    @property
    def aged(self):
        return list(zip((b.label for b in ageing.BUCKETS), self.buckets, strict=True))


def statement_of_account(
    customer: Customer, today: date, payments_since: date, site_ids: set[int] | None = None
) -> Statement:
    """Open invoices with their age (``ageing.bucket_of``, as the A/R ageing report), payments
    received since a date, and the balance (for a site-scoped contact, only the invoices of
    its sites)."""
    invoices = db.session.scalars(
        limit_to_sites(select(Invoice), Invoice, site_ids)
        .where(Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.SENT)
        .order_by(Invoice.due_on, Invoice.number)
    ).all()
    payments = db.session.scalars(
        limit_to_sites(select(Payment), Invoice, site_ids)
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .where(Invoice.customer_id == customer.id, Invoice.status != InvoiceStatus.VOID)
        .options(selectinload(Payment.invoice))
        .order_by(Payment.received_at.desc())
    ).all()
    from datetime import UTC, datetime, time

    since = datetime.combine(payments_since, time.min, tzinfo=UTC)
    statement = Statement(customer, today, [], [p for p in payments if p.received_at >= since])
    for invoice in invoices:
        # The A/R ageing report's rule; a sent invoice of nothing owes nothing, shown current.
        bucket = ageing.bucket_of(invoice, today) or ageing.BUCKETS[0]
        statement.buckets[ageing.BUCKETS.index(bucket)] += invoice.balance_cents
        statement.open_invoices.append((invoice, bucket.label))
    return statement


def statement_pdf(statement: Statement) -> RenderedPdf:
    return render_pdf(
        "statement.html",
        statement.customer.company,
        statement=statement,
        customer=statement.customer,
    )


def vehicle_history_pdf(vehicle: Vehicle, scoped_jobs: Select | None = None) -> RenderedPdf:
    """A vehicle's whole service history (for resale or audit): the same completed jobs
    as its page, every one of them; ``scoped_jobs`` limits them (a portal contact's sites)."""
    from ..portal.portal_records import vehicle_history

    if scoped_jobs is None:
        scoped_jobs = select(Job).where(Job.company_id == vehicle.company_id)
    return render_pdf(
        "vehicle_history.html",
        vehicle.customer.company,
        vehicle=vehicle,
        customer=vehicle.customer,
        jobs=vehicle_history(scoped_jobs, vehicle, limit=None),
    )


def pdf_response(rendered: RenderedPdf, filename: str, *, download: bool = False):
    """A PDF response; cached by the browser only privately, revalidated by version."""
    from flask import Response

    response = Response(rendered.content, mimetype="application/pdf")
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(rendered.version)
    return response
