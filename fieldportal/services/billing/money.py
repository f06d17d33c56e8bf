"""Money figures shared by the invoice pages, the fleet index and the home page."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, select

from ...extensions import db
from ...models import BillingTerms, Invoice, InvoiceStatus
from ..errors import Invalid
from ..portal.site_scope import site_condition


def open_balance_expression():
    """Per-invoice unpaid balance (counted only for sent invoices: see ``is_open_clause``)."""
    return Invoice.total_cents - Invoice.amount_paid_cents


def is_open_clause():
    """Open A/R counts sent invoices only: drafts, paid and void invoices owe nothing."""
    return Invoice.status == InvoiceStatus.SENT


def _is_invoiced(start: date, end: date):
    """Invoiced in [start, end) by issue date: drafts and voids excluded."""
    return and_(
        Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
        Invoice.issued_on >= start,
        Invoice.issued_on < end,
    )


def _scope(company_id: int, customer_id: int | None, site_ids: set[int] | None):
    conditions = [Invoice.company_id == company_id]
    if customer_id is not None:
        conditions.append(Invoice.customer_id == customer_id)
    if (sites := site_condition(Invoice, site_ids)) is not None:  # a site-scoped contact
        conditions.append(sites)
    return conditions


def open_ar_cents(
    company_id: int, customer_id: int | None = None, site_ids: set[int] | None = None
) -> int:
    """Unpaid balance of sent invoices for a company, one of its customers, or (portal)
    the sites a contact may see."""
    return db.session.scalar(
        select(func.coalesce(func.sum(open_balance_expression()), 0)).where(
            is_open_clause(), *_scope(company_id, customer_id, site_ids)
        )
    )


def invoiced_cents(company_id: int, start: date, end: date, customer_id: int | None = None) -> int:
    """Total invoiced with an issue date in [start, end): drafts and voids excluded."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Invoice.total_cents), 0)).where(
            _is_invoiced(start, end), *_scope(company_id, customer_id, None)
        )
    )


def open_ar_of_customer(customer_id_column):
    """Correlated scalar subquery: a customer's unpaid balance of sent invoices (the same
    rule as ``open_ar_cents``), for lists that show A/R on every row in one query."""
    return (
        select(func.coalesce(func.sum(open_balance_expression()), 0))
        .where(Invoice.customer_id == customer_id_column, is_open_clause())
        .scalar_subquery()
    )


def invoiced_of_customer(customer_id_column, start: date, end: date):
    """Correlated scalar subquery: what a customer was invoiced with an issue date in
    [start, end), drafts and voids excluded (the same rule as ``invoiced_cents``)."""
    return (
        select(func.coalesce(func.sum(Invoice.total_cents), 0))
        .where(Invoice.customer_id == customer_id_column, _is_invoiced(start, end))
        .scalar_subquery()
    )


def month_to_date_bounds(today: date) -> tuple[date, date]:
    """[first of today's month, tomorrow): month to date, inclusive of today."""
    return today.replace(day=1), today + timedelta(days=1)


# --- Amounts typed by people --------------------------------------------------------
#
# Money columns are 32-bit integers of cents (PostgreSQL INTEGER tops out at
# 2,147,483,647), quantities are NUMERIC(10, 2). So every amount a person types is
# checked here before anything is computed or stored: plain digits only (no NaN,
# Infinity, exponents or minus signs), at most 2 decimal places (4 for a tax rate in
# percent; never rounded silently), and below limits that keep every line, total and payment inside the columns.

MAX_CENTS = 1_000_000_000  # $10,000,000.00: one price, line, document total or payment
MAX_QUANTITY = Decimal("100000")
# Commas only as thousands separators (1,250.50): "12,50" or "1,5" is refused, never
# read as 1,250 or 15.
_PLAIN_NUMBER = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?")


def _parse_exact(
    text: str | None, *, what: str, example: str, maximum: Decimal, places: int
) -> Decimal:
    """The typed number exactly as typed (never rounded), or Invalid."""
    raw = (text or "").strip()
    if raw.startswith("-"):
        raise Invalid(f"Enter {what} of zero or more, like {example}.")
    if not raw.strip(".") or not _PLAIN_NUMBER.fullmatch(raw):
        raise Invalid(f"Enter {what} in digits, like {example}.")
    value = Decimal(raw.replace(",", ""))
    if value > maximum:
        raise Invalid(f"Enter {what} of at most {maximum:,}.")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(f"Use at most {places} decimal places.")
    return value


def _parse_plain(text: str | None, *, what: str, example: str, maximum: Decimal) -> Decimal:
    value = _parse_exact(text, what=what, example=example, maximum=maximum, places=2)
    return value.quantize(Decimal("0.01"))


def parse_money(text: str | None) -> Decimal:
    """A money amount typed in the company's currency (0 ≤ amount ≤ 10,000,000.00, at most
    2 decimal places; thousands commas allowed). Raises Invalid with a message."""
    return _parse_plain(text, what="an amount", example="125.00", maximum=Decimal(MAX_CENTS) / 100)


def parse_quantity(text: str | None) -> Decimal:
    """A line quantity: 0 < quantity ≤ 100,000, at most 2 decimal places."""
    value = _parse_plain(text, what="a quantity", example="1.5", maximum=MAX_QUANTITY)
    if value == 0:
        raise Invalid("Enter a quantity more than zero.")
    return value


# Tax rates are stored as integer parts per million of the taxable amount (ppm):
# 8.25 % = 82,500; New York City's 8.875 % = 88,750; 100 % = 1,000,000. A rate is typed
# in percent with at most PERCENT_PLACES decimals, so every typed rate is stored exactly.
PPM_PER_PERCENT = 10_000
MAX_TAX_RATE_PPM = 1_000_000
PERCENT_PLACES = 4


def parse_percent(text: str | None) -> Decimal:
    """A tax rate in percent: 0–100 with at most 4 decimal places (8.875 is fine; stored
    exactly as parts per million by ``percent_to_ppm``). Raises Invalid."""
    return _parse_exact(
        text, what="a rate", example="8.875", maximum=Decimal(100), places=PERCENT_PLACES
    )


def percent_to_ppm(percent: Decimal) -> int:
    """A rate in percent (at most 4 decimals, as ``parse_percent`` returns) as parts per
    million: 8.875 → 88,750. Refuses a rate that would not be stored exactly."""
    ppm = Decimal(percent) * PPM_PER_PERCENT
    if ppm != ppm.to_integral_value():
        raise ValueError(f"{percent} % has more than {PERCENT_PLACES} decimal places")
    return int(ppm)


def ppm_to_percent(ppm: int) -> Decimal:
    """Parts per million as an exact percent with no trailing zeros: 88,750 → 8.875,
    82,500 → 8.25, 0 → 0, 1,000,000 → 100."""
    return Decimal(ppm) / PPM_PER_PERCENT


def format_percent(ppm: int) -> str:
    """A rate for people to read: "8.875", "8.25", "10", "0" (``ppm_to_percent`` is exact
    with no trailing zeros already; "f" keeps it out of exponent notation)."""
    return format(ppm_to_percent(ppm), "f")


def to_cents(amount: Decimal) -> int:
    """An amount of currency units with at most 2 decimal places, as integer cents."""
    return int(amount * 100)


TOTAL_TOO_LARGE = "The total would be more than 10,000,000.00; split the work across documents."


def within_limits(totals: "Totals") -> bool:
    """Whether a document's total (and so each of its lines) fits the money columns."""
    return totals.total_cents <= MAX_CENTS


# --- Line items, tax and terms -------------------------------------------------------
#
# Rounding rule (one rule everywhere: pages, PDFs, Checkout amounts):
#   * a line's amount is quantity × unit price, rounded half-up to the cent;
#   * tax is computed ONCE on the sum of the taxable lines' amounts and rounded half-up
#     (not per line), so the tax shown equals rate × taxable subtotal as a customer would
#     check it with a calculator; per-line rounding can drift by up to half a cent a line.
#     Exactly: tax_cents = round_half_up(taxable_cents × tax_rate_ppm / 1,000,000), in
#     Decimal arithmetic (no floats): $1,234.56 at 8.875 % → 109.567... → $109.57, and an
#     exact half cent goes up ($1.00 at 0.5 % → 0.5 cent → $0.01).
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


def compute_totals(lines, tax_rate_ppm: int) -> Totals:
    """Subtotal, tax and total of lines (anything with amount_cents and taxable); the tax
    rate is in parts per million (88,750 = 8.875 %). See the rounding rule above."""
    subtotal = sum(line.amount_cents for line in lines)
    taxable = sum(line.amount_cents for line in lines if line.taxable)
    tax = round_half_up(Decimal(taxable) * tax_rate_ppm / Decimal(MAX_TAX_RATE_PPM))
    return Totals(subtotal, taxable, tax, subtotal + tax)


def replace_lines(document, lines: list[LineInput]) -> Totals:
    """Replace the line items of a quote or invoice and store its new totals."""
    from ...models import LineItem

    totals = compute_totals(lines, document.tax_rate_ppm)
    if not within_limits(totals):
        raise Invalid(TOTAL_TOO_LARGE)
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
        )
        db.session.add(item)
        document.lines.append(item)
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
