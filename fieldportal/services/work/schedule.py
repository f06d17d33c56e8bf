"""The schedule board (/schedule): one day of jobs, one lane per technician, overlaps in a
lane flagged, and the queue of jobs still waiting for a time."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import Company, Job, JobStatus, StaffRole, StaffUser
from ...pagination import Count, bounded_count
from ..clock import FIRST_DAY, LAST_DAY, company_today, day_bounds_utc
from . import jobs as job_rules

QUEUE_SHOWN = 30


@dataclass(frozen=True)
class Slot:
    job: Job
    overlaps: bool  # its window overlaps another job's in the same lane


@dataclass(frozen=True)
class Lane:
    technician: StaffUser | None  # None: the day's jobs nobody is assigned to yet
    slots: list[Slot]


@dataclass(frozen=True)
class DayBoard:
    day: date
    previous: date
    next: date
    is_today: bool
    lanes: list[Lane]
    queue: list[Job]  # the oldest unscheduled jobs, QUEUE_SHOWN at most
    queue_count: Count


def board_day(company: Company, value: str | None) -> date:
    """The day ?day=YYYY-MM-DD names; today (the company's) when it names none."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return company_today(company)
    return min(max(day, FIRST_DAY), LAST_DAY)


def _end(job: Job):
    return job.window_end or job.window_start


def _slots(jobs: list[Job]) -> list[Slot]:
    """The lane's jobs by start, each flagged when its window overlaps another's."""
    clashing: set[int] = set()
    latest: Job | None = None  # the job ending last among those seen
    for job in jobs:
        if latest is not None and job.window_start < _end(latest):
            clashing |= {job.id, latest.id}
        if latest is None or _end(job) > _end(latest):
            latest = job
    return [Slot(job, job.id in clashing) for job in jobs]


def _lane_staff(company: Company, assigned_ids: set[int]) -> list[StaffUser]:
    """Every active technician, and anyone else with a job that day, by name."""
    query = select(StaffUser).where(StaffUser.company_id == company.id)
    staff = db.session.scalars(query.order_by(StaffUser.name, StaffUser.id))
    return [
        person
        for person in staff
        if person.id in assigned_ids or (person.active and person.role == StaffRole.TECHNICIAN)
    ]


def day_board(company: Company, day: date) -> DayBoard:
    """The board of ``day``: its jobs (cancelled aside) in technicians' lanes, a lane of
    the unassigned ones when there are any, and the unscheduled queue."""
    start, end = day_bounds_utc(company, day)
    jobs = list(
        db.session.scalars(
            select(Job)
            .where(
                Job.company_id == company.id,
                Job.window_start >= start,
                Job.window_start < end,
                Job.status != JobStatus.CANCELLED,
            )
            .options(joinedload(Job.customer))
            .order_by(Job.window_start, Job.number)
        )
    )
    by_technician: dict[int | None, list[Job]] = {}
    for job in jobs:
        by_technician.setdefault(job.technician_id, []).append(job)
    staff = _lane_staff(company, {key for key in by_technician if key is not None})
    lanes = [Lane(person, _slots(by_technician.get(person.id, []))) for person in staff]
    if None in by_technician:
        lanes.append(Lane(None, _slots(by_technician[None])))
    waiting = select(Job).where(Job.company_id == company.id, Job.status == JobStatus.UNSCHEDULED)
    queue = db.session.scalars(
        waiting.options(joinedload(Job.customer)).order_by(Job.number).limit(QUEUE_SHOWN)
    )
    return DayBoard(
        day=day,
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1),
        is_today=day == company_today(company),
        lanes=lanes,
        queue=list(queue),
        queue_count=bounded_count(waiting),
    )


def plan_job(job: Job, start, end, technician: StaffUser | None, *, by: StaffUser) -> Job:
    """Give the job this window and technician from the board, through the job rules
    (schedule_job, then assign_job), each only when it changes; raises what they raise."""
    if (start, end) != (job.window_start, job.window_end):
        job_rules.schedule_job(job, start, end, by=by)
    if (technician.id if technician else None) != job.technician_id:
        job_rules.assign_job(job, technician, by=by)
    return job


def is_plannable(job: Job) -> bool:
    """Whether the job's window and technician may still change (not completed or cancelled)."""
    return job.status not in (JobStatus.COMPLETED, JobStatus.CANCELLED)


def planned_jobs(board: DayBoard) -> list[Job]:
    """The jobs of the board whose window and technician may still change."""
    shown = [slot.job for lane in board.lanes for slot in lane.slots] + board.queue
    return [job for job in shown if is_plannable(job)]
