"""Writes the demo rows: explicit primary keys, in foreign-key order; PostgreSQL by COPY
(the xl scale's millions of rows), other databases by bulk INSERT."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, text

from ..extensions import db
from ..models import (
    Asset,
    AssetDefect,
    AssetTest,
    AuditEvent,
    Company,
    Contact,
    Customer,
    CustomerJobType,
    Invoice,
    Job,
    JobStatusChange,
    JobType,
    LineItem,
    OdometerReading,
    Payment,
    Quote,
    QuoteDecision,
    Report,
    ServiceRequest,
    Site,
    StaffUser,
    Vehicle,
    contact_sites,
)

INSERT_CHUNK = 5000


@dataclass
class IdAllocator:
    """Hands out explicit primary keys, continuing after what the database already has."""

    next_ids: dict = field(default_factory=dict)

    def take(self, model) -> int:
        table = model.__tablename__
        if table not in self.next_ids:
            self.next_ids[table] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


class Batch:
    """Rows gathered per model and inserted in bulk, parents before children."""

    ORDER = [
        Company,
        StaffUser,
        JobType,
        Customer,
        CustomerJobType,
        Site,
        Contact,
        contact_sites,
        Vehicle,
        Asset,
        AssetTest,
        AssetDefect,
        Job,
        JobStatusChange,
        OdometerReading,
        ServiceRequest,
        Quote,
        QuoteDecision,
        Invoice,
        LineItem,
        Payment,
        Report,
        AuditEvent,
    ]

    def __init__(self):
        self.rows: dict = {model: [] for model in self.ORDER}

    def add(self, target, row: dict) -> dict:
        """Queue a row; it may still be changed until ``flush``."""
        self.rows[target].append(row)
        return row

    def flush(self) -> dict[str, int]:
        """Insert every queued row; returns how many went into each table."""
        counts = {}
        for model in self.ORDER:
            rows = self.rows[model]
            if rows:
                table = model if hasattr(model, "c") else model.__table__
                _insert_all(table, rows)
                counts[table.name] = len(rows)
                rows.clear()
        return counts


def _insert_all(table, rows: list[dict]) -> None:
    # Rows are written in groups with the same columns: a bulk INSERT needs the same keys in
    # every row, and a COPY names its columns once.
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    copy = db.session.get_bind().dialect.name == "postgresql"
    for keys, group in groups.items():
        if copy:
            _copy(table, keys, group)
            continue
        for start in range(0, len(group), INSERT_CHUNK):
            db.session.execute(insert(table), group[start : start + INSERT_CHUNK])


def _copy(table, keys: tuple, rows: list[dict]) -> None:
    """COPY the rows in, with the values an INSERT would have written: each column type's
    bind processing (enum values, UTC datetimes, JSON) and the Python-side defaults of the
    columns the rows leave out (COPY applies only the server's)."""
    dialect = db.session.get_bind().dialect
    defaults = [
        column
        for column in table.c
        if column.name not in keys and column.default is not None and not column.default.is_sequence
    ]
    names = [*keys, *(column.name for column in defaults)]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    driver_connection = db.session.connection().connection.driver_connection
    # Table and column names come from our own metadata, never from input.
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[key] for key in keys]
            values += [
                column.default.arg(None) if column.default.is_callable else column.default.arg
                for column in defaults
            ]
            copy.write_row(
                [
                    value if process is None else process(value)
                    for process, value in zip(processors, values, strict=True)
                ]
            )


def reset_postgres_sequences() -> None:
    """Explicit ids bypass PostgreSQL sequences; move each past its table's largest id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            # Table names come from our own metadata, never from input.
            statement = (
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
            db.session.execute(text(statement))


@contextmanager
def indexes_built_after_load() -> Iterator[None]:
    """On PostgreSQL, the app's foreign keys, unique constraints and secondary indexes are
    dropped for the load and made again from their own definitions at the end, as
    pg_restore does: an index built once is far quicker than one kept up to date row by
    row, and a foreign key added back checks every row at once, so the data is checked as
    it would have been. All in the load's transaction: a failed load leaves them as they
    were."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    tables = list(db.metadata.tables)
    constraints = db.session.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
            "FROM pg_constraint WHERE contype IN ('f', 'u') "
            "AND connamespace = current_schema()::regnamespace "
            "AND conrelid::regclass::text = ANY(:tables) ORDER BY contype"
        ),
        {"tables": tables},
    ).all()  # foreign keys ('f') first: they may lean on a unique constraint
    indexes = db.session.scalars(
        text(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:tables) "
            "AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ),
        {"tables": tables},
    ).all()
    # Names and definitions come from the database's own catalog, never from input.
    for table, name, _definition, _kind in constraints:
        db.session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for definition in indexes:
        name = definition.split(" ON ", 1)[0].split()[-1]
        db.session.execute(text(f"DROP INDEX {name}"))
    yield
    db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for definition in indexes:
        db.session.execute(text(definition))
    for table, name, definition, _kind in reversed(constraints):
        db.session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
