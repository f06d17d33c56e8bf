"""Column types and helpers shared by every model."""

import re
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.schema import CreateIndex
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


@compiles(CreateIndex, "sqlite")
def _sqlite_index(create, compiler, **kw):
    # SQLite has no NULLS FIRST / LAST in an index. Its NULLs sort first, so DESC NULLS
    # LAST is its plain DESC (an ASC NULLS LAST order is sorted there: SQLite is the
    # development database; the budgets are PostgreSQL's).
    return re.sub(r" NULLS (FIRST|LAST)", "", compiler.visit_create_index(create, **kw))


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class TenantMixin:
    """Every tenant-owned row carries its company."""

    @declared_attr
    def company_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("companies.id", ondelete="CASCADE"), index=True, nullable=False
        )


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def enum_type(enum_class, name: str):
    """A VARCHAR with a CHECK constraint listing the enum's values (no native ENUM types)."""
    from sqlalchemy import Enum

    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
