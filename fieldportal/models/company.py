"""Companies (tenants), their staff, and the job types they offer."""

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type, utcnow
from .capabilities import Capability, StaffRole, role_can
from .two_factor import TwoFactorMixin, TwoFactorPolicy


class LoginMethod(enum.StrEnum):
    MAGIC_LINK = "magic_link"
    TOKEN_URL = "token_url"
    PASSWORD = "password"
    ACTIVATION = "activation"
    PIN = "pin"


class Plan(enum.StrEnum):
    """What a company pays for (nothing is charged here: the platform admins set it).
    The customer portal is a Pro feature."""

    FREE = "free"
    PRO = "pro"

    @property
    def has_portal(self) -> bool:
        return self is Plan.PRO


class BillingTerms(enum.StrEnum):
    ON_COMPLETION = "on_completion"
    NET_15 = "net_15"
    NET_30 = "net_30"


# Asset fields a company may show in the portal; asset_id is always shown.
ASSET_PORTAL_FIELDS = (
    "asset_type",
    "model_number",
    "serial_number",
    "customer_ref",
    "description",
    "site",
)


class Company(CreatedAtMixin, db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    logo_filename: Mapped[str | None] = mapped_column(String(80))
    brand_color: Mapped[str] = mapped_column(String(7), default="#1d4ed8")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(16), default="en_US")
    paper_size: Mapped[str] = mapped_column(String(6), default="Letter")
    # ISO 3166-1 alpha-2: proposes the time zone and currency at sign-up, and is the home
    # country of phone numbers.
    country: Mapped[str] = mapped_column(String(2), default="US")
    plan: Mapped[Plan] = mapped_column(enum_type(Plan, "plan"), default=Plan.PRO)
    # Set by a platform admin: staff see "suspended", the portal "unavailable"; nothing
    # is deleted, and resuming brings everything back.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner confirmed their email (sign-up) or the company was created by a
    # platform command; NULL while a self-serve sign-up waits for its confirmation.
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # The owner dismissed the onboarding checklist of the home page (services/onboarding).
    onboarding_dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the settings form, with its portal section and sign-in methods, was last saved:
    # the checklist's "portal settings" step is done once someone has chosen them.
    portal_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Parts per million of the taxable amount: 82,500 = 8.25 %, 88,750 = 8.875 %.
    tax_rate_ppm: Mapped[int] = mapped_column(Integer, default=0)

    portal_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    requests_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    login_methods: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: [method.value for method in LoginMethod]
    )
    show_quotes: Mapped[bool] = mapped_column(Boolean, default=True)
    show_invoices: Mapped[bool] = mapped_column(Boolean, default=True)
    show_reports: Mapped[bool] = mapped_column(Boolean, default=True)
    asset_id_label: Mapped[str] = mapped_column(String(40), default="Asset ID")
    asset_portal_fields: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(ASSET_PORTAL_FIELDS)
    )
    default_job_status: Mapped[str] = mapped_column(String(24), default="unscheduled")
    # My day (/my-day) lists a technician's own jobs; with this on, every job of the day.
    technicians_see_all_jobs: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    due_soon_percent: Mapped[int] = mapped_column(Integer, default=10)
    default_interval_miles: Mapped[int | None] = mapped_column(Integer)
    default_interval_days: Mapped[int | None] = mapped_column(Integer)
    default_billing_terms: Mapped[BillingTerms] = mapped_column(
        enum_type(BillingTerms, "billing_terms"), default=BillingTerms.ON_COMPLETION
    )
    # Which staff must sign in with a second factor (models/two_factor.py).
    two_factor_required: Mapped[TwoFactorPolicy] = mapped_column(
        enum_type(TwoFactorPolicy, "two_factor_policy"), default=TwoFactorPolicy.OFF
    )

    # Per-company counters for human numbers; taken with an atomic UPDATE.
    next_job_number: Mapped[int] = mapped_column(Integer, default=1)
    next_quote_number: Mapped[int] = mapped_column(Integer, default=1)
    next_invoice_number: Mapped[int] = mapped_column(Integer, default=1)
    next_report_number: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        CheckConstraint("tax_rate_ppm >= 0 AND tax_rate_ppm <= 1000000", name="tax_rate_range"),
        CheckConstraint("due_soon_percent >= 0 AND due_soon_percent <= 100", name="due_soon_range"),
        CheckConstraint("length(country) = 2 AND upper(country) = country", name="country_code"),
    )

    @property
    def is_live(self) -> bool:
        return self.live_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def portal_open(self) -> bool:
        """Whether the customer portal answers at all: the company is live and not
        suspended, its plan includes the portal, and its staff switched it on."""
        return (
            self.portal_enabled and self.plan.has_portal and self.is_live and not self.is_suspended
        )

    def allows_login(self, method: LoginMethod) -> bool:
        return method.value in (self.login_methods or [])

    @property
    def logo_version(self) -> str | None:
        """Changes with every new logo (each is stored under a new random name), so the
        logo's URL can carry it and be cached for good."""
        if not self.logo_filename:
            return None
        return hashlib.sha256(self.logo_filename.encode()).hexdigest()[:12]

    @classmethod
    def owning(cls, record: TenantMixin) -> "Company":
        """The company a row belongs to, by its company_id. Relationships are raise_on_sql,
        so this is how services reach it: no query when the company is already in the
        session (the signed-in user's), one when it is not (a worker, a CLI, a test)."""
        return db.session.get(cls, record.company_id)

    def __repr__(self) -> str:
        return f"<Company {self.slug}>"


class StaffUser(UserMixin, TwoFactorMixin, TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole, "staff_role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the invitation this person has not accepted yet was sent (services/staff_invites):
    # until then the account is inactive and nobody knows its password; NULL once accepted
    # and for accounts made directly.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship(lazy="joined")

    # Set by the user loader: the server-side session this request runs under.
    auth_session = None
    is_staff = True
    is_contact = False

    def get_id(self) -> str | None:
        return self.auth_session.cookie_token if self.auth_session else None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    @property
    def invitation_pending(self) -> bool:
        return self.invited_at is not None

    def can(self, capability: Capability | str) -> bool:
        """Whether this staff member's role has the capability (models/capabilities.py)."""
        return role_can(self.role, capability)

    @property
    def must_use_two_factor(self) -> bool:
        """Whether the company's policy asks this staff member for a second factor."""
        return self.company.two_factor_required.applies_to(self.role)

    def __repr__(self) -> str:
        return f"<StaffUser {self.email}>"


class JobType(TenantMixin, db.Model):
    __tablename__ = "job_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("company_id", "name"),)


class CustomerJobType(db.Model):
    """A job type a customer may request through the portal."""

    __tablename__ = "customer_job_types"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    job_type_id: Mapped[int] = mapped_column(
        ForeignKey("job_types.id", ondelete="CASCADE"), primary_key=True
    )
