"""What an import will do, worked out before anything is written: the rows it creates,
the rows it updates with each change, the rows already as the file says, and every row's
problems. The same plan, worked out again from the stored file, is what confirming writes.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy import insert, select, update

from ...extensions import db
from ...models import Company, Customer, ImportKind
from .rows import Row, RowError

SHOWN_EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class PlannedRow:
    """A row that creates or updates a record: its row number, what it is, what changes."""

    row: int
    label: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Plan:
    kind: ImportKind
    rows: int
    creates: list[PlannedRow]
    updates: list[PlannedRow]
    unchanged: int
    errors: list[RowError]
    ignored_columns: list[str]
    # Writes the plan (bulk statements); only called for a plan without errors.
    write: Callable[[], None] = field(repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def digest(self) -> str:
        """A fingerprint of what the plan does: a confirmation of a preview whose plan no
        longer has this one (the records changed meanwhile) is refused."""
        summary = repr(
            [(r.row, r.label) for r in self.creates]
            + [(r.row, r.label, r.changes) for r in self.updates]
        )
        return hashlib.sha256(summary.encode()).hexdigest()[:32]


class Outcomes:
    """Collects each row's outcome while a kind's rows are planned."""

    def __init__(self):
        self.creates: list[PlannedRow] = []
        self.updates: list[PlannedRow] = []
        self.unchanged = 0
        self._seen: dict = {}

    def first_time(self, row: Row, key, column: str, what: str) -> bool:
        """False (and a row error) when an earlier row of the file has the same ``key``."""
        earlier = self._seen.setdefault(key, row.number)
        if earlier != row.number:
            row.error(column, f"repeats row {earlier} (the same {what}); give each one once.")
            return False
        return True

    def create(self, row: Row, label: str) -> None:
        self.creates.append(PlannedRow(row.number, label))

    def update(self, row: Row, label: str, changes: list[Change]) -> None:
        if changes:
            self.updates.append(PlannedRow(row.number, label, changes))
        else:
            self.unchanged += 1


def shown(value) -> str:
    if value is None or value == "":
        return SHOWN_EMPTY
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def changed_fields(
    existing: Mapping, given: dict, show: Callable = shown, prefix: str = ""
) -> tuple[dict, list[Change]]:
    """The given fields whose value differs from the record's (a field left empty in the
    file is not given: it stays as it is), and the changes as the preview shows them."""
    changed = {name: value for name, value in given.items() if existing[name] != value}
    return changed, [
        Change(prefix + name, show(existing[name]), show(value)) for name, value in changed.items()
    ]


def given(fields: dict) -> dict:
    """The fields that have a value in the file."""
    return {name: value for name, value in fields.items() if value is not None}


def company_rows(model, company: Company, names) -> list:
    """The id and the named columns of each of the company's rows of ``model``."""
    columns = [getattr(model, name) for name in names]
    statement = select(model.id, *columns).where(model.company_id == company.id)
    return db.session.execute(statement).mappings().all()


# New rows are sent in batches only while they have the same columns: every new row of a
# kind has the same keys, and None is written as NULL rather than the column left out
# (SQLAlchemy's default), or each run of rows of one shape is a statement of its own (10,000
# customers with and without a phone took 40 s on PostgreSQL, ``make bench``).
BATCHED = {"render_nulls": True}


def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert the rows, each with the same keys, in batches; their new ids in their order."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows, execution_options=BATCHED))


def write_rows(model, creates: list[dict], updates: list[dict]) -> None:
    """Insert the new rows (each with the same keys) and update the changed ones, each kind
    in bulk statements."""
    if creates:
        db.session.execute(insert(model), creates, execution_options=BATCHED)
    if updates:
        db.session.execute(update(model), updates)


class CustomerFinder:
    """The company's customers by external reference and by name, for files that name a
    customer in their ``customer`` column. A customer of another company is never found."""

    def __init__(self, company: Company):
        self._by_ref = {}
        self._by_name = defaultdict(list)
        for customer in company_rows(Customer, company, ("external_ref", "name", "archived_at")):
            if customer["external_ref"]:
                self._by_ref[customer["external_ref"]] = customer
            self._by_name[customer["name"].lower()].append(customer)

    def find(self, row: Row, column: str = "customer") -> int | None:
        """The id of the customer the row's cell names (its external reference, else its
        name); None with a row error when there is none, several, or it is archived."""
        value = row.text(column, 160, required=True)
        if value is None:
            return None
        customer = self._by_ref.get(value)
        if customer is None:
            named = self._by_name.get(value.lower(), [])
            if len(named) > 1:
                row.error(
                    column,
                    f"{len(named)} customers are called “{value}”; give the one meant by its "
                    "external reference.",
                )
                return None
            customer = named[0] if named else None
        if customer is None:
            row.error(column, f"No customer has the reference or name “{value}”.")
            return None
        if customer["archived_at"] is not None:
            row.error(column, f"The customer “{customer['name']}” is archived.")
            return None
        return customer["id"]


def chunks(items: list, size: int = 1000):
    for start in range(0, len(items), size):
        yield items[start : start + size]
