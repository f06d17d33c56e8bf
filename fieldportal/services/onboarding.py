"""The onboarding checklist on the home page: what a new company has left to set up.

Each step ticks itself from the company's own data (``checklist``: the company row in hand
and one query, whatever the size of the data); the list shows to those who manage
settings until every step is done or an owner dismisses it."""

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import exists, func, or_, select

from ..extensions import db
from ..models import (
    Capability,
    Company,
    Customer,
    Invoice,
    InvoiceStatus,
    JobType,
    StaffUser,
    utcnow,
)
from . import audit
from .mail.mailer import DEFAULT_BRAND_COLOR


@dataclass(frozen=True)
class Step:
    key: str
    label: str  # what to do
    hint: str  # where, and what counts as done
    href: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def _counts(company: Company) -> tuple[bool, int, bool, bool]:
    """(has a job type, staff accounts, has a customer, has sent an invoice): one query."""
    mine = company.id
    sent = or_(
        Invoice.sent_at.is_not(None),
        Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
    )
    row = db.session.execute(
        select(
            exists().where(JobType.company_id == mine),
            select(func.count(StaffUser.id)).where(StaffUser.company_id == mine).scalar_subquery(),
            exists().where(Customer.company_id == mine),
            exists().where(Invoice.company_id == mine, sent),
        )
    ).one()
    return bool(row[0]), int(row[1]), bool(row[2]), bool(row[3])


def checklist(company: Company) -> Checklist:
    """Every step with whether the data shows it done, in the order a company sets up."""
    has_job_type, staff_count, has_customer, invoice_sent = _counts(company)
    settings = url_for("operator.settings")
    steps = [
        Step(
            "branding",
            "Add your logo and brand colour",
            "Customers see them on the portal, emails and PDFs.",
            f"{settings}#logo-heading",
            bool(company.logo_filename) or company.brand_color != DEFAULT_BRAND_COLOR,
        ),
        Step(
            "tax_rate",
            "Set your default tax rate",
            "New quotes and invoices start with it.",
            f"{settings}#defaults-heading",
            company.tax_rate_ppm > 0,
        ),
        Step(
            "job_types",
            "Add the job types you offer",
            "Jobs have one, and customers request them.",
            url_for("operator.job_types_page"),
            has_job_type,
        ),
        Step(
            "invite_staff",
            "Invite your staff",
            "Each person gets an email to choose their password.",
            url_for("operator.staff_page"),
            staff_count > 1,
        ),
        Step(
            "import_customers",
            "Import your customers",
            "From a CSV or Excel file, with their contacts and addresses.",
            url_for("operator.import_page"),
            has_customer,
        ),
        Step(
            "portal",
            "Choose portal settings and sign-in methods",
            "What customers see and how they sign in; save the settings to tick this.",
            f"{settings}#portal-heading",
            company.portal_reviewed_at is not None,
        ),
        Step(
            "first_invoice",
            "Send your first invoice",
            "Customers get it by email and can pay online.",
            url_for("operator.invoice_list"),
            invoice_sent,
        ),
    ]
    return Checklist(steps)


def shown_to(staff: StaffUser) -> Checklist | None:
    """The checklist the home page shows ``staff``: only to those who manage settings,
    and only while a step is left and no owner dismissed it."""
    company = staff.company
    if company.onboarding_dismissed_at is not None or not staff.can(Capability.MANAGE_SETTINGS):
        return None
    found = checklist(company)
    return None if found.complete else found


def dismiss(company: Company, *, by: StaffUser) -> None:
    """Hide the checklist for good (audited)."""
    if company.onboarding_dismissed_at is None:
        company.onboarding_dismissed_at = utcnow()
        audit.record(
            company.id,
            "onboarding.dismissed",
            actor=by,
            subject=company,
            summary="Dismissed the onboarding checklist",
        )
