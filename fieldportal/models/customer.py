"""Customers, their sites, and the contacts who may use the portal."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type
from .company import BillingTerms, Company, JobType


class CustomerKind(enum.StrEnum):
    CONSUMER = "consumer"
    FLEET = "fleet"
    ACCOUNT = "account"


class PortalPermission(enum.StrEnum):
    """A portal feature a contact may be allowed to use; Admin means all of them."""

    JOBS = "jobs"
    HISTORY = "history"
    VEHICLES = "vehicles"
    ASSETS = "assets"
    QUOTES = "quotes"
    INVOICES = "invoices"
    REPORTS = "reports"
    REQUESTS = "requests"


class Customer(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CustomerKind] = mapped_column(enum_type(CustomerKind, "customer_kind"))
    # The customer's number in the system it was imported from: what a re-import matches on.
    external_ref: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    billing_address: Mapped[str | None] = mapped_column(String(300))
    billing_terms: Mapped[BillingTerms] = mapped_column(
        enum_type(BillingTerms, "billing_terms"), default=BillingTerms.ON_COMPLETION
    )
    # Fleet defaults for service intervals; a vehicle's own override wins.
    interval_miles: Mapped[int | None] = mapped_column(Integer)
    interval_days: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    portal_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # SHA-256 of the fleet portal token; the raw token is shown once and never stored.
    portal_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    portal_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Erased on request (services/customer_data.py): what is personal is gone for good; the
    # invoices and payments the law requires stay, under the name they were issued to.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship(lazy="raise_on_sql")
    sites: Mapped[list["Site"]] = relationship(
        back_populates="customer", order_by="Site.name", lazy="raise_on_sql"
    )
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", order_by="Contact.id", lazy="raise_on_sql"
    )
    requestable_job_types: Mapped[list[JobType]] = relationship(
        secondary="customer_job_types", order_by="JobType.name", lazy="raise_on_sql"
    )

    __table_args__ = (
        CheckConstraint(
            "interval_miles IS NULL OR interval_miles > 0", name="interval_miles_positive"
        ),
        CheckConstraint(
            "interval_days IS NULL OR interval_days > 0", name="interval_days_positive"
        ),
        UniqueConstraint("company_id", "external_ref"),
    )

    def __repr__(self) -> str:
        return f"<Customer {self.name}>"


# Customers by case-folded name: the customers list, the fleet index by name, the jobs
# list by customer (each customer's jobs then by number from the jobs' customer index).
Index("ix_customers_company_name", Customer.company_id, func.lower(Customer.name), Customer.id)
Index(
    "ix_customers_company_kind_name",
    Customer.company_id,
    Customer.kind,
    func.lower(Customer.name),
    Customer.id,
)


class Site(TenantMixin, db.Model):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    address_line1: Mapped[str] = mapped_column(String(160))
    address_line2: Mapped[str | None] = mapped_column(String(160))
    city: Mapped[str] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="US")

    customer: Mapped[Customer] = relationship(back_populates="sites", lazy="raise_on_sql")

    @property
    def one_line_address(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city, self.region, self.postal_code]
        return ", ".join(part for part in parts if part)


contact_sites = Table(
    "contact_sites",
    db.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Contact(UserMixin, TenantMixin, CreatedAtMixin, db.Model):
    """A person at a customer; may use the portal with the permissions given here."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    all_sites: Mapped[bool] = mapped_column(Boolean, default=True)
    portal_access: Mapped[bool] = mapped_column(Boolean, default=True)

    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_is_temporary: Mapped[bool] = mapped_column(Boolean, default=False)
    temporary_password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise_on_sql")
    company: Mapped[Company] = relationship(lazy="raise_on_sql")
    sites: Mapped[list[Site]] = relationship(
        secondary=contact_sites, order_by="Site.name", lazy="raise_on_sql"
    )

    __table_args__ = (
        # One portal identity per address and per phone within a company.
        UniqueConstraint("company_id", "email"),
        UniqueConstraint("company_id", "phone"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_non_negative"),
    )

    auth_session = None
    is_staff = False
    is_contact = True

    def get_id(self) -> str | None:
        return self.auth_session.cookie_token if self.auth_session else None

    def may(self, permission: PortalPermission) -> bool:
        return self.is_admin or permission.value in (self.permissions or [])

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else ""

    @property
    def portal_status(self) -> str:
        """never invited / invited / active, as staff see it on the contact's page."""
        if self.last_login_at:
            return "active"
        if self.invited_at:
            return "invited"
        return "never invited"

    def __repr__(self) -> str:
        return f"<Contact {self.name}>"
