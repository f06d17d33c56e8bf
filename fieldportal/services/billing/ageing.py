"""A/R ageing: what each customer owes, by how long it is past due.

An invoice counts while it is open (``money.is_open_clause``: sent, so money is owed) for
its unpaid balance (``money.open_balance_expression``); drafts, paid and void invoices owe
nothing. It is *current* until it is overdue (``invoices.overdue_clause`` /
``invoices.is_overdue``, the one overdue rule), then in the bucket of its days past due,
counted from the company's today in its time zone. The SQL ``bucket_case`` and the Python
``bucket_of`` are twins (tests/billing/test_ageing.py keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, case, func, select

from ...extensions import db
from ...models import Company, Customer, Invoice
from ...pagination import ListQuery, Page, paginate
from ..clock import company_today
from . import invoices
from .money import is_open_clause, open_balance_expression

CUSTOMERS_PER_PAGE = 50


@dataclass(frozen=True)
class Bucket:
    """One column of the report: invoices up to ``up_to_days`` past due (after the
    bucket before it); None for the last, which has no end."""

    key: str
    label: str
    up_to_days: int | None


BUCKETS = (
    Bucket("current", "Current", 0),
    Bucket("days_1_30", "1–30 days", 30),
    Bucket("days_31_60", "31–60 days", 60),
    Bucket("days_61_90", "61–90 days", 90),
    Bucket("over_90", "90+ days", None),
)


def bucket_of(invoice: Invoice, today: date) -> Bucket | None:
    """The bucket an invoice's balance is counted in today, None when it owes nothing."""
    if invoice.balance_cents <= 0:
        return None
    if not invoices.is_overdue(invoice, today):
        return BUCKETS[0]
    days = (today - invoice.due_on).days
    return next(b for b in BUCKETS[1:] if b.up_to_days is None or days <= b.up_to_days)


def bucket_case(today: date):
    """SQL: the key of the bucket of an open invoice (the same rule as ``bucket_of``)."""
    overdue = invoices.overdue_clause(today)
    whens = [
        (overdue & (Invoice.due_on >= today - timedelta(days=b.up_to_days)), b.key)
        for b in BUCKETS[1:-1]
    ]
    return case(*whens, (overdue, BUCKETS[-1].key), else_=BUCKETS[0].key)


@dataclass(frozen=True)
class AgeingRow:
    """A customer's open balance by bucket (cents, in the order of BUCKETS) and in all;
    the totals row has no customer."""

    customer_id: int | None
    customer_name: str
    bucket_cents: tuple[int, ...]
    total_cents: int

    @classmethod
    def of(cls, row) -> AgeingRow:
        return cls(row.id, row.name, _bucket_cents(row), int(row.total))


def _bucket_cents(row) -> tuple[int, ...]:
    return tuple(int(getattr(row, b.key)) for b in BUCKETS)


@dataclass(frozen=True, kw_only=True)
class AgeingQuery(ListQuery):
    """The report's order: by customer name (the default) or by what is owed, most first."""

    SORTS = ("customer", "total", "over_90")
    DESCENDING_FIRST = frozenset({"total", "over_90"})


def _open_balances(company_id: int, today: date):
    """Each open invoice of the company owing money: its customer, bucket and balance."""
    return (
        select(
            Invoice.customer_id,
            bucket_case(today).label("bucket"),
            open_balance_expression().label("balance"),
        )
        .where(Invoice.company_id == company_id, is_open_clause(), open_balance_expression() > 0)
        .subquery()
    )


def _sums(balances) -> list:
    by_bucket = [
        func.coalesce(
            func.sum(case((balances.c.bucket == b.key, balances.c.balance), else_=0)), 0
        ).label(b.key)
        for b in BUCKETS
    ]
    return [*by_bucket, func.coalesce(func.sum(balances.c.balance), 0).label("total")]


def ageing_select(company: Company, query: AgeingQuery, today: date) -> Select:
    """One row per customer owing money (id, name, a column per bucket, total), in the
    query's order (ties by name, then id): the page cuts it, the CSV reads it whole."""
    balances = _open_balances(company.id, today)
    sums = _sums(balances)
    statement = (
        select(Customer.id, Customer.name, *sums)
        .join(balances, balances.c.customer_id == Customer.id)
        .where(Customer.company_id == company.id)
        .group_by(Customer.id, Customer.name)
    )
    name = func.lower(Customer.name)
    if query.sort == "customer":
        first = name.desc() if query.descending else name.asc()
        return statement.order_by(first, Customer.id)
    figure = sums[-1] if query.sort == "total" else sums[-2]
    first = figure.desc() if query.descending else figure.asc()
    return statement.order_by(first, name, Customer.id)


def totals(company_id: int, today: date) -> AgeingRow:
    """The company's open balance by bucket and in all (the report's last line)."""
    row = db.session.execute(select(*_sums(_open_balances(company_id, today)))).one()
    return AgeingRow(None, "Total", _bucket_cents(row), int(row.total))


@dataclass(frozen=True)
class AgeingReport:
    """The page: the day it is counted from, one page of customers, the company's totals."""

    today: date
    result: Page[AgeingRow]
    totals: AgeingRow
    buckets: tuple[Bucket, ...] = BUCKETS


def report(company: Company, query: AgeingQuery) -> AgeingReport:
    today = company_today(company)
    page = paginate(ageing_select(company, query, today), query, per_page=CUSTOMERS_PER_PAGE)
    return AgeingReport(today, page.map(AgeingRow.of), totals(company.id, today))
