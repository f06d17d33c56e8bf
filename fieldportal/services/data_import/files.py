"""Reading an uploaded spreadsheet, CSV or .xlsx, into a header and rows of text cells.

What cannot be read at all (not UTF-8, not a spreadsheet, no header, too many rows) is
refused with one message saying how to save the file so that it can be; everything about a
single cell is the row checks' business (rows.py). A cell Excel holds as a formula comes
back as a ``Formula``, so it is reported instead of imported: nothing here evaluates one.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from ..errors import Invalid

MAX_ROWS = 50_000
# An .xlsx is a zip: refuse one that would unpack into far more than an upload may hold.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
OLD_EXCEL_SIGNATURE = b"\xd0\xcf\x11\xe0"
ZIP_SIGNATURE = b"PK\x03\x04"
SAVE_AS_CSV = "In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”, or save it as .xlsx."


class Formula(str):
    """The text of a cell that holds a formula (an .xlsx formula cell)."""


@dataclass(frozen=True)
class Sheet:
    """The file's header row (as written) and its data rows, each with its row number as
    a spreadsheet shows it (the header is row 1); blank rows are left out."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def refuse(message: str) -> Invalid:
    return Invalid(errors={"file": [message]})


def read_sheet(filename: str, data: bytes) -> Sheet:
    """The first sheet of an .xlsx, or a CSV (comma, semicolon or tab separated) in UTF-8
    (with or without a byte-order mark) or UTF-16; raises Invalid on the ``file`` field."""
    if not data.strip():
        raise refuse("The file is empty.")
    if data.startswith(OLD_EXCEL_SIGNATURE) or filename.lower().endswith(".xls"):
        raise refuse(f"This is an old Excel workbook (.xls), which cannot be read. {SAVE_AS_CSV}")
    if data.startswith(ZIP_SIGNATURE) or filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(_decoded(data))
    return _sheet(rows)


def _decoded(data: bytes) -> str:
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise refuse(f"The file is damaged UTF-16 text. {SAVE_AS_CSV}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise refuse(
            f"The file is not UTF-8 text: line {line} holds a character written in another "
            f"encoding (perhaps Windows-1252). {SAVE_AS_CSV}"
        ) from None
    if "\x00" in text:
        raise refuse(f"The file holds NUL characters, so it is not a CSV text file. {SAVE_AS_CSV}")
    return text


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return max(",;\t", key=first_line.count) if any(c in first_line for c in ",;\t") else ","


def _csv_rows(text: str):
    """Each record with its number as a spreadsheet counts rows (a quoted cell may hold
    line breaks and is still one row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:
        raise refuse(f"Row {number + 1} cannot be read as CSV ({error}).") from None


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise refuse(f"The file is not a readable .xlsx workbook. {SAVE_AS_CSV}") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise refuse("The workbook unpacks to more than 200 MB; save it as CSV instead.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (KeyError, XML errors) on a damaged file
        raise refuse(f"The file is not a readable .xlsx workbook. {SAVE_AS_CSV}") from None
    try:
        if not workbook.worksheets:
            raise refuse("The workbook has no sheet.")
        rows = []
        for number, row in enumerate(workbook.worksheets[0].iter_rows(), start=1):
            rows.append((number, [_cell_text(cell) for cell in row]))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except Invalid:
        raise
    except Exception:
        raise refuse(f"The workbook's first sheet cannot be read. {SAVE_AS_CSV}") from None
    finally:
        workbook.close()


def _cell_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "f":
        return Formula(value if isinstance(value, str) else "=")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _sheet(numbered_rows) -> Sheet:
    header = None
    rows = []
    for number, cells in numbered_rows:
        if not any(str(cell).strip() for cell in cells):
            continue
        if header is None:
            header = [str(cell).strip() for cell in cells]
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise refuse(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.")
    if header is None:
        raise refuse("The file has no header row.")
    if not rows:
        raise refuse("The file has a header row but no rows under it.")
    return Sheet(header=header, rows=rows)
