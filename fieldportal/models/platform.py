"""The people who run the installation (platform admins), their sessions and set-password
links, and the audit trail of what they did. None of this belongs to a company: a
platform admin is not a staff user, and no staff or contact session grants any of it."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, UTCDateTime, utcnow
from .two_factor import RecoveryCodeMixin, TwoFactorMixin


class PlatformAdmin(TwoFactorMixin, CreatedAtMixin, db.Model):
    """Two-factor is required (models/two_factor.py's columns, as staff accounts have them:
    services/auth/two_factor.py works on both)."""

    __tablename__ = "platform_admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # NULL until the set-password link printed by `flask create-platform-admin` is used.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lockout rule of services/auth/lockout.py (wrong passwords and wrong codes).
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<PlatformAdmin {self.email}>"


class PlatformRecoveryCode(RecoveryCodeMixin, db.Model):
    """One of a platform admin's ten single-use recovery codes; only its SHA-256 is kept."""

    __tablename__ = "platform_recovery_codes"

    holder_key = "platform_admin_id"

    platform_admin_id: Mapped[int] = mapped_column(
        ForeignKey("platform_admins.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (UniqueConstraint("platform_admin_id", "code_hash"),)


class PlatformSession(CreatedAtMixin, db.Model):
    """One signed-in browser of a platform admin, in its own cookie (path /platform).
    The password (or a set-password link) opens it; it grants the platform pages only once
    ``two_factor_at`` is set (the second factor checked in this session)."""

    __tablename__ = "platform_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform_admin_id: Mapped[int] = mapped_column(
        ForeignKey("platform_admins.id", ondelete="CASCADE"), index=True
    )
    two_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Opened by a set-password link (which only a person with the command line can make),
    # not by the password alone: the one kind of session that may set up two-factor.
    via_link: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    admin: Mapped[PlatformAdmin] = relationship(lazy="raise_on_sql")

    # The raw token, known only in the request that created or presented it.
    cookie_token = None


class PlatformLink(CreatedAtMixin, db.Model):
    """A single-use link for a platform admin to choose a password (SHA-256 only)."""

    __tablename__ = "platform_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform_admin_id: Mapped[int] = mapped_column(
        ForeignKey("platform_admins.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    admin: Mapped[PlatformAdmin] = relationship(lazy="raise_on_sql")


class PlatformAuditEvent(CreatedAtMixin, db.Model):
    """Who (a platform admin, or the command line), did what, to which company."""

    __tablename__ = "platform_audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("platform_admins.id", ondelete="SET NULL")
    )
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    admin: Mapped[PlatformAdmin | None] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_platform_audit_events_created", "created_at", "id"),
        Index("ix_platform_audit_events_company_created", "company_id", "created_at"),
    )
