"""Jobs (work orders) and the stamped history of their status."""

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .asset import Asset
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type, utcnow
from .company import JobType, StaffUser
from .customer import Customer, Site
from .fleet import Vehicle


class JobStatus(enum.StrEnum):
    UNSCHEDULED = "unscheduled"
    SCHEDULED = "scheduled"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ACTIVE_JOB_STATUSES = (
    JobStatus.SCHEDULED,
    JobStatus.ASSIGNED,
    JobStatus.EN_ROUTE,
    JobStatus.ARRIVED,
    JobStatus.IN_PROGRESS,
)

# What a customer reads for each status, in plain language.
CUSTOMER_STATUS_LABELS = {
    JobStatus.UNSCHEDULED: "Awaiting scheduling",
    JobStatus.SCHEDULED: "Scheduled",
    JobStatus.ASSIGNED: "Technician assigned",
    JobStatus.EN_ROUTE: "On the way",
    JobStatus.ARRIVED: "Technician arrived",
    JobStatus.IN_PROGRESS: "In progress",
    JobStatus.COMPLETED: "Completed",
    JobStatus.CANCELLED: "Cancelled",
}


class Job(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    job_type_id: Mapped[int | None] = mapped_column(ForeignKey("job_types.id", ondelete="SET NULL"))
    technician_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, "job_status"), default=JobStatus.UNSCHEDULED
    )
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    po_number: Mapped[str | None] = mapped_column(String(60))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    customer_notes: Mapped[str | None] = mapped_column(Text)
    odometer_at_service: Mapped[int | None] = mapped_column(Integer)
    services_performed: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    vehicle: Mapped[Vehicle | None] = relationship(lazy="raise_on_sql")
    asset: Mapped[Asset | None] = relationship(lazy="raise_on_sql")
    job_type: Mapped[JobType | None] = relationship(lazy="raise_on_sql")
    technician: Mapped[StaffUser | None] = relationship(lazy="raise_on_sql")
    status_changes: Mapped[list["JobStatusChange"]] = relationship(
        back_populates="job", order_by="JobStatusChange.changed_at", lazy="raise_on_sql"
    )

    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        CheckConstraint(
            "window_end IS NULL OR window_start IS NULL OR window_end > window_start",
            name="window_order",
        ),
        CheckConstraint(
            "odometer_at_service IS NULL OR odometer_at_service >= 0", name="odometer_non_negative"
        ),
        Index("ix_jobs_customer_status_window", "customer_id", "status", "window_start"),
        Index("ix_jobs_vehicle_completed", "vehicle_id", "completed_at"),
        Index("ix_jobs_asset", "asset_id"),
        Index("ix_jobs_technician_window", "technician_id", "window_start"),
    )

    @property
    def customer_status_label(self) -> str:
        return CUSTOMER_STATUS_LABELS[self.status]


class JobStatusChange(TenantMixin, db.Model):
    __tablename__ = "job_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[JobStatus | None] = mapped_column(enum_type(JobStatus, "from_status"))
    to_status: Mapped[JobStatus] = mapped_column(enum_type(JobStatus, "to_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )

    job: Mapped[Job] = relationship(back_populates="status_changes", lazy="raise_on_sql")
    changed_by: Mapped[StaffUser | None] = relationship(lazy="raise_on_sql")


# The jobs list reads each of its orders from an index, so a page reads its 25 rows and
# no more (services/work/jobs.py _job_keys): by time both ways (jobs without a time last,
# newest number first among ties), by status (the number the same way; also the status
# filter by number), the status filter by time; by number is the unique constraint.
# On SQLite an index has no NULLS LAST (database.py drops it: DESC is already so there).
Index(
    "ix_jobs_company_when_desc",
    Job.company_id,
    Job.window_start.desc().nulls_last(),
    Job.number.desc(),
)
# It also counts the home page's jobs today from the index alone (PostgreSQL: the status
# carried along, to leave the cancelled ones out).
Index(
    "ix_jobs_company_when_asc",
    Job.company_id,
    Job.window_start.asc().nulls_last(),
    Job.number.desc(),
    postgresql_include=["status"],
)
Index(
    "ix_jobs_company_status_when",
    Job.company_id,
    Job.status,
    Job.window_start.desc().nulls_last(),
    Job.number.desc(),
)
Index("ix_jobs_company_status_number", Job.company_id, Job.status, Job.number)
