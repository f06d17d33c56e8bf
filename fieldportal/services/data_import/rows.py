"""The columns of an import file and reading one row's cells: each check that fails adds
a message naming the row and column, and the row goes on being read, so one pass reports
every problem of the file."""

import re
from dataclasses import dataclass

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from .. import phones
from .files import Formula, Sheet, refuse

# A cell Excel would take for a formula when the file is opened again: = + - @ first. A
# number or phone number ("+44 20 7946 0101", "-3") is not one.
FORMULA_START = ("=", "+", "-", "@")
NUMBER_LIKE = re.compile(r"^[+-]?[\d\s().\-/]*\d[\d\s().\-/]*$")
# An ASCII address every validator takes (email_validator, which the forms use, costs
# ~0.1 ms an address: 2 s for a file of 10,000 customers and contacts). Anything else,
# and a special-use domain, goes to email_validator.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_EMAIL = re.compile(
    rf"^{ATEXT}(?:\.{ATEXT})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}$"
)


@dataclass(frozen=True)
class Column:
    name: str
    example: str = ""
    required: bool = False  # the file must have this column
    aliases: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    message: str


def header_key(text: str) -> str:
    """A header as we compare it: "Contact e-mail " → "contact_e_mail"."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def column_positions(sheet: Sheet, columns: tuple[Column, ...]) -> tuple[dict[str, int], list[str]]:
    """Where each known column is in the file, and the headers that are not imported;
    raises Invalid naming the required columns the file lacks or a header given twice."""
    names = {}
    for column in columns:
        for spelling in (column.name, *column.aliases):
            names[header_key(spelling)] = column.name
    positions: dict[str, int] = {}
    ignored = []
    for index, heading in enumerate(sheet.header):
        name = names.get(header_key(heading))
        if name is None:
            if heading:
                ignored.append(heading)
        elif name in positions:
            raise refuse(f"The header names the column “{name}” twice.")
        else:
            positions[name] = index
    missing = [
        column.name for column in columns if column.required and column.name not in positions
    ]
    if missing:
        raise refuse(
            f"The header row lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. Start from the template of this kind of import."
        )
    return positions, ignored


def _plainly_an_email(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    labels = domain.lower().split(".")
    return (
        len(local) <= 64
        and PLAIN_EMAIL.match(value) is not None
        and "--" not in domain
        and not any(".".join(labels[i:]) in SPECIAL_USE_DOMAIN_NAMES for i in range(len(labels)))
    )


class Row:
    """One data row: typed cells read by column name; each problem becomes a RowError."""

    def __init__(self, number: int, cells: list[str], positions: dict[str, int], errors: list):
        self.number = number
        self.errors = errors
        self._problems = 0
        self._cells = {
            name: cells[index] if index < len(cells) else "" for name, index in positions.items()
        }

    @property
    def ok(self) -> bool:
        """No problem found in this row so far."""
        return not self._problems

    def error(self, column: str | None, message: str) -> None:
        self._problems += 1
        self.errors.append(RowError(self.number, column, message))

    def require(self, fields: dict, names: tuple[str, ...], what: str) -> bool:
        """Whether each of ``names`` has a value in ``fields`` (a row error for each that
        has none: ``what`` needs it)."""
        for name in names:
            if fields[name] is None:
                self.error(name, f"is empty; {what} needs it.")
        return self.ok

    def _raw(self, name: str) -> str | None:
        """The cell's text, stripped; None (with a row error) for a formula."""
        value = self._cells.get(name, "")
        if isinstance(value, Formula):
            self.error(name, "holds a formula; formulas are not imported. Type the value itself.")
            return None
        value = value.strip()
        if value.startswith(FORMULA_START) and not NUMBER_LIKE.match(value):
            self.error(
                name,
                f"starts with “{value[0]}”, which a spreadsheet takes for a formula; formulas "
                "are not imported. Remove that first character or type the value itself.",
            )
            return None
        return value

    def text(self, name: str, max_length: int, *, required: bool = False) -> str | None:
        value = self._raw(name)
        if value is None:
            return None
        if not value:
            if required:
                self.error(name, "is empty; it is needed.")
            return None
        if len(value) > max_length:
            self.error(name, f"is {len(value)} characters long; at most {max_length} fit.")
            return None
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = (self._raw(name) or "").replace(",", "")
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.error(name, f"“{value}” is not a whole number.")
            return None
        if not low <= number <= high:
            self.error(name, f"{number:,} is out of range: give {low:,} to {high:,}.")
            return None
        return number

    def email(self, name: str) -> str | None:
        value = self.text(name, 254)
        if value is None or _plainly_an_email(value):
            return value
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            self.error(name, f"“{value}” is not an email address.")
            return None
        return value

    def phone(self, name: str, region: str) -> str | None:
        value = self.text(name, 40)
        if value is None:
            return None
        number, problem = phones.read(value, region)
        if problem:
            self.error(name, f"“{value}”: {problem}")
        return number

    def choice(self, name: str, choices: dict[str, object]):
        """The value a cell names, by any of its spellings in ``choices`` (lower case)."""
        value = self._raw(name)
        if not value:
            return None
        chosen = choices.get(value.lower())
        if chosen is None:
            listed = ", ".join(sorted({str(getattr(c, "value", c)) for c in choices.values()}))
            self.error(name, f"“{value}” is not one of: {listed}.")
        return chosen
