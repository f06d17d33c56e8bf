"""Vehicles' service histories that agree with themselves: a vehicle's last service is
its latest completed job (date and odometer), earlier services lie before it at lower
odometers, and its odometer readings never go down.

The steps: ``ServiceRota`` hands completed jobs round the vehicles and assets,
``schedule_services`` dates each vehicle's completed jobs from its ``ServicePlan`` and
sets its last service, and ``add_odometer_readings`` records the readings those jobs
took plus a few by staff, all read off one odometer-over-time line.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from ..models import JobStatus, OdometerReading
from .context import CompanyData
from .vehicles import customer_intervals

HISTORY_DAYS = 720  # how far back the services of a vehicle reach, roughly
MIN_SPACING_DAYS = 14
MILES_PER_DAY = 100 / 3  # driven before a vehicle's first service on record
STAFF_READING_DAYS_AGO = (181, 91, 1)  # the last one is the vehicle's odometer


@dataclass
class Visit:
    """A job before it is written: for whom, in which status, on which day, for which
    vehicle or asset (chosen when the job is written if left empty), and for a vehicle's
    completed service the odometer it recorded."""

    customer: dict
    status: JobStatus
    day: date | None
    vehicle: dict | None = None
    asset: dict | None = None
    odometer: int | None = None


class ServiceRota:
    """Completed jobs go round every vehicle and asset of the customers given, in a
    shuffled order, so that each is serviced once before any is serviced again.

    Vehicles meant to be overdue come last: when there are fewer jobs than vehicles,
    the ones left without a service (overdue by miles from 0, by the interval rule)
    are ones meant to be overdue anyway."""

    def __init__(self, data: CompanyData, customers: list[dict]):
        self.data = data
        self.targets: list[tuple[dict, dict | None, dict | None]] = []
        for customer in customers:
            vehicles = data.vehicles_by_customer.get(customer["id"], [])
            assets = data.assets_by_customer.get(customer["id"], [])
            self.targets += [(customer, vehicle, None) for vehicle in vehicles]
            self.targets += [(customer, None, asset) for asset in assets]
        data.rng.shuffle(self.targets)
        self.targets.sort(key=self._meant_overdue)
        self.served = 0

    def _meant_overdue(self, target: tuple) -> bool:
        _customer, vehicle, _asset = target
        return vehicle is not None and self.data.service_plans[vehicle["id"]].overdue

    def next_visit(self) -> Visit:
        customer, vehicle, asset = self.targets[self.served % len(self.targets)]
        self.served += 1
        # A vehicle's service is dated by schedule_services; an asset's on any recent day.
        day = None if vehicle else self.data.today - timedelta(days=self.data.rng.randint(1, 720))
        return Visit(customer, JobStatus.COMPLETED, day, vehicle, asset)


def schedule_services(data: CompanyData, visits: list[Visit]) -> None:
    """Date every vehicle's completed visits and set each vehicle's last service."""
    by_vehicle = defaultdict(list)
    for visit in visits:
        if visit.status == JobStatus.COMPLETED and visit.vehicle is not None:
            by_vehicle[visit.vehicle["id"]].append(visit)
    for vehicle_visits in by_vehicle.values():
        _schedule_vehicle(data, vehicle_visits)


def _schedule_vehicle(data: CompanyData, visits: list[Visit]) -> None:
    """The last visit becomes the planned last service; each earlier one an interval
    (a little less, as in life) before the next, in days and in miles."""
    vehicle = visits[0].vehicle
    plan = data.service_plans[vehicle["id"]]
    interval_miles, interval_days = customer_intervals(data.customer_by_id[vehicle["customer_id"]])
    count = len(visits)
    room = (HISTORY_DAYS - (data.today - plan.on).days) // max(1, count - 1)
    spacing = max(MIN_SPACING_DAYS, min(interval_days, room))
    step = min(interval_miles, plan.odometer // count)
    day, odometer = plan.on, plan.odometer
    for visit in reversed(visits):
        visit.day, visit.odometer = day, odometer
        day -= timedelta(days=spacing * data.rng.randint(85, 100) // 100)
        odometer = max(0, odometer - step * data.rng.randint(85, 100) // 100)
    vehicle["last_service_on"] = plan.on
    vehicle["last_service_odometer"] = plan.odometer


def add_odometer_readings(data: CompanyData) -> None:
    """The reading each completed service took, and staff readings at six months, three
    months and a day ago (the latest is the vehicle's odometer); detailed scale only."""
    if not data.scale.detailed:
        return
    services = defaultdict(list)
    for job in data.completed_jobs:
        if job["vehicle_id"] is not None:
            services[job["vehicle_id"]].append(job)
    for vehicles in data.vehicles_by_customer.values():
        for vehicle in vehicles:
            _add_vehicle_readings(data, vehicle, services[vehicle["id"]])


def _add_vehicle_readings(data: CompanyData, vehicle: dict, jobs: list[dict]) -> None:
    jobs = sorted(jobs, key=lambda job: job["completed_at"])
    readings = [(job["completed_at"], job["odometer_at_service"], job["id"]) for job in jobs]
    # The points the odometer passed through: each service, then its latest reading.
    line = [(at, reading) for at, reading, _job_id in readings]
    line.append((data.now - timedelta(days=1), vehicle["odometer"]))
    for days_ago in STAFF_READING_DAYS_AGO:
        when = data.now - timedelta(days=days_ago)
        readings.append((when, odometer_at(line, when), None))
    for recorded_at, reading, job_id in sorted(readings, key=lambda r: r[0]):
        data.add(
            OdometerReading,
            vehicle_id=vehicle["id"],
            job_id=job_id,
            reading=reading,
            recorded_at=recorded_at,
            source="job" if job_id else "staff",
        )


def odometer_at(line: list[tuple[datetime, int]], when: datetime) -> int:
    """The odometer at ``when`` on the straight lines between the points of ``line``;
    before the first point, going back at MILES_PER_DAY (never below 0)."""
    first_at, first = line[0]
    if when <= first_at:
        days = (first_at - when).total_seconds() / 86400
        return max(0, first - int(days * MILES_PER_DAY))
    for (start_at, start), (end_at, end) in pairwise(line):
        if when <= end_at:
            return start + int((end - start) * ((when - start_at) / (end_at - start_at)))
    return line[-1][1]
