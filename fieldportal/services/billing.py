"""Money figures shared by the invoice pages, the fleet index and the home page."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..models import BillingTerms, Invoice, InvoiceStatus


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


# --- Line items, tax and terms -------------------------------------------------------
#
# Rounding rule (one rule everywhere: pages, PDFs, Checkout amounts):
#   * a line's amount is quantity × unit price, rounded half-up to the cent;
#   * tax is computed ONCE on the sum of the taxable lines' amounts and rounded half-up
#     (not per line), so the tax shown equals rate × taxable subtotal as a customer would
#     check it with a calculator; per-line rounding can drift by up to half a cent a line.
#   * total = subtotal + tax.


def round_half_up(value: Decimal) -> int:
    """A Decimal amount of cents rounded to whole cents, halves away from zero."""
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def line_amount_cents(quantity: Decimal, unit_price_cents: int) -> int:
    """quantity × unit price, rounded half-up to the cent."""
    return round_half_up(Decimal(quantity) * unit_price_cents)


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price_cents: int
    taxable: bool = True

    @property
    def amount_cents(self) -> int:
        return line_amount_cents(self.quantity, self.unit_price_cents)


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int
    taxable_cents: int
    tax_cents: int
    total_cents: int


def compute_totals(lines, tax_rate_bp: int) -> Totals:
    """Subtotal, tax and total of lines (anything with amount_cents and taxable)."""
    subtotal = sum(line.amount_cents for line in lines)
    taxable = sum(line.amount_cents for line in lines if line.taxable)
    tax = round_half_up(Decimal(taxable) * tax_rate_bp / Decimal(10_000))
    return Totals(subtotal, taxable, tax, subtotal + tax)


def replace_lines(document, lines: list[LineInput]) -> Totals:
    """Replace the line items of a quote or invoice and store its new totals."""
    from ..models import Invoice, LineItem

    parent = "invoice_id" if isinstance(document, Invoice) else "quote_id"
    for old in list(document.lines):
        db.session.delete(old)
    document.lines.clear()
    db.session.flush()
    for position, line in enumerate(lines):
        item = LineItem(
            company_id=document.company_id,
            position=position,
            description=line.description,
            quantity=Decimal(line.quantity),
            unit_price_cents=line.unit_price_cents,
            taxable=line.taxable,
            amount_cents=line.amount_cents,
            **{parent: document.id},
        )
        db.session.add(item)
        document.lines.append(item)
    totals = compute_totals(lines, document.tax_rate_bp)
    document.subtotal_cents = totals.subtotal_cents
    document.tax_cents = totals.tax_cents
    document.total_cents = totals.total_cents
    db.session.flush()
    return totals


TERM_DAYS = {BillingTerms.ON_COMPLETION: 0, BillingTerms.NET_15: 15, BillingTerms.NET_30: 30}
TERM_LABELS = {
    BillingTerms.ON_COMPLETION: "Due on completion",
    BillingTerms.NET_15: "Net 15",
    BillingTerms.NET_30: "Net 30",
}


def due_date(terms: BillingTerms, issued_on: date) -> date:
    """On completion: due the day it is issued; Net 15 / Net 30: that many days later."""
    return issued_on + timedelta(days=TERM_DAYS[terms])
