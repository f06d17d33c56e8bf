"""Vehicles of fleets and households, each with the service it is meant to have had
last, so that they spread over every service state."""

from dataclasses import dataclass
from datetime import date, timedelta

from ..models import Vehicle
from .catalog import OIL_SPECS, VEHICLES
from .context import CompanyData

MIN_FLEET, MAX_FLEET = 3, 30
DEFAULT_INTERVAL_MILES, DEFAULT_INTERVAL_DAYS = 5000, 180


@dataclass(frozen=True)
class ServicePlan:
    """The last service a vehicle is meant to have had; it becomes real only as one of
    the vehicle's completed jobs (service_history.py)."""

    odometer: int
    on: date
    overdue: bool  # meant to be overdue today


def fleet_sizes(data: CompanyData) -> list[int]:
    """Between 3 and 30 vehicles per fleet, adding up to the scale's total."""
    fleets, total = data.scale.fleets, data.scale.vehicles
    counts = [MIN_FLEET] * fleets
    remaining = total - MIN_FLEET * fleets
    while remaining > 0:
        index = data.rng.randrange(fleets)
        if counts[index] < MAX_FLEET:
            counts[index] += 1
            remaining -= 1
    return counts


def customer_intervals(customer: dict) -> tuple[int, int]:
    """(miles, days) between services: the customer's, else a common default."""
    return (
        customer.get("interval_miles") or DEFAULT_INTERVAL_MILES,
        customer.get("interval_days") or DEFAULT_INTERVAL_DAYS,
    )


def _plan_last_service(
    data: CompanyData, customer: dict, odometer: int, position: int
) -> ServicePlan:
    """Vehicles by position: overdue by miles, overdue by days, due soon, then three fine."""
    rng = data.rng
    interval_miles, interval_days = customer_intervals(customer)
    kind = position % 6
    if kind == 0:  # overdue by miles
        miles = interval_miles + rng.randint(50, 4000)
        days = rng.randint(10, max(11, interval_days // 2))
    elif kind == 1:  # overdue by days
        miles = rng.randint(100, interval_miles // 2)
        days = interval_days + rng.randint(3, 60)
    elif kind == 2:  # due soon
        miles = int(interval_miles * 0.95)
        days = rng.randint(5, 30)
    else:
        miles = rng.randint(100, interval_miles // 2)
        days = rng.randint(5, max(6, interval_days // 2))
    return ServicePlan(max(0, odometer - miles), data.today - timedelta(days=days), kind < 2)


def add_vehicle(data: CompanyData, customer: dict, site: dict | None, position: int) -> dict:
    """A vehicle, not yet serviced: its last service is set from its completed jobs."""
    rng = data.rng
    make, model = rng.choice(VEHICLES)
    odometer = rng.randint(8_000, 180_000)
    plan = _plan_last_service(data, customer, odometer, position)
    letter = data.slug[0].upper()
    vehicle = data.add(
        Vehicle,
        customer_id=customer["id"],
        site_id=site["id"] if site else None,
        year=rng.randint(2012, 2025),
        make=make,
        model=model,
        plate=f"{letter}{rng.randint(100, 999)}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}",
        vin=f"1FT{rng.randrange(10**13):013d}A"[:17],
        odometer=odometer,
        oil_spec=rng.choice(OIL_SPECS),
        interval_miles=7500 if position % 11 == 5 else None,
        interval_days=None,
        last_service_on=None,
        last_service_odometer=None,
        active=position % 23 != 22,
        created_at=data.now - timedelta(days=600),
    )
    data.service_plans[vehicle["id"]] = plan
    return vehicle
