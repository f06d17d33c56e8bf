"""What a customer sees of its quotes, invoices, reports and payments in the portal.

Drafts never leave the office: no query here returns a draft quote, a draft invoice or
a draft report. Every function is scoped to one customer of one company.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    CheckoutPayment,
    Customer,
    Invoice,
    InvoiceStatus,
    Quote,
    QuoteDecision,
    QuoteStatus,
    Report,
    ReportStatus,
)
from ..billing.quotes import awaiting_clause, expired_clause
from ..work import reports
from .site_scope import limit_to_sites as _sites

PORTAL_QUOTE_FILTERS = ("all", "awaiting", "accepted", "rejected", "changes_requested", "expired")
PORTAL_INVOICE_FILTERS = ("open", "paid", "all")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def customer_quotes(
    customer: Customer,
    *,
    today: date,
    status: str = "all",
    sent_from: date | None = None,
    sent_to: date | None = None,
    site_ids: set[int] | None = None,
) -> list[Quote]:
    """Sent (or answered, or expired) quotes of the customer, newest first; filter by
    status ("awaiting" = sent and still valid) and by the date sent (inclusive range)."""
    query: Select = select(Quote).where(
        Quote.company_id == customer.company_id,
        Quote.customer_id == customer.id,
        Quote.status != QuoteStatus.DRAFT,
    )
    if status == "awaiting":
        query = query.where(awaiting_clause(today))
    elif status == "expired":
        query = query.where(expired_clause(today))
    elif status in ("accepted", "rejected", "changes_requested"):
        query = query.where(Quote.status == QuoteStatus(status))
    query = _sites(query, Quote, site_ids)
    if sent_from:
        query = query.where(Quote.sent_at >= _day_start(sent_from))
    if sent_to:
        query = query.where(Quote.sent_at < _day_start(sent_to + timedelta(days=1)))
    return list(db.session.scalars(query.order_by(Quote.sent_at.desc(), Quote.id.desc())))


def customer_quote(
    customer: Customer, quote_id: int, site_ids: set[int] | None = None
) -> Quote | None:
    """One non-draft quote of the customer with lines and decisions, or None."""
    return db.session.scalar(
        _sites(select(Quote), Quote, site_ids)
        .where(
            Quote.id == quote_id,
            Quote.company_id == customer.company_id,
            Quote.customer_id == customer.id,
            Quote.status != QuoteStatus.DRAFT,
        )
        .options(
            selectinload(Quote.lines),
            selectinload(Quote.decisions).selectinload(QuoteDecision.contact),
        )
    )


def customer_invoices(
    customer: Customer, *, state: str = "open", site_ids: set[int] | None = None
) -> list[Invoice]:
    """Issued invoices of the customer: open (sent, with a balance), paid, or all
    (void included, drafts never)."""
    query = select(Invoice).where(
        Invoice.company_id == customer.company_id,
        Invoice.customer_id == customer.id,
        Invoice.status != InvoiceStatus.DRAFT,
    )
    query = _sites(query, Invoice, site_ids)
    if state == "open":
        query = query.where(Invoice.status == InvoiceStatus.SENT)
    elif state == "paid":
        query = query.where(Invoice.status == InvoiceStatus.PAID)
    return list(db.session.scalars(query.order_by(Invoice.issued_on.desc(), Invoice.number.desc())))


def customer_invoice(
    customer: Customer, invoice_id: int, site_ids: set[int] | None = None
) -> Invoice | None:
    """One issued invoice of the customer with lines and payments, or None."""
    return db.session.scalar(
        _sites(select(Invoice), Invoice, site_ids)
        .where(
            Invoice.id == invoice_id,
            Invoice.company_id == customer.company_id,
            Invoice.customer_id == customer.id,
            Invoice.status != InvoiceStatus.DRAFT,
        )
        .options(selectinload(Invoice.lines), selectinload(Invoice.payments))
    )


def customer_invoices_by_ids(
    customer: Customer, ids: list[int], site_ids: set[int] | None = None
) -> list[Invoice]:
    """The customer's invoices among ``ids`` (others' ids are silently not there)."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            _sites(select(Invoice), Invoice, site_ids)
            .where(
                Invoice.id.in_(ids[:100]),
                Invoice.company_id == customer.company_id,
                Invoice.customer_id == customer.id,
                Invoice.status != InvoiceStatus.DRAFT,
            )
            .order_by(Invoice.number)
        )
    )


def approved_reports(customer: Customer, site_ids: set[int] | None = None) -> list[Report]:
    return list(
        db.session.scalars(
            _sites(select(Report), Report, site_ids)
            .where(
                Report.company_id == customer.company_id,
                Report.customer_id == customer.id,
                Report.status == ReportStatus.APPROVED,
            )
            .order_by(Report.approved_at.desc())
        )
    )


def approved_report(
    customer: Customer, report_id: int, site_ids: set[int] | None = None
) -> Report | None:
    return db.session.scalar(
        _sites(select(Report), Report, site_ids)
        .where(
            Report.id == report_id,
            Report.company_id == customer.company_id,
            Report.customer_id == customer.id,
            Report.status == ReportStatus.APPROVED,
        )
        .options(*reports.detail_options())
    )


def customer_checkout(customer: Customer, checkout_id: int) -> CheckoutPayment | None:
    return db.session.scalar(
        select(CheckoutPayment)
        .where(
            CheckoutPayment.id == checkout_id,
            CheckoutPayment.company_id == customer.company_id,
            CheckoutPayment.customer_id == customer.id,
        )
        .options(selectinload(CheckoutPayment.allocations))
    )
