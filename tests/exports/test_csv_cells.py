"""The cell rule and the file's shape (fieldportal/csv_export.py)."""

import csv
import enum
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fieldportal import csv_export
from fieldportal.csv_export import Column, Export, cell

CHICAGO = ZoneInfo("America/Chicago")


class Colour(enum.StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("\rreturn", "'\rreturn"),
        ("Acme = best", "Acme = best"),
        ("O'Brien", "O'Brien"),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text, written):
    assert cell(text, CHICAGO) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (Colour.RED, "red"),
        (42, "42"),
        (Decimal("1.50"), "1.50"),
        (date(2026, 3, 9), "2026-03-09"),
        # 15:30 UTC is 09:30 in Chicago in winter, 10:30 in summer.
        (datetime(2026, 1, 5, 15, 30, 7, 999, tzinfo=UTC), "2026-01-05T09:30:07-06:00"),
        (datetime(2026, 7, 5, 15, 30, tzinfo=UTC), "2026-07-05T10:30:00-05:00"),
    ],
)
def test_values_are_written_plainly(value, written):
    assert cell(value, CHICAGO) == written


@pytest.mark.parametrize(
    ("cents", "written"),
    [(0, "0.00"), (5, "0.05"), (123_456, "1234.56"), (-5, "-0.05"), (None, "")],
)
def test_money_is_a_plain_decimal_and_negative_amounts_stay_numbers(cents, written):
    assert cell(cents, CHICAGO, money=True) == written


def _export(rows) -> Export:
    return Export(
        "things", [Column("Name", lambda r: r), Column("=Sum", lambda r: len(r))], lambda: rows
    )


def test_the_file_streams_a_chunk_of_lines_at_a_time():
    rows = [f"row {n}" for n in range(2 * csv_export.CHUNK_ROWS + 5)]
    chunks = list(csv_export.lines(_export(rows), CHICAGO))
    assert len(chunks) == 3
    text = b"".join(chunks).decode("utf-8")
    assert not text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["Name", "'=Sum"]
    assert [row[0] for row in parsed[1:]] == rows
    assert text.count("\r\n") == len(rows) + 1


def test_the_byte_order_mark_comes_once_at_the_start():
    rows = [f"row {n}" for n in range(csv_export.CHUNK_ROWS + 1)]
    data = b"".join(csv_export.lines(_export(rows), CHICAGO, bom=True))
    assert data.startswith("\ufeff".encode()) and data.count("\ufeff".encode()) == 1
    assert (
        b"".join(csv_export.lines(_export([]), CHICAGO, bom=True)).decode()
        == "\ufeffName,'=Sum\r\n"
    )


def test_the_file_name_says_whose_which_list_and_which_day():
    assert csv_export.filename("acme", "jobs", date(2026, 12, 3)) == "acme-jobs-2026-12-03.csv"
