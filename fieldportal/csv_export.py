"""Lists as CSV downloads: the cell rule, rows read in chunks, the streamed response.

A list view answers ``?format=csv`` (``wants_csv``) with ``download(export, company, args)``,
where the export (services/exports/) names the list, its columns and the rows of the same
filtered, sorted statement the page shows, without its pages. Rows are fetched
``CHUNK_ROWS`` at a time (``rows_of``: a server-side cursor on PostgreSQL) and written
out as they come, so a list of 200,000 jobs takes the memory of one chunk. The file is
written after the view returned, in a session of its own (Flask's
``stream_with_context``): an export carries statements and plain values, not records the
view loaded (``Export.of_items`` reads those at once).

Every cell is text the export wrote: money as a plain decimal (12.50), dates ISO, times
ISO in the company's time zone with its offset, yes/no. Text that begins with a
character a spreadsheet reads as a formula (= + - @, tab, CR) gets a leading apostrophe
(QUALITY.md 34), so a customer named ``=HYPERLINK(...)`` stays a name.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy import Select

from .extensions import db
from .models import Company
from .services.clock import company_today, company_zone

CHUNK_ROWS = 1_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets Excel read the file as UTF-8


def wants_csv(args: Mapping) -> bool:
    """Whether the list was asked for as CSV (``?format=csv``)."""
    return args.get("format") == "csv"


def wants_bom(args: Mapping) -> bool:
    """``?bom=1``: the file for Excel, which reads UTF-8 only after a byte-order mark."""
    return args.get("bom") == "1"


@dataclass(frozen=True)
class Column:
    """One column: its heading and how a row gives its value. ``money`` marks integer
    cents, written as a decimal of the currency's units."""

    heading: str
    value: Callable[[Any], Any]
    money: bool = False


@dataclass(frozen=True)
class Export:
    """A list as a file: ``name`` goes into the file name, ``rows`` is called while the
    response streams and yields one item per line."""

    name: str
    columns: Sequence[Column]
    rows: Callable[[], Iterable]

    @classmethod
    def of_items(cls, name: str, columns: Sequence[Column], items: Iterable) -> Export:
        """The export of records in hand, their values read now: by the time the file is
        written the commit point has ended the session that loaded them."""
        values = [[column.value(item) for column in columns] for item in items]
        by_position = [
            dataclasses.replace(column, value=operator.itemgetter(index))
            for index, column in enumerate(columns)
        ]
        return cls(name, by_position, lambda: values)


def rows_of(statement: Select, *, chunk: int = CHUNK_ROWS) -> Iterator:
    """The statement's results fetched ``chunk`` at a time: ORM entities when it selects
    one, rows otherwise. Eager loads must be many-to-one (joined) or selectin."""
    result = db.session.execute(statement.execution_options(yield_per=chunk))
    descriptions = statement.column_descriptions
    if len(descriptions) == 1 and descriptions[0].get("entity") is not None:
        return iter(result.scalars())
    return iter(result)


def safe_text(text: str) -> str:
    """The text, with an apostrophe in front when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cents_text(cents: int) -> str:
    """Integer cents as a plain decimal: 123456 -> 1234.56, -5 -> -0.05."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def cell(value: Any, zone: tzinfo, *, money: bool = False) -> str:
    """What one cell holds (see the module's docstring)."""
    if value is None:
        return ""
    if money:
        return cents_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | Decimal | float):
        return str(value)
    return safe_text(str(value))


def lines(export: Export, zone: tzinfo, *, bom: bool = False) -> Iterator[bytes]:
    """The file, UTF-8 encoded, a chunk of lines at a time: the headings, then the rows."""
    buffer = io.StringIO(BOM if bom else "")
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(column.heading) for column in export.columns])
    for written, row in enumerate(export.rows(), start=1):
        writer.writerow([cell(c.value(row), zone, money=c.money) for c in export.columns])
        if written % CHUNK_ROWS == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def filename(company_slug: str, name: str, today: date) -> str:
    """acme-jobs-2026-12-03.csv: whose, which list, which day (the company's)."""
    return f"{company_slug}-{name}-{today.isoformat()}.csv"


def download(export: Export, company: Company, args: Mapping) -> Response:
    """The export as a streamed download (never cached: it holds the company's records),
    with a byte-order mark when ``args`` ask for it (``?bom=1``). Times are written in the
    company's zone and the file is named for its today."""
    name = filename(company.slug, export.name, company_today(company))
    body = lines(export, company_zone(company), bom=wants_bom(args))
    result = Response(stream_with_context(body), mimetype="text/csv")
    result.headers["Content-Type"] = "text/csv; charset=utf-8"
    result.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    result.headers["Cache-Control"] = "private, no-store"
    return result
