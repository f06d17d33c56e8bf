"""What the portal's read-only tabs show: active jobs, service history, vehicles, assets.

The page functions take the signed-in principal (a contact or a fleet viewer) and keep
every list to its customer and the sites it sees (site_scope.customer_records); each
loads what its template needs in a fixed number of queries.
"""

from collections.abc import Mapping
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
    Site,
    Vehicle,
)
from ...pagination import Key, ListQuery, Page, paginate_after
from ...query_args import database_id
from ..billing import documents
from ..clock import company_today, day_bounds_utc
from ..fleet import fleets
from ..fleet.intervals import ServiceStatus
from ..work.calendar import job_event
from .site_scope import customer_records

# The order a customer cares about: what is happening now first.
ACTIVE_ORDER = [
    JobStatus.IN_PROGRESS,
    JobStatus.EN_ROUTE,
    JobStatus.ARRIVED,
    JobStatus.ASSIGNED,
    JobStatus.SCHEDULED,
]
HISTORY_PAGE_SIZE = 20


def active_jobs(principal) -> list[Job]:
    """The principal's scheduled to in-progress jobs: in progress, on the way, arrived,
    assigned, scheduled; soonest window first within each."""
    rank = case(
        {status.value: index for index, status in enumerate(ACTIVE_ORDER)}, value=Job.status
    )
    query = (
        customer_records(principal, Job)
        .where(Job.status.in_(ACTIVE_ORDER))
        .options(
            joinedload(Job.site),
            joinedload(Job.technician),
            joinedload(Job.vehicle),
            joinedload(Job.asset),
        )
        .order_by(rank, Job.window_start, Job.id)
    )
    return list(db.session.scalars(query))


def job_calendar(company: Company, job: Job) -> str | None:
    """The .ics event of an active job with a time window; None for any other job."""
    if job.status not in ACTIVE_ORDER or job.window_start is None:
        return None
    return job_event(company, job)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, kw_only=True)
class HistoryFilters(ListQuery):
    """The History list: its filters and the cursor of the page (``after``)."""

    date_from: date | None = None
    date_to: date | None = None
    site_id: int | None = None
    vehicle_id: int | None = None
    asset_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "HistoryFilters":
        """The filters of a History URL; what does not parse is no filter."""
        return cls(
            **cls.list_args(args),
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            site_id=database_id(args, "site_id"),
            vehicle_id=database_id(args, "vehicle_id"),
            asset_id=database_id(args, "asset_id"),
        )

    def filter_params(self) -> dict:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "site_id": self.site_id,
            "vehicle_id": self.vehicle_id,
            "asset_id": self.asset_id,
        }


# Newest first; a fleet's history grows for years, so its pages are cut by keyset.
HISTORY_ORDER = (Key(Job.completed_at, descending=True), Key(Job.id, descending=True))


def job_history(company: Company, scoped_jobs, filters: HistoryFilters) -> Page[Job]:
    """Completed jobs, newest first, one page at a time (after ``filters.after``)."""
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
    query = query.options(
        joinedload(Job.site),
        joinedload(Job.technician),
        joinedload(Job.vehicle),
        joinedload(Job.asset),
    )
    return paginate_after(query, filters, keys=HISTORY_ORDER, per_page=HISTORY_PAGE_SIZE)


@dataclass(frozen=True)
class HistoryView:
    """The History tab: one page of completed jobs and the choices of its filters."""

    result: Page[Job]
    totals: dict[int, int]  # job id → invoiced total in cents (none without invoices)
    sites: list[Site]
    vehicles: list[Vehicle]
    assets: list[Asset]


def history_view(
    company: Company, principal, filters: HistoryFilters, *, with_totals: bool
) -> HistoryView:
    """The History tab of ``principal``: its completed jobs and, for the filters, the sites,
    vehicles and (the first 200) assets it sees."""
    result = job_history(company, customer_records(principal, Job), filters)
    return HistoryView(
        result=result,
        totals=invoice_totals([job.id for job in result]) if with_totals else {},
        sites=list(db.session.scalars(customer_records(principal, Site).order_by(Site.name))),
        vehicles=list(
            db.session.scalars(customer_records(principal, Vehicle).order_by(Vehicle.plate))
        ),
        assets=list(
            db.session.scalars(
                customer_records(principal, Asset).order_by(Asset.asset_code).limit(200)
            )
        ),
    )


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


def vehicles(company: Company, principal) -> list:
    """The Vehicles tab: the principal's vehicles, each with its service status."""
    return fleets.vehicles_with_status(
        company, principal.customer, customer_records(principal, Vehicle)
    )


@dataclass(frozen=True)
class VehiclePage:
    vehicle: Vehicle
    service_status: ServiceStatus
    forecast: date | None
    history: list[Job]


def vehicle_page(company: Company, principal, vehicle: Vehicle) -> VehiclePage:
    """A vehicle's page: its service status, when the next service falls due at its pace,
    and its completed jobs the principal sees."""
    status = fleets.service_status(company, vehicle, principal.customer)
    return VehiclePage(
        vehicle=vehicle,
        service_status=status,
        forecast=forecast_due_date(vehicle, status, company_today(company)),
        history=vehicle_history(customer_records(principal, Job), vehicle),
    )


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


def vehicle_history_pdf(principal, vehicle: Vehicle) -> documents.RenderedPdf:
    """The vehicle's service history PDF with the jobs the principal sees."""
    return documents.vehicle_history_pdf(vehicle, customer_records(principal, Job))


@dataclass(frozen=True)
class AssetSummary:
    asset: Asset
    last_test: AssetTest | None


def assets_with_last_test(principal, search: str | None) -> list[AssetSummary]:
    """The principal's assets (optionally matching an asset ID, serial or reference), each
    with its latest test; defects come loaded."""
    query = customer_records(principal, Asset).where(Asset.active.is_(True))
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
