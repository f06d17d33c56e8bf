"""Reports (inspection, test, service): draft → approved; only approved reach the portal."""

from sqlalchemy import update

from ...extensions import db
from ...models import Customer, Job, Report, ReportKind, ReportStatus, StaffUser, utcnow
from .. import audit
from ..billing.numbering import next_number


class ReportError(Exception):
    """A rule refused the change; the message is shown as is."""


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


def update_report(report: Report, *, kind: ReportKind, title: str, body: str) -> Report:
    if report.status != ReportStatus.DRAFT:
        raise ReportError("An approved report cannot be edited.")
    report.kind, report.title, report.body = kind, title, body
    return report


def approve_report(report: Report, *, by: StaffUser) -> Report:
    """Approve a draft (once); from now on the customer sees it in the portal."""
    moved = db.session.execute(
        update(Report)
        .where(Report.id == report.id, Report.status == ReportStatus.DRAFT)
        .values(status=ReportStatus.APPROVED.value, approved_at=utcnow(), approved_by_id=by.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(report)
    if moved.rowcount != 1:
        raise ReportError("This report is already approved.")
    audit.record(report.company_id, "report.approved", actor=by, subject=report)
    return report
