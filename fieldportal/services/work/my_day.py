"""A technician's day on the phone (/my-day): today's jobs in order, and the steps that take
one job through On my way → Arrived → In progress → Complete.

Every step is safe to repeat: a phone on a poor network resends a POST it never saw
answered, and a thumb taps twice. A step the job has already taken (or gone past) changes
nothing and is not an error; only a step the job cannot take (a cancelled job) is refused.
The moves themselves are the job rules' (services/work/jobs.py): change_status and
complete_job, so the odometer and transition rules are the same from the office and the van.
"""

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import Company, Job, JobStatus, JobStatusChange, StaffUser
from ..clock import company_today, day_bounds_utc
from ..errors import Invalid
from ..tenancy import company_record
from . import jobs

S = JobStatus
# The phone's steps in order; the last one is the completion form.
STEPS = (S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.COMPLETED)
STEP_BUTTONS = {
    S.EN_ROUTE: "On my way",
    S.ARRIVED: "Arrived",
    S.IN_PROGRESS: "Start work",
    S.COMPLETED: "Complete",
}
# How a step taken reads on the card: "On the way 9:12 AM by Theo Technician".
STAMP_LABELS = {
    S.EN_ROUTE: "On the way",
    S.ARRIVED: "Arrived",
    S.IN_PROGRESS: "Started",
    S.COMPLETED: "Completed",
}
# Jobs My day lists: planned for today or under way, and today's finished ones.
LISTED = (S.SCHEDULED, S.ASSIGNED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.COMPLETED)


def _options() -> tuple:
    return (
        joinedload(Job.customer),
        joinedload(Job.site),
        joinedload(Job.vehicle),
        joinedload(Job.asset),
        joinedload(Job.technician),
        selectinload(Job.status_changes).joinedload(JobStatusChange.changed_by),
    )


def todays_jobs(company: Company, staff: StaffUser) -> list[Job]:
    """The jobs whose window starts today (the company's day), earliest first: the staff
    member's own, or every technician's when the company lets technicians see all."""
    start, end = day_bounds_utc(company, company_today(company))
    conditions = [
        Job.company_id == company.id,
        Job.window_start >= start,
        Job.window_start < end,
        Job.status.in_(LISTED),
    ]
    if not company.technicians_see_all_jobs:
        conditions.append(Job.technician_id == staff.id)
    query = (
        select(Job).where(*conditions).options(*_options()).order_by(Job.window_start, Job.number)
    )
    return list(db.session.scalars(query).unique())


def own_job(company: Company, staff: StaffUser, job_id: int) -> Job | None:
    """The job with this id if it is the company's and assigned to ``staff``; None for
    anyone else's job (another technician's or company's), which the views answer 404."""
    job = company_record(company.id, Job, job_id, *_options())
    if job is None or job.technician_id != staff.id:
        return None
    return job


def next_step(job: Job) -> JobStatus | None:
    """The step the job's button offers now; None once it is completed or cancelled."""
    if job.status in (S.COMPLETED, S.CANCELLED):
        return None
    if job.status not in STEPS:
        return STEPS[0]
    return STEPS[STEPS.index(job.status) + 1]


def _already_taken(job: Job, step: JobStatus) -> bool:
    return job.status in STEPS and STEPS.index(job.status) >= STEPS.index(step)


def take_step(job: Job, step: JobStatus, *, by: StaffUser) -> bool:
    """Move the job to ``step`` (On my way, Arrived or In progress), stamped and audited
    by change_status. Returns False, changing nothing, when the job has already taken
    that step or a later one. Raises Invalid for the completion (it has its own form)
    and for a move the job rules refuse (a cancelled job)."""
    if step not in STEPS[:-1]:
        raise Invalid("Choose On my way, Arrived or Start work.")
    if _already_taken(job, step):
        return False
    jobs.change_status(job, step, by=by)
    return True


def finish(
    job: Job, *, odometer: int | None, services_performed: str, by: StaffUser, company: Company
) -> bool:
    """Complete the job through complete_job (the odometer may not go backwards…).
    Returns False, changing nothing, when it is already completed: a repeated POST."""
    if job.status == S.COMPLETED:
        return False
    jobs.complete_job(
        job, odometer=odometer, services_performed=services_performed, by=by, company=company
    )
    return True


@dataclass(frozen=True)
class DayCard:
    """One job as the phone shows it."""

    job: Job
    mine: bool  # the staff member's own job: only then are its buttons shown
    step: JobStatus | None
    address: str | None
    maps_url: str | None
    stamps: list[JobStatusChange]  # each phone step taken, in step order: when, by whom


def maps_url(address: str) -> str:
    """A link that opens the address in the phone's maps app (or Google Maps in a browser)."""
    return f"https://www.google.com/maps/search/?api=1&query={quote(address)}"


def card(job: Job, staff: StaffUser) -> DayCard:
    address = job.site.one_line_address if job.site else job.customer.billing_address
    latest = {change.to_status: change for change in job.status_changes}  # oldest first
    return DayCard(
        job=job,
        mine=job.technician_id == staff.id,
        step=next_step(job),
        address=address,
        maps_url=maps_url(address) if address else None,
        stamps=[latest[step] for step in STEPS if step in latest],
    )


def day_cards(company: Company, staff: StaffUser) -> list[DayCard]:
    """Today's jobs (todays_jobs) as the phone shows them."""
    return [card(job, staff) for job in todays_jobs(company, staff)]
