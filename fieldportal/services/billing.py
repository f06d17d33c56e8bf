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


def open_ar_of_customer(customer_id_column):
    """Correlated scalar subquery: a customer's unpaid balance of sent invoices (the same
    rule as ``open_ar_cents``), for lists that show A/R on every row in one query."""
    return (
        select(func.coalesce(func.sum(open_balance_expression()), 0))
        .where(Invoice.customer_id == customer_id_column, Invoice.status == InvoiceStatus.SENT)
        .scalar_subquery()
    )


def invoiced_of_customer(customer_id_column, start: date, end: date):
    """Correlated scalar subquery: what a customer was invoiced with an issue date in
    [start, end), drafts and voids excluded (the same rule as ``invoiced_cents``)."""
    return (
        select(func.coalesce(func.sum(Invoice.total_cents), 0))
        .where(
            Invoice.customer_id == customer_id_column,
            Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
            Invoice.issued_on >= start,
            Invoice.issued_on < end,
        )
        .scalar_subquery()
    )


def month_to_date_bounds(today: date) -> tuple[date, date]:
    """[first of today's month, tomorrow): month to date, inclusive of today."""
    return today.replace(day=1), today + timedelta(days=1)
