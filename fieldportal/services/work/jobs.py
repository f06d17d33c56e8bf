"""Job (work order) rules: creation, scheduling, assignment, status moves, completion.

Every status change is stamped in JobStatusChange and audited. Completing a job with a
vehicle records the odometer and moves the vehicle's last service forward, which is what
the interval rule (services/intervals.py) reads.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ...extensions import db
from ...models import (
    Asset,
    Company,
    Customer,
    Job,
    JobStatus,
    JobStatusChange,
    JobType,
    OdometerReading,
    Site,
    StaffUser,
    Vehicle,
    utcnow,
)
from ...pagination import COUNT_LIMIT, Count, Key, ListQuery, Page, bounded_count, paginate_after
from ...query_args import database_id
from .. import audit, notifications
from ..billing.numbering import next_number
from ..clock import company_today, day_bounds_utc
from ..errors import Invalid
from ..tenancy import company_record

S = JobStatus
# Where a job may go from each status (completion has its own service: complete_job).
TRANSITIONS: dict[JobStatus, tuple[JobStatus, ...]] = {
    S.UNSCHEDULED: (S.SCHEDULED, S.CANCELLED),
    S.SCHEDULED: (S.UNSCHEDULED, S.ASSIGNED, S.EN_ROUTE, S.IN_PROGRESS, S.CANCELLED),
    S.ASSIGNED: (S.SCHEDULED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.CANCELLED),
    S.EN_ROUTE: (S.ASSIGNED, S.ARRIVED, S.IN_PROGRESS, S.CANCELLED),
    S.ARRIVED: (S.IN_PROGRESS, S.CANCELLED),
    S.IN_PROGRESS: (S.ARRIVED, S.CANCELLED),
    S.COMPLETED: (),
    S.CANCELLED: (S.UNSCHEDULED, S.SCHEDULED, S.ASSIGNED),  # reopened as its facts say
}
PLANNING = (S.UNSCHEDULED, S.SCHEDULED, S.ASSIGNED)
COMPLETABLE = (S.SCHEDULED, S.ASSIGNED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS)
STATUS_LABELS = {
    S.UNSCHEDULED: "Unscheduled",
    S.SCHEDULED: "Scheduled",
    S.ASSIGNED: "Assigned",
    S.EN_ROUTE: "En route",
    S.ARRIVED: "Arrived",
    S.IN_PROGRESS: "In progress",
    S.COMPLETED: "Completed",
    S.CANCELLED: "Cancelled",
}


def planned_status(window_start: datetime | None, technician_id: int | None) -> JobStatus:
    """What a job not yet under way is, from its facts: technician assigned once it has a
    technician, scheduled once it has a window, else unscheduled."""
    if technician_id is not None:
        return S.ASSIGNED
    return S.SCHEDULED if window_start is not None else S.UNSCHEDULED


def _fits_facts(status: JobStatus, job: Job) -> bool:
    """Whether ``job`` may have ``status`` with its window and technician: a planning
    status is the planned one; on the way and arrived need a window and a technician,
    in progress a window."""
    if status in PLANNING:
        return status == planned_status(job.window_start, job.technician_id)
    if status in (S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS) and job.window_start is None:
        return False
    return status not in (S.EN_ROUTE, S.ARRIVED) or job.technician_id is not None


def allowed_moves(job: Job) -> tuple[JobStatus, ...]:
    """The statuses this job may move to now (its window and technician permitting)."""
    return tuple(target for target in TRANSITIONS[job.status] if _fits_facts(target, job))


def _follow_facts(job: Job, by: StaffUser) -> None:
    """After a job's window or technician changed: a status the facts no longer allow
    (scheduled with a technician, on the way with none…) becomes the planned one."""
    if job.status in (S.COMPLETED, S.CANCELLED) or _fits_facts(job.status, job):
        return
    _stamp(job, planned_status(job.window_start, job.technician_id), by)


def _stamp(job: Job, to_status: JobStatus, by: StaffUser | None) -> None:
    from_status = job.status if job.id else None
    job.status = to_status
    job.status_changed_at = utcnow()
    db.session.add(
        JobStatusChange(
            company_id=job.company_id,
            job=job,
            from_status=from_status,
            to_status=to_status,
            changed_at=job.status_changed_at,
            changed_by=by,
        )
    )


def check_window(start: datetime | None, end: datetime | None) -> None:
    """A window has both ends or neither, and ends after it starts."""
    if (start is None) != (end is None):
        raise Invalid(
            errors={"window_end": ["Give both the start and the end of the window, or neither."]}
        )
    if start is not None and end <= start:
        raise Invalid(errors={"window_end": ["The window must end after it starts."]})


def create_job(company: Company, *, by: StaffUser, **fields) -> Job:
    """A new job numbered for the company, with its planned status (planned_status:
    assigned with a technician, else scheduled with a window, else unscheduled). Raises
    Invalid for an impossible window."""
    check_window(fields.get("window_start"), fields.get("window_end"))
    job = Job(company_id=company.id, number=next_number(company.id, "job"), **fields)
    job.status = None
    _stamp(job, planned_status(job.window_start, job.technician_id), by)
    db.session.add(job)
    db.session.flush()
    audit.record(
        company.id,
        "job.created",
        actor=by,
        subject=job,
        summary=f"Created job #{job.number} {job.title}",
    )
    return job


def update_job(job: Job, *, by: StaffUser, **fields) -> Job:
    """Edit a job's details; its status follows a changed window or technician
    (_follow_facts). The window rule still applies."""
    check_window(
        fields.get("window_start", job.window_start), fields.get("window_end", job.window_end)
    )
    changed = sorted(name for name, value in fields.items() if getattr(job, name) != value)
    for name, value in fields.items():
        setattr(job, name, value)
    _follow_facts(job, by)
    db.session.flush()
    if changed:
        audit.record(
            job.company_id,
            "job.updated",
            actor=by,
            subject=job,
            summary=f"Edited job #{job.number}: {', '.join(changed)}",
            fields=changed,
        )
    return job


def schedule_job(job: Job, start: datetime, end: datetime, *, by: StaffUser) -> Job:
    """Give the job a time window; an unscheduled job becomes scheduled (or technician
    assigned, when it has one)."""
    if job.status in (S.COMPLETED, S.CANCELLED):
        raise Invalid(f"A {STATUS_LABELS[job.status].lower()} job cannot be rescheduled.")
    check_window(start, end)
    job.window_start, job.window_end = start, end
    _follow_facts(job, by)
    audit.record(
        job.company_id,
        "job.scheduled",
        actor=by,
        subject=job,
        summary=f"Scheduled job #{job.number}",
    )
    db.session.flush()
    return job


def is_completable(job: Job) -> bool:
    """Whether the job may be completed now (the Complete form shows only then)."""
    return job.status in COMPLETABLE


def is_our_technician(staff: StaffUser | None, company_id: int) -> bool:
    """Whether the company's jobs may be given to ``staff``: one of its staff, still active."""
    return staff is not None and staff.company_id == company_id and staff.active


def assign_job(job: Job, technician: StaffUser | None, *, by: StaffUser) -> Job:
    """Assign (or unassign, with None) a technician: a job not yet under way becomes
    technician assigned (or, unassigned, scheduled or unscheduled); one on the way or
    arrived that changes hands is assigned again, as the new technician has not set off."""
    if job.status in (S.COMPLETED, S.CANCELLED):
        raise Invalid(f"A {STATUS_LABELS[job.status].lower()} job cannot be reassigned.")
    if technician is not None and not is_our_technician(technician, job.company_id):
        raise Invalid("Choose one of your technicians.")
    new_hands = job.technician_id != (technician.id if technician else None)
    job.technician_id = technician.id if technician else None
    job.technician = technician
    if new_hands and technician and job.status in (S.EN_ROUTE, S.ARRIVED):
        _stamp(job, S.ASSIGNED, by)
    _follow_facts(job, by)
    audit.record(
        job.company_id,
        "job.assigned",
        actor=by,
        subject=job,
        summary=f"Job #{job.number} assigned to {technician.name if technician else 'nobody'}",
    )
    db.session.flush()
    return job


def change_status(job: Job, to_status: JobStatus, *, by: StaffUser) -> Job:
    """Move the job to another status if the rules allow it; stamped and audited."""
    if to_status == S.COMPLETED:
        raise Invalid("Complete a job with its odometer and the services performed.")
    if to_status not in allowed_moves(job):
        raise Invalid(
            f"A job that is {STATUS_LABELS[job.status].lower()} cannot become "
            f"{STATUS_LABELS[to_status].lower()}."
        )
    previous = job.status
    _stamp(job, to_status, by)
    audit.record(
        job.company_id,
        "job.status_changed",
        actor=by,
        subject=job,
        summary=f"Job #{job.number}: {STATUS_LABELS[previous]} → {STATUS_LABELS[to_status]}",
    )
    db.session.flush()
    if to_status == S.EN_ROUTE:
        notifications.technician_on_the_way(job)
    return job


def complete_job(
    job: Job, *, odometer: int | None, services_performed: str, by: StaffUser, company: Company
) -> Job:
    """Complete the job. With a vehicle, the odometer is required, may not go backwards,
    and becomes the vehicle's odometer and last service (date in the company's zone)."""
    if not is_completable(job):
        raise Invalid(f"A {STATUS_LABELS[job.status].lower()} job cannot be completed.")
    if not (services_performed or "").strip():
        raise Invalid("Say which services were performed.")
    vehicle: Vehicle | None = job.vehicle
    if odometer is not None and odometer < 0:
        raise Invalid("The odometer cannot be negative.")
    if vehicle is not None:
        if odometer is None:
            raise Invalid("Enter the odometer reading at service.")
        if odometer < vehicle.odometer:
            raise Invalid(
                f"The odometer cannot go backwards: the last reading was {vehicle.odometer:,}."
            )
        vehicle.odometer = odometer
        vehicle.last_service_on = company_today(company)
        vehicle.last_service_odometer = odometer
        db.session.add(
            OdometerReading(
                company_id=job.company_id,
                vehicle_id=vehicle.id,
                job_id=job.id,
                reading=odometer,
                source="job",
            )
        )
    job.odometer_at_service = odometer
    job.services_performed = services_performed.strip()
    job.completed_at = utcnow()
    previous = job.status
    _stamp(job, S.COMPLETED, by)
    audit.record(
        job.company_id,
        "job.completed",
        actor=by,
        subject=job,
        summary=f"Completed job #{job.number} ({STATUS_LABELS[previous]} → Completed)",
        odometer=odometer,
    )
    db.session.flush()
    notifications.job_completed(job)
    return job


# ---------------------------------------------------------------- what the pages show


def detail_options() -> tuple:
    """Loader options for a job's page: everything its panel shows."""
    return (
        joinedload(Job.customer),
        joinedload(Job.vehicle),
        joinedload(Job.site),
        joinedload(Job.asset),
        joinedload(Job.job_type),
        joinedload(Job.technician),
        selectinload(Job.status_changes).joinedload(JobStatusChange.changed_by),
    )


def assignable_staff(company_id: int) -> list[StaffUser]:
    """The company's active staff by name: whom a job may be assigned to."""
    return list(
        db.session.scalars(
            select(StaffUser)
            .where(StaffUser.company_id == company_id, StaffUser.active.is_(True))
            .order_by(StaffUser.name)
        )
    )


@dataclass(frozen=True)
class JobFormOptions:
    """What a job form for one customer may offer."""

    sites: list[Site]
    vehicles: list[Vehicle]
    assets: list[Asset]
    job_types: list[JobType]
    staff: list[StaffUser]


def form_options(customer: Customer) -> JobFormOptions:
    """The customer's sites, vehicles and assets, the company's active job types and staff."""

    def of_customer(model, order):
        return list(
            db.session.scalars(
                select(model)
                .where(model.customer_id == customer.id, model.company_id == customer.company_id)
                .order_by(order)
            )
        )

    job_types = db.session.scalars(
        select(JobType)
        .where(JobType.company_id == customer.company_id, JobType.active.is_(True))
        .order_by(JobType.name)
    )
    return JobFormOptions(
        sites=of_customer(Site, Site.name),
        vehicles=of_customer(Vehicle, Vehicle.make),
        assets=of_customer(Asset, Asset.asset_code),
        job_types=list(job_types),
        staff=assignable_staff(customer.company_id),
    )


JOBS_PER_PAGE = 25
JOB_SORTS = ("when", "number", "status", "customer")


@dataclass(frozen=True, kw_only=True)
class JobQuery(ListQuery):
    """Filters and sort of the jobs list, parsed from the query string; pages by cursor."""

    SORTS = JOB_SORTS
    DEFAULT_DIRECTION = "desc"
    DESCENDING_FIRST = frozenset({"when"})

    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    technician_id: int | None = None
    customer_id: int | None = None
    site_id: int | None = None

    @classmethod
    def from_args(cls, args) -> "JobQuery":
        def as_date(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        status = args.get("status", "")
        return cls(
            **cls.list_args(args),
            status=status if status in JobStatus._value2member_map_ else "",
            date_from=as_date("from"),
            date_to=as_date("to"),
            technician_id=database_id(args, "technician"),
            customer_id=database_id(args, "customer"),
            site_id=database_id(args, "site"),
        )

    def filter_params(self) -> dict:
        return {
            "status": self.status,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "technician": self.technician_id or "",
            "customer": self.customer_id or "",
            "site": self.site_id or "",
        }


def _job_conditions(company: Company, query: JobQuery) -> list:
    conditions = [Job.company_id == company.id]
    if query.status:
        conditions.append(Job.status == JobStatus(query.status))
    if query.date_from:
        conditions.append(Job.window_start >= day_bounds_utc(company, query.date_from)[0])
    if query.date_to:
        conditions.append(Job.window_start < day_bounds_utc(company, query.date_to)[1])
    if query.technician_id:
        conditions.append(Job.technician_id == query.technician_id)
    if query.customer_id:
        conditions.append(Job.customer_id == query.customer_id)
    if query.site_id:
        conditions.append(Job.site_id == query.site_id)
    return conditions


def _job_keys(query: JobQuery) -> list[Key]:
    """The keyset order of the list: the sort column, then what settles its ties. Each
    order is one index read in order (migration 9c41d2e7a5b8), so a page reads its rows and
    no more: by time, newest number first among jobs at the same time (and those without a
    time, last); by status, the number the same way; by customer (case-folded name, then
    the customer, as the customers index has them), the number the same way."""
    direction = query.descending
    if query.sort == "number":
        return [Key(Job.number, descending=direction)]
    if query.sort == "when":
        return [Key(Job.window_start, descending=direction), Key(Job.number, descending=True)]
    if query.sort == "status":
        return [Key(Job.status, descending=direction), Key(Job.number, descending=direction)]
    return [
        Key(func.lower(Customer.name), descending=direction, nullable=False),
        Key(Customer.id, descending=direction),
        Key(Job.number, descending=direction),
    ]


def _jobs_shown(company: Company, query: JobQuery) -> Select:
    """The filtered jobs with what a row shows, not yet ordered."""
    return (
        select(Job)
        # The company on both sides, so the by-customer order can walk the customers'
        # (company, name) index and each one's jobs in turn.
        .join(Customer, (Customer.id == Job.customer_id) & (Customer.company_id == company.id))
        .where(*_job_conditions(company, query))
        .options(
            contains_eager(Job.customer),
            joinedload(Job.technician),
            joinedload(Job.vehicle),
            joinedload(Job.site),
        )
    )


def job_list(company: Company, query: JobQuery, per_page: int = JOBS_PER_PAGE) -> Page[Job]:
    """The jobs after the query's cursor, filtered and sorted (keyset: a page deep into a
    long history costs what the first does)."""
    statement = _jobs_shown(company, query)
    return paginate_after(statement, query, keys=_job_keys(query), per_page=per_page)


def job_rows_select(company: Company, query: JobQuery) -> Select:
    """Every job of the list, filtered and in its order, as plain rows of what the CSV
    export writes (no ORM entities: a row costs a tenth of a job with its four relations)."""
    return (
        select(
            Job.number,
            Job.title,
            Job.status,
            Customer.name.label("customer"),
            Site.name.label("site"),
            Vehicle.year,
            Vehicle.make,
            Vehicle.model,
            Vehicle.plate,
            StaffUser.name.label("technician"),
            Job.window_start,
            Job.window_end,
            Job.po_number,
            Job.completed_at,
            Job.created_at,
        )
        .join(Customer, (Customer.id == Job.customer_id) & (Customer.company_id == company.id))
        .outerjoin(Site, Site.id == Job.site_id)
        .outerjoin(Vehicle, Vehicle.id == Job.vehicle_id)
        .outerjoin(StaffUser, StaffUser.id == Job.technician_id)
        .where(*_job_conditions(company, query))
        .order_by(*(key.ordering for key in _job_keys(query)))
    )


def job_count(company: Company, query: JobQuery) -> Count:
    """How many jobs the query's filters match, on every page together, counted up to
    COUNT_LIMIT ("10,000+"): a company with millions of jobs costs what one with ten
    thousand does."""
    return bounded_count(select(Job.id).where(*_job_conditions(company, query)), COUNT_LIMIT)


@dataclass(frozen=True)
class JobListView:
    """The jobs page: one page of jobs, how many match, and, for the filter form, staff and
    the customer filtered on (None for a fragment, which shows only the table)."""

    result: Page[Job]
    total: Count
    technicians: list[StaffUser]
    filter_customer: Customer | None


def list_view(company: Company, query: JobQuery, *, with_filters: bool) -> JobListView:
    customer = (
        company_record(company.id, Customer, query.customer_id)
        if with_filters and query.customer_id
        else None
    )
    return JobListView(
        result=job_list(company, query),
        total=job_count(company, query),
        technicians=assignable_staff(company.id) if with_filters else [],
        filter_customer=customer,
    )
