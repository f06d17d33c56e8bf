"""Writes the demo rows: explicit primary keys, bulk inserts in foreign-key order."""

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
    # A bulk INSERT needs the same columns in every row: group rows by their keys.
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        for start in range(0, len(group), INSERT_CHUNK):
            db.session.execute(insert(table), group[start : start + INSERT_CHUNK])


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
