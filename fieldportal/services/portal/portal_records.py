"""What the portal's read-only tabs show: active jobs, service history, vehicles, assets.

Every function takes a query already limited to the customer (and the contact's sites)
by the portal's ``customer_scope`` and loads what its template needs in a fixed number
of queries.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import (
    Asset,
    AssetTest,
    Company,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    OdometerReading,
    Vehicle,
)
from ..clock import day_bounds_utc
from ..fleet.intervals import ServiceStatus

# The order a customer cares about: what is happening now first.
ACTIVE_ORDER = [
    JobStatus.IN_PROGRESS,
    JobStatus.EN_ROUTE,
    JobStatus.ARRIVED,
    JobStatus.ASSIGNED,
    JobStatus.SCHEDULED,
]
HISTORY_PAGE_SIZE = 20


def active_jobs(scoped_jobs) -> list[Job]:
    """Scheduled to in-progress jobs: in progress, on the way, arrived, assigned, scheduled;
    soonest window first within each."""
    rank = case(
        {status.value: index for index, status in enumerate(ACTIVE_ORDER)}, value=Job.status
    )
    query = (
        scoped_jobs.where(Job.status.in_(ACTIVE_ORDER))
        .options(
            joinedload(Job.site),
            joinedload(Job.technician),
            joinedload(Job.vehicle),
            joinedload(Job.asset),
        )
        .order_by(rank, Job.window_start, Job.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class HistoryFilters:
    date_from: date | None = None
    date_to: date | None = None
    site_id: int | None = None
    vehicle_id: int | None = None
    asset_id: int | None = None


@dataclass(frozen=True)
class HistoryPage:
    jobs: list[Job]
    totals: dict[int, int]  # job id → invoiced total in cents
    has_more: bool
    page: int


def job_history(
    company: Company, scoped_jobs, filters: HistoryFilters, page: int, *, with_totals: bool = True
) -> HistoryPage:
    """Completed jobs, newest first, one page at a time, with each job's invoice total
    (none when ``with_totals`` is False: the viewer may not see invoices)."""
    query = scoped_jobs.where(Job.status == JobStatus.COMPLETED)
    if filters.date_from:
        query = query.where(Job.completed_at >= day_bounds_utc(company, filters.date_from)[0])
    if filters.date_to:
        query = query.where(Job.completed_at < day_bounds_utc(company, filters.date_to)[1])
    for column, value in (
        (Job.site_id, filters.site_id),
        (Job.vehicle_id, filters.vehicle_id),
        (Job.asset_id, filters.asset_id),
    ):
        if value:
            query = query.where(column == value)
    rows = list(
        db.session.scalars(
            query.options(
                joinedload(Job.site),
                joinedload(Job.technician),
                joinedload(Job.vehicle),
                joinedload(Job.asset),
            )
            .order_by(Job.completed_at.desc(), Job.id.desc())
            .offset((page - 1) * HISTORY_PAGE_SIZE)
            .limit(HISTORY_PAGE_SIZE + 1)
        )
    )
    jobs = rows[:HISTORY_PAGE_SIZE]
    totals = invoice_totals([job.id for job in jobs]) if with_totals else {}
    return HistoryPage(jobs, totals, len(rows) > HISTORY_PAGE_SIZE, page)


def invoice_totals(job_ids: list[int]) -> dict[int, int]:
    """Invoiced total per job (sent and paid invoices only)."""
    if not job_ids:
        return {}
    rows = db.session.execute(
        select(Invoice.job_id, func.sum(Invoice.total_cents))
        .where(
            Invoice.job_id.in_(job_ids),
            Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
        )
        .group_by(Invoice.job_id)
    )
    return dict(rows.all())


def forecast_due_date(vehicle: Vehicle, status: ServiceStatus, today: date) -> date | None:
    """When the miles interval will fire at the vehicle's recent pace (odometer readings of
    the last year); None without an interval in miles or enough readings."""
    if status.due_odometer is None or status.miles_left is None:
        return None
    if status.miles_left <= 0:
        return today
    since = today - timedelta(days=365)
    readings = db.session.execute(
        select(OdometerReading.reading, OdometerReading.recorded_at)
        .where(OdometerReading.vehicle_id == vehicle.id)
        .order_by(OdometerReading.recorded_at)
    ).all()
    readings = [(reading, when) for reading, when in readings if when.date() >= since]
    if len(readings) < 2:
        return None
    (first_miles, first_at), (last_miles, last_at) = readings[0], readings[-1]
    days = (last_at - first_at).total_seconds() / 86400
    if days < 1 or last_miles <= first_miles:
        return None
    per_day = (last_miles - first_miles) / days
    return today + timedelta(days=int(status.miles_left / per_day))


def vehicle_history(scoped_jobs, vehicle: Vehicle, limit: int | None = 50) -> list[Job]:
    """A vehicle's completed jobs among ``scoped_jobs``, newest first (the page shows the
    latest 50; the service-history PDF passes limit=None for all of them)."""
    query = (
        scoped_jobs.where(Job.vehicle_id == vehicle.id, Job.status == JobStatus.COMPLETED)
        .options(joinedload(Job.technician), joinedload(Job.site))
        .order_by(Job.completed_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AssetSummary:
    asset: Asset
    last_test: AssetTest | None


def assets_with_last_test(scoped_assets, search: str | None) -> list[AssetSummary]:
    """The customer's assets (optionally matching an asset ID, serial or reference), each
    with its latest test; defects come loaded."""
    query = scoped_assets.where(Asset.active.is_(True))
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            func.lower(Asset.asset_code).like(pattern)
            | func.lower(func.coalesce(Asset.serial_number, "")).like(pattern)
            | func.lower(func.coalesce(Asset.customer_ref, "")).like(pattern)
        )
    assets = list(
        db.session.scalars(
            query.options(joinedload(Asset.site), selectinload(Asset.defects))
            .order_by(Asset.asset_code)
            .limit(200)
        ).unique()
    )
    latest = {}
    if assets:
        newest = (
            select(AssetTest.asset_id, func.max(AssetTest.tested_on).label("tested_on"))
            .where(AssetTest.asset_id.in_([asset.id for asset in assets]))
            .group_by(AssetTest.asset_id)
            .subquery()
        )
        for test in db.session.scalars(
            select(AssetTest).join(
                newest,
                (AssetTest.asset_id == newest.c.asset_id)
                & (AssetTest.tested_on == newest.c.tested_on),
            )
        ):
            latest[test.asset_id] = test
    return [AssetSummary(asset, latest.get(asset.id)) for asset in assets]
