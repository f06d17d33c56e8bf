"""Service intervals: is a vehicle overdue, due soon, or fine? (PRODUCT.md "Service intervals")

One rule, used by the operator app and the portal alike:
- miles: overdue when odometer > odometer at the last completed service + interval miles
  (with no service recorded, the baseline is 0 miles);
- days: overdue when days since the last completed service > interval days (with no
  service recorded there is no baseline, so the days rule cannot fire);
- whichever fires first wins; "due soon" when within ``due_soon_percent`` of an interval;
- the interval cascades: the vehicle's override, else the fleet default, else no alert.

``vehicle_service_status`` answers for one loaded vehicle; ``overdue_clause`` is the same
rule as SQL, for counting and filtering many vehicles in one query.
"""

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Integer, and_, cast, func, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from ...models import Customer, Vehicle


class ServiceState(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OK = "ok"
    NO_INTERVAL = "no_interval"


STATE_LABELS = {
    ServiceState.OVERDUE: "Overdue",
    ServiceState.DUE_SOON: "Due soon",
    ServiceState.OK: "OK",
    ServiceState.NO_INTERVAL: "No interval",
}


@dataclass(frozen=True)
class ServiceStatus:
    state: ServiceState
    interval_miles: int | None
    interval_days: int | None
    due_odometer: int | None
    due_date: date | None
    miles_left: int | None
    days_left: int | None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def is_overdue(self) -> bool:
        return self.state == ServiceState.OVERDUE


def effective_intervals(vehicle: Vehicle, fleet: Customer) -> tuple[int | None, int | None]:
    """(miles, days): the vehicle's override, else the fleet's default, else None."""
    miles = vehicle.interval_miles or fleet.interval_miles
    days = vehicle.interval_days or fleet.interval_days
    return miles, days


def _soon_margin(interval: int, due_soon_percent: int) -> int:
    return interval * due_soon_percent // 100


def vehicle_service_status(
    vehicle: Vehicle, today: date, *, fleet: Customer | None = None, due_soon_percent: int = 10
) -> ServiceStatus:
    """The service status of one vehicle on ``today`` (a date in the company's time zone)."""
    miles, days = effective_intervals(vehicle, fleet or vehicle.customer)
    if not miles and not days:
        return ServiceStatus(ServiceState.NO_INTERVAL, None, None, None, None, None, None)

    overdue = soon = False
    due_odometer = miles_left = None
    if miles:
        due_odometer = (vehicle.last_service_odometer or 0) + miles
        miles_left = due_odometer - vehicle.odometer
        overdue |= miles_left < 0
        soon |= miles_left <= _soon_margin(miles, due_soon_percent)

    due_date = days_left = None
    if days and vehicle.last_service_on:
        due_date = vehicle.last_service_on + timedelta(days=days)
        days_left = (due_date - today).days
        overdue |= days_left < 0
        soon |= days_left <= _soon_margin(days, due_soon_percent)

    state = ServiceState.OVERDUE if overdue else ServiceState.DUE_SOON if soon else ServiceState.OK
    return ServiceStatus(state, miles, days, due_odometer, due_date, miles_left, days_left)


class day_number(FunctionElement):
    """Days since a fixed epoch for a DATE column, on SQLite and PostgreSQL alike."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(day_number)
def _day_number_default(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - DATE '2000-01-01')"


def _today_number(today: date, dialect_name: str) -> int:
    if dialect_name == "sqlite":
        return today.toordinal() + 1721424  # julianday of a date at midnight, truncated
    return (today - date(2000, 1, 1)).days


def overdue_clause(today: date, dialect_name: str, due_soon_percent: int = 0) -> ColumnElement:
    """SQL for "overdue" (or, with due_soon_percent, "overdue or due soon") over
    Vehicle joined to its fleet Customer — the same rule as vehicle_service_status."""
    miles = func.coalesce(Vehicle.interval_miles, Customer.interval_miles)
    days = func.coalesce(Vehicle.interval_days, Customer.interval_days)
    miles_margin = cast(miles * due_soon_percent / 100, Integer) if due_soon_percent else literal(0)
    days_margin = cast(days * due_soon_percent / 100, Integer) if due_soon_percent else literal(0)
    today_number = _today_number(today, dialect_name)
    compare = (
        (lambda left, right: left >= right)
        if due_soon_percent
        else (lambda left, right: left > right)
    )
    by_miles = and_(
        miles.is_not(None),
        compare(
            Vehicle.odometer, func.coalesce(Vehicle.last_service_odometer, 0) + miles - miles_margin
        ),
    )
    by_days = and_(
        days.is_not(None),
        Vehicle.last_service_on.is_not(None),
        compare(literal(today_number), day_number(Vehicle.last_service_on) + days - days_margin),
    )
    return or_(by_miles, by_days)
