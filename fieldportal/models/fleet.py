"""Vehicles and their odometer readings."""

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, utcnow
from .customer import Customer, Site


def vehicle_label(year, make, model, plate) -> str:
    """How a vehicle is named wherever it appears: "2021 Ford Transit (KX21 ABC)"."""
    name = " ".join(str(part) for part in (year, make, model) if part)
    return f"{name} ({plate})" if plate else name


class Vehicle(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    year: Mapped[int | None] = mapped_column(Integer)
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60))
    plate: Mapped[str | None] = mapped_column(String(20))
    vin: Mapped[str | None] = mapped_column(String(17))
    odometer: Mapped[int] = mapped_column(Integer, default=0)
    oil_spec: Mapped[str | None] = mapped_column(String(60))
    # Overrides of the fleet's default service interval.
    interval_miles: Mapped[int | None] = mapped_column(Integer)
    interval_days: Mapped[int | None] = mapped_column(Integer)
    # Kept in step by the job-completion service so interval status needs no job scan.
    last_service_on: Mapped[date | None] = mapped_column(Date)
    last_service_odometer: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    odometer_readings: Mapped[list["OdometerReading"]] = relationship(
        back_populates="vehicle", order_by="OdometerReading.recorded_at.desc()", lazy="raise_on_sql"
    )

    __table_args__ = (
        CheckConstraint("odometer >= 0", name="odometer_non_negative"),
        CheckConstraint(
            "last_service_odometer IS NULL OR last_service_odometer >= 0",
            name="last_service_odometer_non_negative",
        ),
        CheckConstraint(
            "interval_miles IS NULL OR interval_miles > 0", name="interval_miles_positive"
        ),
        CheckConstraint(
            "interval_days IS NULL OR interval_days > 0", name="interval_days_positive"
        ),
        CheckConstraint("year IS NULL OR (year >= 1900 AND year <= 2100)", name="year_range"),
        Index("ix_vehicles_customer_active", "customer_id", "active"),
    )

    @property
    def label(self) -> str:
        return vehicle_label(self.year, self.make, self.model, self.plate)


class OdometerReading(TenantMixin, db.Model):
    __tablename__ = "odometer_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicles.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    reading: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="staff")  # staff | job | import

    vehicle: Mapped[Vehicle] = relationship(back_populates="odometer_readings", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("reading >= 0", name="reading_non_negative"),)
