"""Vehicles of fleets and households, spread over every service state."""

from datetime import timedelta

from ..models import OdometerReading, Vehicle
from .catalog import OIL_SPECS, VEHICLES
from .context import CompanyData

MIN_FLEET, MAX_FLEET = 3, 30


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


def _last_service(data: CompanyData, customer: dict, odometer: int, position: int):
    """(odometer, date) of the last service, spreading vehicles over overdue by miles,
    overdue by days, due soon and fine."""
    rng = data.rng
    interval_miles = customer.get("interval_miles") or 5000
    interval_days = customer.get("interval_days") or 180
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
    return max(0, odometer - miles), data.today - timedelta(days=days)


def add_vehicle(data: CompanyData, customer: dict, site: dict | None, position: int) -> dict:
    rng = data.rng
    make, model = rng.choice(VEHICLES)
    odometer = rng.randint(8_000, 180_000)
    last_odometer, last_on = _last_service(data, customer, odometer, position)
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
        last_service_on=last_on,
        last_service_odometer=last_odometer,
        active=position % 23 != 22,
        created_at=data.now - timedelta(days=600),
    )
    if data.scale.detailed:
        _add_readings(data, vehicle)
    return vehicle


def _add_readings(data: CompanyData, vehicle: dict) -> None:
    odometer = vehicle["odometer"]
    for months_ago, reading in (
        (6, max(0, odometer - 6000)),
        (3, max(0, odometer - 3000)),
        (0, odometer),
    ):
        data.add(
            OdometerReading,
            vehicle_id=vehicle["id"],
            reading=reading,
            recorded_at=data.now - timedelta(days=30 * months_ago + 1),
            source="staff",
        )
