"""Reminders and notifications a company sends its customers, and the record of each one
sent. Reminders go out on a schedule (services/reminders.py); notifications when something
happens (services/notifications.py)."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type


class ReminderKind(enum.StrEnum):
    APPOINTMENT = "appointment"  # before a job's window
    INVOICE_OVERDUE = "invoice_overdue"  # days after an unpaid invoice's due date
    QUOTE_FOLLOW_UP = "quote_follow_up"  # days after sending a quote still unanswered
    REQUEST_RECEIVED = "request_received"  # a service request was submitted
    ON_MY_WAY = "on_my_way"  # the technician set off for the job
    JOB_COMPLETED = "job_completed"  # the job was completed
    SERVICE_DUE_DIGEST = "service_due_digest"  # weekly: a fleet's vehicles due for service

    @property
    def timed(self) -> bool:
        """A reminder whose timing the company sets (hours before, days after)."""
        return self in TIMED_KINDS

    @property
    def email_kind(self) -> str:
        """The outbox kind (and template name) of its emails."""
        return f"{self.value}_reminder" if self.timed else self.value


TIMED_KINDS = frozenset(
    {ReminderKind.APPOINTMENT, ReminderKind.INVOICE_OVERDUE, ReminderKind.QUOTE_FOLLOW_UP}
)


class ReminderSetting(TenantMixin, db.Model):
    """A company's choice for one kind; a kind without a row has its default (on)."""

    __tablename__ = "reminder_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind, "kind"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Hours before the window (appointment) or days after (the others), comma-separated.
    timing: Mapped[str] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("company_id", "kind"),)


class SentReminder(TenantMixin, CreatedAtMixin, db.Model):
    """One reminder sent: (kind, object, due moment) is unique, so however many schedulers,
    retries or crashed workers there are, each reminder is written — with its email, in the
    same transaction — once."""

    __tablename__ = "sent_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind, "kind"))
    subject_id: Mapped[int] = mapped_column(Integer)  # the job, invoice or quote
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    to_address: Mapped[str] = mapped_column(String(254))

    __table_args__ = (UniqueConstraint("kind", "subject_id", "due_at"),)


class EmailOptOut(TenantMixin, CreatedAtMixin, db.Model):
    """An address that asked for no more emails of one reminder kind from this company
    (its unsubscribe link, the portal's Account tab, or staff on the contact's page)."""

    __tablename__ = "email_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254))  # lower case
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind, "kind"))

    __table_args__ = (UniqueConstraint("company_id", "address", "kind"),)
