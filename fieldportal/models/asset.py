"""Maintained assets (extinguishers, boilers, lifts…), their tests and defects."""

import enum
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, enum_type
from .customer import Customer, Site


class DefectSeverity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DefectStatus(enum.StrEnum):
    OPEN = "open"
    QUOTED = "quoted"
    RESOLVED = "resolved"


class Asset(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    asset_code: Mapped[str] = mapped_column(String(60))  # shown under the company's label
    asset_type: Mapped[str] = mapped_column(String(60))
    model_number: Mapped[str | None] = mapped_column(String(60))
    serial_number: Mapped[str | None] = mapped_column(String(60))
    customer_ref: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    tests: Mapped[list["AssetTest"]] = relationship(
        back_populates="asset", order_by="AssetTest.tested_on.desc()", lazy="raise_on_sql"
    )
    defects: Mapped[list["AssetDefect"]] = relationship(
        back_populates="asset", order_by="AssetDefect.found_on.desc()", lazy="raise_on_sql"
    )

    __table_args__ = (UniqueConstraint("company_id", "asset_code"),)


class AssetTest(TenantMixin, db.Model):
    __tablename__ = "asset_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    test_number: Mapped[str] = mapped_column(String(40))
    tested_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(20), default="pass")  # pass | fail
    notes: Mapped[str | None] = mapped_column(Text)

    asset: Mapped[Asset] = relationship(back_populates="tests", lazy="raise_on_sql")

    __table_args__ = (Index("ix_asset_tests_asset_date", "asset_id", "tested_on"),)


class AssetDefect(TenantMixin, db.Model):
    __tablename__ = "asset_defects"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[DefectSeverity] = mapped_column(enum_type(DefectSeverity, "defect_severity"))
    status: Mapped[DefectStatus] = mapped_column(
        enum_type(DefectStatus, "defect_status"), default=DefectStatus.OPEN
    )
    found_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)

    asset: Mapped[Asset] = relationship(back_populates="defects", lazy="raise_on_sql")
