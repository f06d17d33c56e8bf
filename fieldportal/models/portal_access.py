"""Server-side sign-in sessions (staff and portal) and portal login links."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type, utcnow
from .company import StaffUser
from .customer import Contact, Customer


class SignInMethod(enum.StrEnum):
    STAFF_PASSWORD = "staff_password"
    MAGIC_LINK = "magic_link"
    TOKEN_URL = "token_url"
    PASSWORD = "password"
    ACTIVATION = "activation"
    PIN = "pin"


class SignInStep(enum.StrEnum):
    """What a half-signed-in staff session still has to do before it is a session."""

    CODE = "code"  # enter a two-factor code (or a recovery code)
    ENROL = "enrol"  # set two-factor up: the company requires it


class LoginLinkPurpose(enum.StrEnum):
    LOGIN = "login"


class AuthSession(TenantMixin, CreatedAtMixin, db.Model):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is kept.

    Exactly one principal: a staff user, a contact, or (fleet token URL) a customer.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[SignInMethod] = mapped_column(enum_type(SignInMethod, "sign_in_method"))
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    remember: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # Set while the password was right but the second factor is still to come: such a row
    # is no session at all (the user loader never accepts it, services/auth/auth_sessions).
    awaiting: Mapped[SignInStep | None] = mapped_column(enum_type(SignInStep, "sign_in_step"))

    staff_user: Mapped[StaffUser | None] = relationship(lazy="raise_on_sql")
    contact: Mapped[Contact | None] = relationship(lazy="raise_on_sql")
    customer: Mapped[Customer | None] = relationship(lazy="raise_on_sql")

    # The raw token, known only in the request that created or presented it.
    cookie_token = None

    __table_args__ = (
        CheckConstraint(
            "(staff_user_id IS NULL) != (customer_id IS NULL) "
            "AND (contact_id IS NULL OR customer_id IS NOT NULL)",
            name="one_principal",
        ),
    )


class LoginLink(TenantMixin, CreatedAtMixin, db.Model):
    """A single-use sign-in link for one contact of one company (token stored hashed)."""

    __tablename__ = "login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[LoginLinkPurpose] = mapped_column(
        enum_type(LoginLinkPurpose, "login_link_purpose"), default=LoginLinkPurpose.LOGIN
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invalidated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_ip: Mapped[str | None] = mapped_column(String(45))

    contact: Mapped[Contact] = relationship(lazy="raise_on_sql")

    __table_args__ = (Index("ix_login_links_contact_created", "contact_id", "created_at"),)
