"""The job types a company offers (manage_settings): what jobs are, and what customers may
be allowed to request (services/customers.set_requestable_job_types)."""

from sqlalchemy import select

from ..extensions import db
from ..models import Company, JobType, StaffUser
from . import audit
from .errors import Invalid


def job_types(company: Company) -> list[JobType]:
    """Every job type of the company, active or not, by name."""
    return list(
        db.session.scalars(
            select(JobType).where(JobType.company_id == company.id).order_by(JobType.name)
        )
    )


def add_job_type(company: Company, *, by: StaffUser, name: str, description: str | None) -> JobType:
    """A new active job type; Invalid on ``name`` when the company has one of that name
    (case-insensitively, in every alphabet: compared in Python, as SQLite's lower() folds
    only A to Z, and a company has a handful of job types)."""
    name = " ".join(name.split())
    names = db.session.scalars(select(JobType.name).where(JobType.company_id == company.id))
    if any(taken.casefold() == name.casefold() for taken in names):
        raise Invalid(errors={"name": [f"There is already a job type called “{name}”."]})
    job_type = JobType(company_id=company.id, name=name, description=description, active=True)
    db.session.add(job_type)
    db.session.flush()
    audit.record(
        company.id, "job_type.created", actor=by, subject=job_type, summary=f"Added “{name}”"
    )
    return job_type


def set_active(job_type: JobType, *, by: StaffUser, active: bool) -> None:
    """Offer a job type again, or stop offering it (jobs of that type keep it; customers
    can no longer request it)."""
    if job_type.active == active:
        return
    job_type.active = active
    db.session.flush()
    audit.record(
        job_type.company_id,
        "job_type.updated",
        actor=by,
        subject=job_type,
        summary=f"“{job_type.name}” {'offered again' if active else 'no longer offered'}",
    )
