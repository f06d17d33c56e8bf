"""Money figures shared by the invoice pages, the fleet index and the home page."""

from datetime import date, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Invoice, InvoiceStatus


def open_balance_expression():
    """Per-invoice unpaid balance of sent invoices (drafts, paid and void count 0)."""
    return Invoice.total_cents - Invoice.amount_paid_cents


def open_ar_cents(company_id: int, customer_id: int | None = None) -> int:
    """Unpaid balance of sent invoices for a company, or for one of its customers."""
    query = select(func.coalesce(func.sum(open_balance_expression()), 0)).where(
        Invoice.company_id == company_id, Invoice.status == InvoiceStatus.SENT
    )
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    return db.session.scalar(query)


def invoiced_cents(company_id: int, start: date, end: date, customer_id: int | None = None) -> int:
    """Total invoiced with an issue date in [start, end): drafts and voids excluded."""
    query = select(func.coalesce(func.sum(Invoice.total_cents), 0)).where(
        Invoice.company_id == company_id,
        Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
        Invoice.issued_on >= start,
        Invoice.issued_on < end,
    )
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    return db.session.scalar(query)


def open_ar_by_customer(company_id: int):
    """Subquery (customer_id, open_ar_cents): the same rule as ``open_ar_cents``, grouped
    per customer, for lists that show A/R on every row in one query."""
    return (
        select(
            Invoice.customer_id.label("customer_id"),
            func.sum(open_balance_expression()).label("open_ar_cents"),
        )
        .where(Invoice.company_id == company_id, Invoice.status == InvoiceStatus.SENT)
        .group_by(Invoice.customer_id)
        .subquery("open_ar")
    )


def invoiced_by_customer(company_id: int, start: date, end: date):
    """Subquery (customer_id, invoiced_cents): the same rule as ``invoiced_cents``
    (issue date in [start, end), drafts and voids excluded), grouped per customer."""
    return (
        select(
            Invoice.customer_id.label("customer_id"),
            func.sum(Invoice.total_cents).label("invoiced_cents"),
        )
        .where(
            Invoice.company_id == company_id,
            Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
            Invoice.issued_on >= start,
            Invoice.issued_on < end,
        )
        .group_by(Invoice.customer_id)
        .subquery("invoiced")
    )


def month_to_date_bounds(today: date) -> tuple[date, date]:
    """[first of today's month, tomorrow): month to date, inclusive of today."""
    return today.replace(day=1), today + timedelta(days=1)
