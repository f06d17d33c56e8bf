"""The fleet accounts index and fleet detail: per-fleet figures computed in SQL.

Every figure of the index comes from one grouped subquery per column, joined to the
customers, so a page costs the same number of queries for 10 fleets or 5,000.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Select, func, nulls_last, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    ACTIVE_JOB_STATUSES,
    Company,
    Contact,
    Customer,
    CustomerKind,
    Job,
    SignInMethod,
    Vehicle,
    utcnow,
)
from ...pagination import ListQuery, Page, paginate
from .. import audit
from ..auth.auth_sessions import end_sessions
from ..billing.money import invoiced_of_customer, month_to_date_bounds, open_ar_of_customer
from ..clock import company_today
from ..work import requests
from .intervals import ServiceStatus, overdue_clause, vehicle_service_status

FLEETS_PER_PAGE = 25
SORT_COLUMNS = ("name", "vehicles", "overdue", "next_job", "mtd", "ar")
MONEY_SORTS = ("mtd", "ar")


@dataclass(frozen=True, kw_only=True)
class FleetQuery(ListQuery):
    """What the fleet index shows: search text, overdue filter, sort, page."""

    SORTS = SORT_COLUMNS
    DESCENDING_FIRST = frozenset({"vehicles", "overdue", "mtd", "ar"})

    q: str = ""
    overdue: bool = False

    @classmethod
    def from_args(cls, args, *, money: bool = True) -> "FleetQuery":
        """Parse query-string arguments; anything unknown falls back to the default. The
        money columns sort only for staff who see money."""
        sorts = SORT_COLUMNS if money else tuple(c for c in SORT_COLUMNS if c not in MONEY_SORTS)
        q = (args.get("q") or "").replace("\x00", "").strip()[:100]
        return cls(**cls.list_args(args, sorts=sorts), q=q, overdue=args.get("overdue") == "1")

    def filter_params(self) -> dict:
        return {"q": self.q, "overdue": "1" if self.overdue else ""}


@dataclass(frozen=True)
class FleetRow:
    id: int
    name: str
    vehicles: int
    overdue: int
    next_job_at: datetime | None
    mtd_cents: int
    open_ar_cents: int


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _vehicle_count():
    return (
        select(func.count(Vehicle.id))
        .where(Vehicle.customer_id == Customer.id, Vehicle.active.is_(True))
        .scalar_subquery()
    )


def _overdue_count(today: date, dialect: str):
    # overdue_clause reads the fleet's default intervals from Customer: the outer row.
    return (
        select(func.count(Vehicle.id))
        .where(
            Vehicle.customer_id == Customer.id,
            Vehicle.active.is_(True),
            overdue_clause(today, dialect),
        )
        .correlate(Customer)
        .scalar_subquery()
    )


def _has_overdue(today: date, dialect: str):
    return (
        select(Vehicle.id)
        .where(
            Vehicle.customer_id == Customer.id,
            Vehicle.active.is_(True),
            overdue_clause(today, dialect),
        )
        .correlate(Customer)
        .exists()
    )


def _next_job(now: datetime):
    return (
        select(func.min(Job.window_start))
        .where(
            Job.customer_id == Customer.id,
            Job.status.in_(ACTIVE_JOB_STATUSES),
            Job.window_start >= now,
        )
        .scalar_subquery()
    )


@dataclass(frozen=True)
class _FleetListing:
    """The fleet index's query in parts: each row's figures, which fleets, in what order."""

    figures: tuple
    conditions: tuple
    order: tuple


def _fleet_listing(company: Company, query: FleetQuery) -> _FleetListing:
    today = company_today(company)
    dialect = db.session.get_bind().dialect.name
    columns = {
        "vehicles": _vehicle_count(),
        "overdue": _overdue_count(today, dialect),
        "next_job": _next_job(utcnow()),
        "mtd": invoiced_of_customer(Customer.id, *month_to_date_bounds(today)),
        "ar": open_ar_of_customer(Customer.id),
    }

    conditions = [
        Customer.company_id == company.id,
        Customer.kind == CustomerKind.FLEET,
        Customer.archived_at.is_(None),
    ]
    if query.q:
        conditions.append(Customer.name.ilike(f"%{escape_like(query.q)}%", escape="\\"))
    if query.overdue:
        # EXISTS stops at the first overdue vehicle; the count is only needed per shown row.
        conditions.append(_has_overdue(today, dialect))

    name_key = func.lower(Customer.name)
    sort_expression = name_key if query.sort == "name" else columns[query.sort]
    ordered = sort_expression.desc() if query.descending else sort_expression.asc()
    if query.sort == "next_job":
        ordered = nulls_last(ordered)
    return _FleetListing(
        tuple(columns.values()), tuple(conditions), (ordered, name_key, Customer.id)
    )


def fleet_index(
    company: Company, query: FleetQuery, per_page: int = FLEETS_PER_PAGE
) -> Page[FleetRow]:
    """One page of fleet accounts with their figures, sorted and filtered: three queries
    (how many match, the page's ids, their figures).

    Each figure is a correlated subquery per fleet row, served by an index on
    (customer_id, …); the database evaluates them only for the fleets it needs.
    """
    listing = _fleet_listing(company, query)
    # Pick the page's fleets first, then compute the figures for those rows only.
    ids = paginate(
        select(Customer.id).where(*listing.conditions).order_by(*listing.order),
        query,
        per_page=per_page,
    )
    figures = db.session.execute(
        select(Customer.id, Customer.name, *listing.figures).where(Customer.id.in_(ids.items))
    )
    rows = {row.id: FleetRow(*row) for row in figures}
    return ids.map(rows.__getitem__)


def fleet_select(company: Company, query: FleetQuery) -> Select:
    """Every fleet of the index (searched, filtered, in its order) with its figures, as
    rows of FleetRow's fields: the CSV export reads it whole."""
    listing = _fleet_listing(company, query)
    return (
        select(Customer.id, Customer.name, *listing.figures)
        .where(*listing.conditions)
        .order_by(*listing.order)
    )


class VehicleWithStatus(NamedTuple):
    vehicle: Vehicle
    status: ServiceStatus


def service_status(
    company: Company, vehicle: Vehicle, fleet: Customer | None = None
) -> ServiceStatus:
    """One vehicle's service status today in the company's zone (THE interval rule)."""
    return vehicle_service_status(
        vehicle,
        company_today(company),
        fleet=fleet or vehicle.customer,
        due_soon_percent=company.due_soon_percent,
    )


def vehicles_with_status(
    company: Company, fleet: Customer, vehicles: Select | None = None, *, inactive: bool = False
) -> list[VehicleWithStatus]:
    """The fleet's vehicles (active ones unless ``inactive``), each with its service
    status; ``vehicles`` narrows them (the portal passes its site-scoped select)."""
    query = select(Vehicle) if vehicles is None else vehicles
    query = query.where(Vehicle.company_id == company.id, Vehicle.customer_id == fleet.id)
    if not inactive:
        query = query.where(Vehicle.active.is_(True))
    query = query.order_by(
        Vehicle.active.desc(), Vehicle.make, Vehicle.model, Vehicle.plate, Vehicle.id
    )
    return [
        VehicleWithStatus(vehicle, service_status(company, vehicle, fleet))
        for vehicle in db.session.scalars(query)
    ]


def set_fleet_portal(fleet: Customer, enabled: bool, *, by) -> None:
    """Switch the fleet's portal on or off; off ends the sessions opened with its link."""
    fleet.portal_enabled = enabled
    if not enabled:
        end_sessions(customer_id=fleet.id, method=SignInMethod.TOKEN_URL)
    audit.record(
        fleet.company_id,
        "fleet.portal_enabled" if enabled else "fleet.portal_disabled",
        actor=by,
        subject=fleet,
        customer_id=fleet.id,
        summary=f"Portal {'on' if enabled else 'off'} for {fleet.name}",
    )
    db.session.flush()


# ---------------------------------------------------------------- a fleet's page

HISTORY_PER_PAGE = 20
UPCOMING_SIZE = 10


def fleet_history(fleet: Customer, query: ListQuery) -> Page[Job]:
    """One page of the fleet's jobs, latest first (completed, else window, else created)."""
    statement = (
        select(Job)
        .where(Job.customer_id == fleet.id, Job.company_id == fleet.company_id)
        .options(joinedload(Job.vehicle), joinedload(Job.technician))
        .order_by(
            func.coalesce(Job.completed_at, Job.window_start, Job.created_at).desc(), Job.id.desc()
        )
    )
    return paginate(statement, query, per_page=HISTORY_PER_PAGE)


def share_address(fleet: Customer, contacts: list[Contact]) -> str | None:
    """Where a fleet's portal link goes by default: its admin contact, any contact, the fleet."""
    ranked = sorted((c for c in contacts if c.email), key=lambda c: not c.is_admin)
    return ranked[0].email if ranked else fleet.email


@dataclass(frozen=True)
class FleetDetail:
    """What a fleet's page shows besides the fleet itself."""

    contacts: list[Contact]
    vehicles: list[VehicleWithStatus]
    upcoming: list[Job]
    history: Page[Job]
    share_to: str | None


def fleet_detail(company: Company, fleet: Customer, history_query: ListQuery) -> FleetDetail:
    """The fleet's current contacts, vehicles with their status, next jobs and history."""
    contacts = list(
        db.session.scalars(
            select(Contact)
            .where(Contact.customer_id == fleet.id, Contact.removed_at.is_(None))
            .order_by(Contact.id)
        )
    )
    upcoming = db.session.scalars(
        select(Job)
        .where(
            Job.customer_id == fleet.id,
            Job.company_id == company.id,
            Job.status.in_(ACTIVE_JOB_STATUSES),
            Job.window_start >= utcnow(),
        )
        .options(joinedload(Job.vehicle), joinedload(Job.technician))
        .order_by(Job.window_start, Job.id)
        .limit(UPCOMING_SIZE)
    )
    return FleetDetail(
        contacts=contacts,
        vehicles=vehicles_with_status(company, fleet),
        upcoming=list(upcoming),
        history=fleet_history(fleet, history_query),
        share_to=share_address(fleet, contacts),
    )


@dataclass(frozen=True)
class FleetIndexView:
    """The fleet accounts page: one page of fleets and, beside it, the pending requests."""

    result: Page[FleetRow]
    pending_panel: "requests.PendingPanel | None"  # a string: requests imports this module


def index_view(company: Company, query: FleetQuery, *, with_panel: bool) -> FleetIndexView:
    return FleetIndexView(
        result=fleet_index(company, query),
        pending_panel=requests.pending_panel(company.id) if with_panel else None,
    )
