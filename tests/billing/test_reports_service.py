import pytest

from fieldportal.models import JobStatus, ReportKind, ReportStatus
from fieldportal.services.errors import Conflict
from fieldportal.services.work import reports


def test_report_from_job_draft_to_approved_once(db, customer, create, owner):
    job = create.job(customer, status=JobStatus.COMPLETED)
    report = reports.create_report(
        customer, kind=ReportKind.INSPECTION, title="Annual inspection", job=job, by=owner
    )
    assert report.status == ReportStatus.DRAFT and report.job_id == job.id
    reports.approve_report(report, by=owner)
    assert report.status == ReportStatus.APPROVED
    assert report.approved_by_id == owner.id and report.approved_at is not None
    with pytest.raises(Conflict):
        reports.approve_report(report, by=owner)
    with pytest.raises(Conflict):
        reports.update_report(report, kind=ReportKind.TEST, title="x", body="y")
