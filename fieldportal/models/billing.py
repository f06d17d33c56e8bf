"""Quotes, invoices, their line items, payments and reports.

Money is integer cents in the company's currency.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .asset import Asset
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type, utcnow
from .company import BillingTerms, StaffUser
from .customer import Contact, Customer, Site
from .fleet import Vehicle
from .job import Job


class QuoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    EXPIRED = "expired"


class QuoteDecisionKind(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    VOID = "void"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    CASH = "cash"
    CHECK = "check"
    BANK_TRANSFER = "bank_transfer"


class CheckoutStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    HELD = "held"  # amount, currency or company did not match: a person must look
    FAILED = "failed"
    EXPIRED = "expired"


class ReportKind(enum.StrEnum):
    INSPECTION = "inspection"
    TEST = "test"
    SERVICE = "service"


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class Quote(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(160))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[QuoteStatus] = mapped_column(
        enum_type(QuoteStatus, "quote_status"), default=QuoteStatus.DRAFT
    )
    # Bumped each time the quote is re-sent after changes; one decision per revision.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    valid_until: Mapped[date | None] = mapped_column(Date)
    tax_rate_ppm: Mapped[int] = mapped_column(Integer, default=0)  # 88,750 = 8.875 %
    subtotal_cents: Mapped[int] = mapped_column(Integer, default=0)
    tax_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    vehicle: Mapped[Vehicle | None] = relationship(lazy="raise_on_sql")
    asset: Mapped[Asset | None] = relationship(lazy="raise_on_sql")
    job: Mapped[Job | None] = relationship(lazy="raise_on_sql")
    lines: Mapped[list["LineItem"]] = relationship(
        primaryjoin="LineItem.quote_id == Quote.id",
        order_by="LineItem.position",
        lazy="raise_on_sql",
    )
    decisions: Mapped[list["QuoteDecision"]] = relationship(
        back_populates="quote", order_by="QuoteDecision.decided_at", lazy="raise_on_sql"
    )

    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        CheckConstraint(
            "subtotal_cents >= 0 AND tax_cents >= 0 AND total_cents >= 0",
            name="amounts_non_negative",
        ),
        CheckConstraint("tax_rate_ppm >= 0 AND tax_rate_ppm <= 1000000", name="tax_rate_range"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_quotes_customer_status", "customer_id", "status"),
        # The quotes list by a status, by number both ways (without one: the unique
        # constraint).
        Index("ix_quotes_company_status_number", "company_id", "status", "number"),
    )


SIGNED_NAME_MAX = 120  # characters of the name typed to accept a quote


class QuoteDecision(TenantMixin, db.Model):
    """A customer's answer to one revision of a quote, with its evidence."""

    __tablename__ = "quote_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    decision: Mapped[QuoteDecisionKind] = mapped_column(
        enum_type(QuoteDecisionKind, "quote_decision")
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    signed_name: Mapped[str | None] = mapped_column(String(SIGNED_NAME_MAX))
    message: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    quote_sha256: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quote: Mapped[Quote] = relationship(back_populates="decisions", lazy="raise_on_sql")
    contact: Mapped[Contact | None] = relationship(lazy="raise_on_sql")

    __table_args__ = (UniqueConstraint("quote_id", "revision"),)


class Invoice(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_type(InvoiceStatus, "invoice_status"), default=InvoiceStatus.DRAFT
    )
    billing_terms: Mapped[BillingTerms] = mapped_column(enum_type(BillingTerms, "billing_terms"))
    issued_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    po_number: Mapped[str | None] = mapped_column(String(60))
    notes: Mapped[str | None] = mapped_column(Text)
    tax_rate_ppm: Mapped[int] = mapped_column(Integer, default=0)  # 88,750 = 8.875 %
    subtotal_cents: Mapped[int] = mapped_column(Integer, default=0)
    tax_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    amount_paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    job: Mapped[Job | None] = relationship(lazy="raise_on_sql")
    lines: Mapped[list["LineItem"]] = relationship(
        primaryjoin="LineItem.invoice_id == Invoice.id",
        order_by="LineItem.position",
        lazy="raise_on_sql",
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="invoice", order_by="Payment.received_at", lazy="raise_on_sql"
    )

    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        CheckConstraint(
            "subtotal_cents >= 0 AND tax_cents >= 0 AND total_cents >= 0 AND amount_paid_cents >= 0",
            name="amounts_non_negative",
        ),
        # Overpaying is refused by the database too.
        CheckConstraint("amount_paid_cents <= total_cents", name="paid_within_total"),
        CheckConstraint("tax_rate_ppm >= 0 AND tax_rate_ppm <= 1000000", name="tax_rate_range"),
        CheckConstraint("(status = 'void') = (voided_at IS NOT NULL)", name="void_has_time"),
        Index("ix_invoices_customer_status", "customer_id", "status"),
        Index("ix_invoices_job", "job_id"),
        # The open A/R and the month's revenue (money.open_ar_cents, invoiced_cents) sum
        # the two amounts from the index alone on PostgreSQL: no heap read per invoice.
        Index(
            "ix_invoices_company_status_issued",
            "company_id",
            "status",
            "issued_on",
            postgresql_include=["total_cents", "amount_paid_cents"],
        ),
        # The invoices list by a status, by number both ways (without one: the unique
        # constraint).
        Index("ix_invoices_company_status_number", "company_id", "status", "number"),
    )

    @property
    def balance_cents(self) -> int:
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return 0
        return self.total_cents - self.amount_paid_cents

    @property
    def is_partially_paid(self) -> bool:
        return self.status == InvoiceStatus.SENT and 0 < self.amount_paid_cents < self.total_cents


class LineItem(TenantMixin, db.Model):
    """One line of a quote or of an invoice (exactly one of the two)."""

    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    amount_cents: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("(quote_id IS NULL) != (invoice_id IS NULL)", name="one_parent"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0 AND amount_cents >= 0", name="amounts_non_negative"),
    )


class CheckoutPayment(TenantMixin, CreatedAtMixin, db.Model):
    """One Stripe Checkout Session, paying one or several invoices."""

    __tablename__ = "checkout_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[CheckoutStatus] = mapped_column(
        enum_type(CheckoutStatus, "checkout_status"), default=CheckoutStatus.OPEN
    )
    hold_reason: Mapped[str | None] = mapped_column(Text)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    allocations: Mapped[list["CheckoutAllocation"]] = relationship(
        back_populates="checkout", lazy="raise_on_sql"
    )

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_amount"
        ),
    )


class CheckoutAllocation(db.Model):
    """How much of a checkout goes to each invoice."""

    __tablename__ = "checkout_allocations"

    checkout_id: Mapped[int] = mapped_column(
        ForeignKey("checkout_payments.id", ondelete="CASCADE"), primary_key=True
    )
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    amount_cents: Mapped[int] = mapped_column(Integer)

    checkout: Mapped[CheckoutPayment] = relationship(
        back_populates="allocations", lazy="raise_on_sql"
    )
    invoice: Mapped[Invoice] = relationship(lazy="raise_on_sql")

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)


class Payment(TenantMixin, db.Model):
    """Money received against one invoice: online (from a checkout) or recorded by staff."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    checkout_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkout_payments.id", ondelete="SET NULL")
    )
    method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod, "payment_method"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )

    invoice: Mapped[Invoice] = relationship(back_populates="payments", lazy="raise_on_sql")
    recorded_by: Mapped[StaffUser | None] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_amount"
        ),
        # A checkout pays each of its invoices once, however often its webhook arrives.
        UniqueConstraint("checkout_id", "invoice_id"),
    )


class StripeEvent(CreatedAtMixin, db.Model):
    """A Stripe webhook event already processed (idempotency)."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_type: Mapped[str] = mapped_column(String(80))


class Report(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id", ondelete="SET NULL"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, "report_kind"))
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )

    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")
    job: Mapped[Job | None] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")
    vehicle: Mapped[Vehicle | None] = relationship(lazy="raise_on_sql")
    asset: Mapped[Asset | None] = relationship(lazy="raise_on_sql")
    approved_by: Mapped[StaffUser | None] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        CheckConstraint(
            "(status = 'approved') = (approved_at IS NOT NULL)", name="approved_has_time"
        ),
    )


# Per-customer money figures (open A/R, invoiced this month) read from the index alone.
Index(
    "ix_invoices_customer_status_issued",
    Invoice.customer_id,
    Invoice.status,
    Invoice.issued_on,
    Invoice.total_cents,
    Invoice.amount_paid_cents,
)
