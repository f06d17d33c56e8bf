"""Service, inspection and test reports on completed jobs, approved and draft."""

from ..models import JobStatus, Report, ReportKind, ReportStatus
from .context import CompanyData

KINDS = [ReportKind.SERVICE, ReportKind.INSPECTION, ReportKind.TEST]
VEHICLE_FINDINGS = "All items inspected. Brake pads at 40 %. Tyres within limits. No leaks found."
ASSET_FINDINGS = "All items inspected and tested. Readings within limits. No defects found."


def add_reports(data: CompanyData) -> None:
    jobs = data.completed_jobs
    for index in range(max(8, data.scale.quotes // 4)):
        job = jobs[index * 3 % len(jobs)]
        kind = KINDS[index % 3]
        approved = index % 3 != 0  # every third is still a draft
        data.add(
            Report,
            number=data.number("report"),
            customer_id=job["customer_id"],
            job_id=job["id"],
            site_id=job["site_id"],
            vehicle_id=job["vehicle_id"],
            asset_id=job["asset_id"],
            kind=kind,
            title=f"{kind.value.title()} report — job {job['number']}",
            body=VEHICLE_FINDINGS if job["vehicle_id"] else ASSET_FINDINGS,
            status=ReportStatus.APPROVED if approved else ReportStatus.DRAFT,
            approved_at=job["completed_at"] if approved else None,
            approved_by_id=data.owner_id if approved else None,
            created_at=job["completed_at"] or data.now,
        )
    for customer in data.demo_customers():
        _add_demo_report(data, customer)


def _add_demo_report(data: CompanyData, customer: dict) -> None:
    """Each demo portal customer has an approved report on its first completed job."""
    jobs = data.jobs_by_customer.get(customer["id"], [])
    job = next((j for j in jobs if j["status"] == JobStatus.COMPLETED), None)
    if job is None:
        return
    data.add(
        Report,
        number=data.number("report"),
        customer_id=customer["id"],
        job_id=job["id"],
        site_id=job["site_id"],
        vehicle_id=job["vehicle_id"],
        asset_id=job["asset_id"],
        kind=ReportKind.SERVICE,
        title=f"Service report — job {job['number']}",
        body="Service completed to manufacturer schedule.",
        status=ReportStatus.APPROVED,
        approved_at=job["completed_at"],
        approved_by_id=data.owner_id,
        created_at=job["completed_at"],
    )
