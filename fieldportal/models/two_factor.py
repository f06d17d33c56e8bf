"""Two-factor sign-in (TOTP, RFC 6238): the columns an account needs for it, its
single-use recovery codes, and the company's policy for staff.

Mixins, so that every kind of account (staff, platform admins) keeps the same columns and
services/auth/two_factor.py works on any of them."""

import enum
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime
from .capabilities import Capability, StaffRole, role_can


class TwoFactorPolicy(enum.StrEnum):
    """Which of a company's staff must sign in with a second factor."""

    OFF = "off"
    OWNERS = "owners"
    ALL = "all"

    def applies_to(self, role: StaffRole) -> bool:
        if self is TwoFactorPolicy.ALL:
            return True
        # Owners are the role that manages settings and staff accounts: the accounts whose
        # takeover costs most. Asked through the capability table, not by role name.
        return self is TwoFactorPolicy.OWNERS and role_can(role, Capability.MANAGE_SETTINGS)


class TwoFactorMixin:
    """An account that may sign in with a TOTP code after its password."""

    # The base32 secret, sealed (services/sealing.py); set when enrolment starts.
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255))
    # When a first code confirmed the secret: from then on sign-in asks for a code.
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step (30 s) of the last code accepted: a code of that step or an earlier one
    # is refused, so an overheard code cannot be used again within its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None


class RecoveryCodeMixin(CreatedAtMixin):
    """One single-use recovery code of an account; only its SHA-256 is kept. A concrete
    model names the column that points at its account in ``holder_key``."""

    holder_key: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def of_holder(cls, holder):
        """The SQL condition selecting ``holder``'s codes."""
        return getattr(cls, cls.holder_key) == holder.id

    @classmethod
    def values_for(cls, holder) -> dict:
        """The columns a new code of ``holder`` gets besides its hash."""
        return {cls.holder_key: holder.id}


class StaffRecoveryCode(TenantMixin, RecoveryCodeMixin, db.Model):
    __tablename__ = "staff_recovery_codes"

    holder_key = "staff_user_id"

    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (UniqueConstraint("staff_user_id", "code_hash"),)

    @classmethod
    def values_for(cls, holder) -> dict:
        return {"staff_user_id": holder.id, "company_id": holder.company_id}
