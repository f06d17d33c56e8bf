"""Single-use links that set an account up: confirming a self-serve sign-up, letting a
company's first owner choose a password, a staff member's password reset, and an
invitation to join a company's staff. Only the token's SHA-256 is stored."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, UTCDateTime, enum_type
from .company import Company, StaffUser


class SetupPurpose(enum.StrEnum):
    CONFIRM_SIGNUP = "confirm_signup"  # the owner's email confirmed: the company goes live
    OWNER_PASSWORD = "owner_password"  # flask create-company: the owner chooses a password
    PASSWORD_RESET = "password_reset"  # forgot password: a staff member chooses a new one
    STAFF_INVITE = "staff_invite"  # an owner's invitation: the person sets name and password


class SetupLink(CreatedAtMixin, db.Model):
    __tablename__ = "setup_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[SetupPurpose] = mapped_column(enum_type(SetupPurpose, "setup_purpose"))
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship()
    staff_user: Mapped[StaffUser] = relationship()

    __table_args__ = (Index("ix_setup_links_staff_purpose", "staff_user_id", "purpose"),)
