"""Service requests customers make through the portal, with their photos."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .asset import Asset
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type
from .company import JobType, StaffUser
from .customer import Contact, Customer, Site
from .fleet import Vehicle
from .job import Job


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Urgency(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    EMERGENCY = "emergency"


MAX_REQUEST_PHOTOS = 4


class ServiceRequest(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    job_type_id: Mapped[int | None] = mapped_column(ForeignKey("job_types.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text)
    preferred_date: Mapped[date | None] = mapped_column(Date)
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency, "urgency"), default=Urgency.NORMAL)
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, "request_status"), default=RequestStatus.PENDING
    )
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), unique=True
    )

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    contact: Mapped[Contact | None] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    vehicle: Mapped[Vehicle | None] = relationship(lazy="raise_on_sql")
    asset: Mapped[Asset | None] = relationship(lazy="raise_on_sql")
    job_type: Mapped[JobType | None] = relationship(lazy="raise_on_sql")
    decided_by: Mapped[StaffUser | None] = relationship(lazy="raise_on_sql")
    job: Mapped[Job | None] = relationship(lazy="raise_on_sql")
    photos: Mapped[list["RequestPhoto"]] = relationship(
        back_populates="request", order_by="RequestPhoto.id", lazy="raise_on_sql"
    )

    __table_args__ = (
        CheckConstraint(
            "(status = 'declined') = (decline_reason IS NOT NULL)", name="declined_has_reason"
        ),
        CheckConstraint("status = 'pending' OR decided_at IS NOT NULL", name="decided_has_time"),
        Index(
            "ix_service_requests_company_status_created", "company_id", "status", "created_at", "id"
        ),
        # The inbox with every status, newest first.
        Index("ix_service_requests_company_created", "company_id", "created_at", "id"),
    )


class RequestPhoto(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "request_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(80), unique=True)  # random, never the upload's
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)

    request: Mapped[ServiceRequest] = relationship(back_populates="photos", lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)
