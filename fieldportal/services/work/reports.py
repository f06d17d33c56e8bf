"""Reports (inspection, test, service): draft → approved; only approved reach the portal."""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Company, Customer, Job, Report, ReportKind, ReportStatus, StaffUser, utcnow
from ...pagination import Page, StatusListQuery, paginate
from .. import audit
from ..billing.numbering import next_number
from ..errors import Conflict

REPORTS_PER_PAGE = 50
STATUS_FILTERS = ("all", "draft", "approved")
ALREADY_APPROVED = "This report is already approved."


def create_report(
    customer: Customer,
    *,
    kind: ReportKind,
    title: str,
    body: str = "",
    job: Job | None = None,
    by: StaffUser | None = None,
) -> Report:
    """A draft report for a customer, from a job when given (site, vehicle, asset copied)."""
    report = Report(
        company_id=customer.company_id,
        customer_id=customer.id,
        number=next_number(customer.company_id, "report"),
        kind=kind,
        title=title,
        body=body,
        status=ReportStatus.DRAFT,
        job_id=job.id if job else None,
        site_id=job.site_id if job else None,
        vehicle_id=job.vehicle_id if job else None,
        asset_id=job.asset_id if job else None,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(report.company_id, "report.created", actor=by, subject=report)
    return report


def is_editable(report: Report) -> bool:
    """Only a draft can change; an approved report is what the customer sees."""
    return report.status == ReportStatus.DRAFT


def update_report(report: Report, *, kind: ReportKind, title: str, body: str) -> Report:
    """Change a draft's kind, title and text; Conflict for an approved report."""
    if not is_editable(report):
        raise Conflict("An approved report cannot be edited.")
    report.kind, report.title, report.body = kind, title, body
    return report


def approve_report(report: Report, *, by: StaffUser) -> Report:
    """Approve a draft (once: Conflict when it is approved already, also when someone else
    approved it a moment ago); from now on the customer sees it in the portal."""
    if report.status != ReportStatus.DRAFT:
        raise Conflict(ALREADY_APPROVED)
    moved = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.status == ReportStatus.DRAFT)
        .values(status=ReportStatus.APPROVED.value, approved_at=utcnow(), approved_by_id=by.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(report, ["status", "approved_at", "approved_by_id", "approved_by"])
    if moved.rowcount != 1:
        raise Conflict(ALREADY_APPROVED)
    audit.record(report.company_id, "report.approved", actor=by, subject=report)
    return report


def detail_options() -> tuple:
    """Loader options for a report's page and PDF: its customer, job, site, vehicle or
    asset, and who approved it."""
    return (
        joinedload(Report.customer),
        joinedload(Report.job),
        joinedload(Report.site),
        joinedload(Report.vehicle),
        joinedload(Report.asset),
        joinedload(Report.approved_by),
    )


@dataclass(frozen=True, kw_only=True)
class ReportQuery(StatusListQuery):
    """The report list: draft, approved or all, newest number first."""

    SORTS = ("number",)
    DEFAULT_DIRECTION = "desc"
    STATUS_FILTERS = STATUS_FILTERS


def report_list(company: Company, query: ReportQuery) -> Page[Report]:
    """One page of the company's reports, filtered by status, with their customers."""
    statement = select(Report).where(Report.company_id == company.id)
    if query.status != "all":
        statement = statement.where(Report.status == ReportStatus(query.status))
    number = Report.number.desc() if query.descending else Report.number.asc()
    statement = statement.options(joinedload(Report.customer)).order_by(number)
    return paginate(statement, query, per_page=REPORTS_PER_PAGE)
