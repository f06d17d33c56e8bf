"""The payments received: every payment of the company (online or recorded by staff),
newest first, with the invoice and customer it paid; filtered by method."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ...models import Company, Invoice, Payment, PaymentMethod
from ...pagination import Key, ListQuery, Page, paginate_after

PAYMENTS_PER_PAGE = 50
METHOD_FILTERS = ("all", *(method.value for method in PaymentMethod))


@dataclass(frozen=True, kw_only=True)
class PaymentQuery(ListQuery):
    """The payment list: a method filter (METHOD_FILTERS), by date received."""

    SORTS = ("received",)
    DEFAULT_DIRECTION = "desc"

    method: str = "all"

    @classmethod
    def from_args(cls, args) -> PaymentQuery:
        method = args.get("method", "all")
        return cls(**cls.list_args(args), method=method if method in METHOD_FILTERS else "all")

    def filter_params(self) -> dict:
        return {"method": "" if self.method == "all" else self.method}

    def method_params(self, method: str) -> dict:
        """Link arguments for a method filter: its first page, in the same order."""
        return self.params(method="" if method == "all" else method, page=1, after="")


def _keys(query: PaymentQuery) -> list[Key]:
    return [
        Key(Payment.received_at, descending=query.descending),
        Key(Payment.id, descending=query.descending),
    ]


def _payments_shown(company: Company, query: PaymentQuery) -> Select:
    statement = select(Payment).where(Payment.company_id == company.id)
    if query.method != "all":
        statement = statement.where(Payment.method == PaymentMethod(query.method))
    return statement.options(
        joinedload(Payment.invoice).joinedload(Invoice.customer),
        joinedload(Payment.recorded_by),
    )


def payment_list(company: Company, query: PaymentQuery) -> Page[Payment]:
    """The payments after the query's cursor (keyset: a page deep into years of payments
    costs what the first does), each with its invoice, customer and who recorded it."""
    return paginate_after(
        _payments_shown(company, query), query, keys=_keys(query), per_page=PAYMENTS_PER_PAGE
    )


def payment_select(company: Company, query: PaymentQuery) -> Select:
    """Every payment of the list, filtered and in its order (the CSV export reads it whole)."""
    return _payments_shown(company, query).order_by(*(key.ordering for key in _keys(query)))
