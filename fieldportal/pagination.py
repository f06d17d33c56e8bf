"""Cutting a list into pages: the one place LIMIT and OFFSET are written.

A list view describes what it shows with a ``ListQuery`` (its filters, sort and page, read
from the query string once) and pages a ``select()`` with one of two functions:

- ``paginate``: page N by offset, with the total count ("Page 3 of 12") or, with
  ``count=False``, only whether another page follows (one row read past the page);
  ``count_limit`` bounds the count ("10,000+": a page costs the same for a tenant with a
  million rows as for one with ten thousand);
- ``paginate_after``: the rows after a cursor on an ordered key whose last column is unique
  (keyset): a page costs the same however deep into the list it is.

Both return a ``Page``; the templates' ``pager`` macro (partials/_pagination.html) turns it
into Previous / Next links whichever way it was cut.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, Self, TypeVar

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Select, and_, bindparam, false, func, nulls_last, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from .extensions import db
from .query_args import page_number

T = TypeVar("T")
U = TypeVar("U")

# Far past any list a person pages through; a caller asking for more has a bug.
MAX_PER_PAGE = 500
# A big list counts this far and then says "10,000+" (count_rows of more costs more
# than the page: the whole tenant's rows).
COUNT_LIMIT = 10_000
_CURSOR_SALT = "fieldportal.pagination.cursor"


def _check_per_page(per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """What a list shows, parsed from the query string: filters (in subclasses), sort, page.

    A subclass names its sort columns in ``SORTS`` (the first is the default) and its
    default direction, adds its filters as fields and says how they appear in a link
    (``filter_params``). ``params`` and ``sort_params`` then build every link of the list:
    defaults are left out, so the first page of the default view is the bare URL.
    """

    SORTS: ClassVar[tuple[str, ...]] = ()
    DEFAULT_DIRECTION: ClassVar[str] = "asc"
    # Columns whose first click sorts high to low (counts, money, dates).
    DESCENDING_FIRST: ClassVar[frozenset[str]] = frozenset()

    sort: str = ""
    direction: str = ""
    page: int = 1
    after: str = ""  # keyset cursor of the page, "" for the first

    def __post_init__(self) -> None:
        if self.sort not in self.SORTS:
            object.__setattr__(self, "sort", self.SORTS[0] if self.SORTS else "")
        if self.direction not in ("asc", "desc"):
            object.__setattr__(self, "direction", self.DEFAULT_DIRECTION)

    @classmethod
    def list_args(cls, args: Mapping, *, sorts: Sequence[str] | None = None) -> dict:
        """Sort, direction, page and cursor from the query string; anything unknown is the
        default (never an error). ``sorts`` narrows the sort columns this viewer may use."""
        allowed = cls.SORTS if sorts is None else sorts
        sort = str(args.get("sort", ""))
        direction = str(args.get("dir", ""))
        return {
            "sort": sort if sort in allowed else "",
            "direction": direction if direction in ("asc", "desc") else "",
            "page": page_number(args),
            "after": str(args.get("after", ""))[:500],
        }

    @classmethod
    def from_args(cls, args: Mapping) -> Self:
        """A list without filters of its own; subclasses with filters parse them too."""
        return cls(**cls.list_args(args))

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    def filter_params(self) -> dict:
        """This list's filters as query-string arguments ("" or None when not set)."""
        return {}

    def params(self, **changes) -> dict:
        """Query-string arguments for a link to this list with some changes, defaults left out."""
        values = {
            **self.filter_params(),
            "sort": self.sort,
            "dir": self.direction,
            "page": self.page,
            "after": self.after,
        }
        values.update(changes)
        defaults = {
            "sort": self.SORTS[0] if self.SORTS else "",
            "dir": self.DEFAULT_DIRECTION,
            "page": 1,
        }
        return {
            name: value
            for name, value in values.items()
            if value not in ("", None, False) and defaults.get(name) != value
        }

    def sort_params(self, column: str) -> dict:
        """Link arguments for a column header: the current sort's column toggles its
        direction, another column starts in its natural direction; back to the first page."""
        if column == self.sort:
            direction = "asc" if self.descending else "desc"
        else:
            direction = "desc" if column in self.DESCENDING_FIRST else "asc"
        return self.params(sort=column, dir=direction, page=1, after="")


@dataclass(frozen=True, kw_only=True)
class StatusListQuery(ListQuery):
    """A list with one status filter: a subclass names its choices in ``STATUS_FILTERS``
    ("all" first, the default); anything else in the query string is "all"."""

    STATUS_FILTERS: ClassVar[tuple[str, ...]] = ("all",)

    status: str = "all"

    @classmethod
    def from_args(cls, args: Mapping) -> Self:
        status = args.get("status", "all")
        return cls(**cls.list_args(args), status=status if status in cls.STATUS_FILTERS else "all")

    def filter_params(self) -> dict:
        return {"status": "" if self.status == "all" else self.status}

    def status_params(self, status: str) -> dict:
        """Link arguments for a status filter: its first page, in the same order."""
        return self.params(status="" if status == "all" else status, page=1)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and where it sits in the whole.

    ``total`` is None when the list was not counted (``count=False`` or keyset); then
    ``pages`` is None too and only ``has_next`` / ``has_prev`` say where it sits. With
    ``more`` the count stopped at its bound: the list holds more than ``total`` rows (and
    ``pages`` is None). ``number`` is None for a keyset page (it has a cursor,
    ``next_after``, instead).
    """

    items: list[T]
    number: int | None
    per_page: int
    total: int | None
    has_next: bool
    has_prev: bool
    query: ListQuery = field(default_factory=ListQuery)
    next_after: str | None = None
    more: bool = False

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def counted(self) -> Count | None:
        """The total as the page says it ("31", "10,000+"); None when not counted."""
        return None if self.total is None else Count(self.total, self.more)

    @property
    def pages(self) -> int | None:
        if self.total is None or self.more:
            return None
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the page's first row in the list (offset pages)."""
        return ((self.number or 1) - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return ((self.number or 1) - 1) * self.per_page + len(self.items)

    def next_params(self) -> dict:
        """Query-string arguments of the following page."""
        if self.number is None:
            return self.query.params(page=1, after=self.next_after)
        return self.query.params(page=self.number + 1, after="")

    def prev_params(self) -> dict:
        """Query-string arguments of the page before (a keyset page goes back to the first)."""
        if self.number is None:
            return self.query.params(page=1, after="")
        return self.query.params(page=self.number - 1, after="")

    def map(self, function: Callable[[T], U]) -> Page[U]:
        """The same page with each item turned into something else (a row for the template)."""
        return dataclasses.replace(self, items=[function(item) for item in self.items])


def _results(statement: Select, extra_columns: int = 0) -> list:
    """Run the statement: ORM entities (made unique, as joined eager loads need) or single
    values when it selects one thing, rows otherwise."""
    result = db.session.execute(statement)
    descriptions = statement.column_descriptions
    if len(descriptions) == 1 and not extra_columns:
        scalars = result.scalars()
        return list(scalars.unique() if descriptions[0].get("entity") is not None else scalars)
    if len(descriptions) - extra_columns == 1 and descriptions[0].get("entity") is not None:
        return list(result.unique())
    return list(result)


@dataclass(frozen=True)
class Count:
    """How many rows a list holds, counted up to a bound: ``more`` when it holds more
    than ``value`` (the bound). ``str()`` is how a page says it: "31", "10,000+"."""

    value: int
    more: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}{'+' if self.more else ''}"

    def __bool__(self) -> bool:
        return bool(self.value)


def count(statement: Select, *, limit: int | None = None) -> int:
    """How many rows the statement selects (its ORDER BY dropped); with ``limit``, at most
    ``limit + 1`` (one more than the bound says the list holds more), so the database
    reads no more than that many index entries."""
    statement = statement.order_by(None)
    if limit is not None:
        statement = statement.limit(limit + 1)
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def bounded_count(statement: Select, limit: int = COUNT_LIMIT) -> Count:
    """The statement's rows counted up to ``limit``: ``Count(limit, more=True)`` beyond."""
    value = count(statement, limit=limit)
    return Count(limit, more=True) if value > limit else Count(value)


def limit_to_page(statement: Select, number: int, per_page: int, *, extra: int = 0) -> Select:
    """The statement cut to page ``number`` (plus ``extra`` rows past it), not yet run.

    For a list that picks a page of ids in a subquery and computes its figures only for
    those; ``paginate`` is the usual way.
    """
    _check_per_page(per_page)
    return statement.limit(per_page + extra).offset((number - 1) * per_page)


def paginate(
    statement: Select,
    query: ListQuery,
    *,
    per_page: int,
    count_rows: bool = True,
    count_limit: int | None = None,
) -> Page:
    """Page ``query.page`` of the statement (which must be ordered on a unique key).

    Counting: the total is read and a page past the end shows the last page. With
    ``count_limit`` the count stops there: a list with more rows says so (``more``), and
    a page past its bound is read as if the list were not counted. Without counting
    (``count_rows=False``, for lists whose count costs more than a page): one row past the
    page says whether another follows, and a page past the end is empty.
    """
    _check_per_page(per_page)
    number = query.page
    total = count(statement, limit=count_limit) if count_rows else None
    more = count_limit is not None and total is not None and total > count_limit
    if total is not None and not more:
        number = max(1, min(number, -(-total // per_page)))
        items = _results(limit_to_page(statement, number, per_page))
        has_next = number * per_page < total
    else:
        rows = _results(limit_to_page(statement, number, per_page, extra=1))
        items, has_next = rows[:per_page], len(rows) > per_page
        total = count_limit if more else None
    return Page(items, number, per_page, total, has_next, number > 1, query, more=more)


@dataclass(frozen=True)
class Key:
    """One column of a keyset order. NULLs sort last in either direction.

    ``nullable`` is read from the column (an expression counts as nullable unless told):
    a NOT NULL column is ordered without NULLS LAST, so that a plain index on it serves
    the order both ways (PostgreSQL matches an index to an order by its NULLS placement
    too, whatever the constraints say).
    """

    column: ColumnElement
    descending: bool = False
    nullable: bool | None = None

    @property
    def may_be_null(self) -> bool:
        if self.nullable is not None:
            return self.nullable
        return getattr(getattr(self.column, "expression", self.column), "nullable", True)

    @property
    def ordering(self):
        ordering = self.column.desc() if self.descending else self.column.asc()
        return nulls_last(ordering) if self.may_be_null else ordering

    def after(self, value) -> ColumnElement:
        """Rows strictly after ``value`` in this key's order (NULLs come after every value)."""
        if value is None:
            return false()
        beyond = self.column < value if self.descending else self.column > value
        return or_(beyond, self.column.is_(None)) if self.may_be_null else beyond

    def equal(self, value) -> ColumnElement:
        return self.column.is_(None) if value is None else self.column == value


def _after_cursor(keys: Sequence[Key], values: Sequence) -> ColumnElement:
    """The rows following the cursor row. When every key is NOT NULL and goes one way this
    is a row comparison, (k1, k2) < (v1, v2), which an index on the keys reads as a range
    (the page starts where the cursor left off). Otherwise (k1 after v1) or (k1 = v1 and
    k2 after v2) or …, with the first key's bound beside it when that narrows the scan."""
    first, value = keys[0], values[0]
    bound = None
    if not first.may_be_null and value is not None:
        # Redundant, but a plain range on the first key: it narrows the index scan even
        # when the rest is an OR or spans two tables.
        bound = first.column <= value if first.descending else first.column >= value
    if len({key.descending for key in keys}) == 1 and not any(key.may_be_null for key in keys):
        row = tuple_(*(key.column for key in keys))
        cursor = tuple_(
            *(bindparam(None, v, type_=k.column.type) for k, v in zip(keys, values, strict=True))
        )
        following = row < cursor if first.descending else row > cursor
    else:
        alternatives = []
        for index, key in enumerate(keys):
            equal_before = [k.equal(v) for k, v in zip(keys[:index], values[:index], strict=True)]
            alternatives.append(and_(*equal_before, key.after(values[index])))
        following = or_(*alternatives)
    return following if bound is None or len(keys) == 1 else and_(bound, following)


def _fingerprint(keys: Sequence[Key]) -> list[str]:
    # A cursor made for another order (the sort was changed, another list) is not used.
    return [f"{key.column}:{'desc' if key.descending else 'asc'}" for key in keys]


def _encode_value(value) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def _decode_value(value) -> Any:
    if isinstance(value, dict):
        ((kind, text),) = value.items()
        parse = {"datetime": datetime.fromisoformat, "date": date.fromisoformat}.get(kind, Decimal)
        return parse(text)
    return value


def _serializer() -> URLSafeSerializer:
    # Signed, so a cursor holds only values this app wrote (never a value of the wrong
    # type for its column, which the database would refuse with an error).
    return URLSafeSerializer(current_app.secret_key, salt=_CURSOR_SALT)


def make_cursor(keys: Sequence[Key], values: Sequence) -> str:
    """The cursor of the row with these key values: the page after it starts after it."""
    return _serializer().dumps([_fingerprint(keys), [_encode_value(v) for v in values]])


def read_cursor(keys: Sequence[Key], cursor: str) -> list | None:
    """The key values in a cursor, or None when it is empty, altered or for another order."""
    if not cursor:
        return None
    try:
        fingerprint, values = _serializer().loads(cursor)
        if fingerprint != _fingerprint(keys) or len(values) != len(keys):
            return None
        return [_decode_value(value) for value in values]
    except (BadData, TypeError, ValueError, ArithmeticError):
        return None


def paginate_after(
    statement: Select, query: ListQuery, *, keys: Sequence[Key], per_page: int
) -> Page:
    """The ``per_page`` rows after ``query.after`` in the order of ``keys`` (keyset).

    The last key must be unique (an id), so rows that tie on the others keep one order and
    none is skipped or shown twice between pages. The statement must not be ordered: the
    keys are its order. An empty, altered or outdated cursor starts at the first page.
    """
    _check_per_page(per_page)
    values = read_cursor(keys, query.after)
    paged = statement.add_columns(*(key.column for key in keys)).order_by(
        *(key.ordering for key in keys)
    )
    if values is not None:
        paged = paged.where(_after_cursor(keys, values))
    rows = _results(paged.limit(per_page + 1), extra_columns=len(keys))
    rows, has_next = rows[:per_page], len(rows) > per_page
    width = len(statement.column_descriptions)
    items = [row[0] if width == 1 else tuple(row[:width]) for row in rows]
    next_after = make_cursor(keys, rows[-1][width:]) if has_next else None
    return Page(
        items,
        None,
        per_page,
        None,
        has_next,
        values is not None,
        dataclasses.replace(query, after=query.after if values is not None else ""),
        next_after,
    )
