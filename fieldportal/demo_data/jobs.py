"""Jobs in every status: completed history, cancelled, unscheduled, upcoming, and
active ones today. They are planned as visits first, so that each vehicle's services
can be dated in order (service_history.py), then written."""

from datetime import date, datetime, timedelta

from ..models import CustomerKind, Job, JobStatus, JobStatusChange
from .catalog import ASSET_SERVICES, JOB_TYPES, SERVICES
from .context import CompanyData
from .service_history import ServiceRota, Visit, schedule_services

ACTIVE_TODAY = [JobStatus.ASSIGNED, JobStatus.EN_ROUTE, JobStatus.ARRIVED, JobStatus.IN_PROGRESS]
DEMO_HISTORY = 30  # completed jobs per demo customer: enough to page through
VEHICLE_JOB_TYPES = 5  # the first five job types are for vehicles, the rest for assets


def add_jobs(data: CompanyData) -> None:
    visits = _plan_visits(data)
    schedule_services(data, visits)
    for visit in visits:
        add_job(data, visit)


def _plan_visits(data: CompanyData) -> list[Visit]:
    """The scale's jobs, then a long service history for each demo portal customer
    (first fleet, household and account), who also have the first active jobs today."""
    demo_customers = data.demo_customers()
    others = [c for c in data.customers if c not in demo_customers]
    rota = ServiceRota(data, others)
    demo_active = len(demo_customers) * len(ACTIVE_TODAY)
    visits = []
    for job_index in range(data.scale.jobs):
        if job_index < demo_active:
            customer = demo_customers[job_index // len(ACTIVE_TODAY)]
            visits.append(Visit(customer, ACTIVE_TODAY[job_index % len(ACTIVE_TODAY)], data.today))
        else:
            visits.append(_visit(data, job_index % 20, rota))
    for customer in demo_customers:
        visits += _demo_history(data, customer)
    return visits


def _visit(data: CompanyData, roll: int, rota: ServiceRota) -> Visit:
    """Out of 20 jobs: 13 completed, 1 cancelled, 1 unscheduled, 3 scheduled, 1 assigned
    and 1 active today."""
    if roll < 13:
        return rota.next_visit()
    rng = data.rng
    customer = data.customers[rng.randrange(len(data.customers))]
    if roll == 13:
        return Visit(customer, JobStatus.CANCELLED, _days_ago(data, 200))
    if roll == 14:
        return Visit(customer, JobStatus.UNSCHEDULED, None)
    if roll < 18:
        return Visit(customer, JobStatus.SCHEDULED, data.today + timedelta(days=rng.randint(1, 45)))
    if roll == 18:
        return Visit(customer, JobStatus.ASSIGNED, data.today + timedelta(days=rng.randint(0, 14)))
    return Visit(customer, rng.choice(ACTIVE_TODAY), data.today)


def _demo_history(data: CompanyData, customer: dict) -> list[Visit]:
    """Completed jobs taking turns over the customer's vehicles, else its assets."""
    vehicles = data.vehicles_by_customer.get(customer["id"]) or []
    assets = data.assets_by_customer.get(customer["id"]) or []
    visits = []
    for index in range(DEMO_HISTORY):
        if vehicles:
            vehicle = vehicles[index % len(vehicles)]
            visits.append(Visit(customer, JobStatus.COMPLETED, None, vehicle=vehicle))
        else:
            asset = assets[index % len(assets)] if assets else None
            day = _days_ago(data, 720)
            visits.append(Visit(customer, JobStatus.COMPLETED, day, asset=asset))
    return visits


def _days_ago(data: CompanyData, most: int) -> date:
    return data.today - timedelta(days=data.rng.randint(1, most))


def _target(data: CompanyData, visit: Visit) -> tuple[dict | None, dict | None]:
    """The visit's vehicle or asset; if it has neither, one of the customer's vehicles,
    else one of its assets."""
    if visit.vehicle or visit.asset:
        return visit.vehicle, visit.asset
    vehicles = data.vehicles_by_customer.get(visit.customer["id"]) or []
    if vehicles:
        return data.rng.choice(vehicles), None
    assets = data.assets_by_customer.get(visit.customer["id"]) or []
    return None, data.rng.choice(assets) if assets else None


def _job_type(data: CompanyData, vehicle: dict | None) -> int:
    if vehicle:
        return data.rng.randrange(VEHICLE_JOB_TYPES)
    return data.rng.randrange(VEHICLE_JOB_TYPES, len(JOB_TYPES))


def _window(data: CompanyData, day: date | None) -> tuple[datetime | None, datetime | None]:
    if day is None:
        return None, None
    start = data.local(day, data.rng.choice([8, 9, 10, 11, 13, 14, 15]))
    return start, start + timedelta(hours=data.rng.choice([1, 2, 3]))


def _technician(data: CompanyData, status: JobStatus) -> int | None:
    if status in (JobStatus.UNSCHEDULED, JobStatus.SCHEDULED):
        return None
    return data.rng.choice(data.technicians)


def _created_at(data: CompanyData, start: datetime | None) -> datetime:
    """Booked 3 to 20 days before the visit, and never in the future."""
    created = (start or data.now) - timedelta(days=data.rng.randint(3, 20))
    return data.now - timedelta(hours=1) if created > data.now else created


def _notes(data: CompanyData, customer: dict) -> dict:
    """A purchase order number for some businesses, and occasional notes."""
    rng = data.rng
    business = customer["kind"] != CustomerKind.CONSUMER
    return {
        "po_number": f"PO-{rng.randint(1000, 9999)}" if business and rng.random() < 0.4 else None,
        "internal_notes": "Gate code 4412" if rng.random() < 0.1 else None,
        "customer_notes": "Please call 15 minutes before arrival." if rng.random() < 0.15 else None,
    }


def _description(title: str, vehicle: dict | None, asset: dict | None) -> str:
    if vehicle:
        return f"{title} for {vehicle['make']} {vehicle['model']}"
    if asset:
        return f"{title} — {asset['asset_code']}"
    return title


def _site_id(data: CompanyData, customer: dict, vehicle: dict | None, asset: dict | None):
    """Where the vehicle or asset is, else the customer's first site."""
    site_id = (vehicle or asset or {}).get("site_id")
    sites = data.sites_by_customer.get(customer["id"]) or []
    return site_id or (sites[0]["id"] if sites else None)


def _times(status: JobStatus, created: datetime, end: datetime | None, now: datetime) -> dict:
    """When a job last changed: a completed one when its visit ended, others when booked."""
    if status != JobStatus.COMPLETED:
        return {"status_changed_at": created, "completed_at": None, "updated_at": created}
    return {"status_changed_at": end or now, "completed_at": end, "updated_at": end or created}


def _work_done(data: CompanyData, visit: Visit, vehicle: dict | None) -> str | None:
    if visit.status != JobStatus.COMPLETED:
        return None
    return "; ".join(data.rng.sample(SERVICES if vehicle else ASSET_SERVICES, 2))


def add_job(data: CompanyData, visit: Visit) -> dict:
    customer, status = visit.customer, visit.status
    vehicle, asset = _target(data, visit)
    type_index = _job_type(data, vehicle)
    title = JOB_TYPES[type_index][0]
    start, end = _window(data, visit.day)
    technician = _technician(data, status)
    created = _created_at(data, start)
    job = data.add(
        Job,
        number=data.number("job"),
        customer_id=customer["id"],
        site_id=_site_id(data, customer, vehicle, asset),
        vehicle_id=vehicle["id"] if vehicle else None,
        asset_id=asset["id"] if asset else None,
        job_type_id=data.job_type_ids[type_index],
        technician_id=technician,
        title=title,
        description=_description(title, vehicle, asset),
        status=status,
        window_start=start,
        window_end=end,
        **_notes(data, customer),
        odometer_at_service=visit.odometer,
        services_performed=_work_done(data, visit, vehicle),
        **_times(status, created, end, data.now),
        created_at=created,
    )
    if data.scale.detailed or status not in (JobStatus.COMPLETED, JobStatus.CANCELLED):
        data.add(
            JobStatusChange,
            job_id=job["id"],
            from_status=None,
            to_status=status,
            changed_at=job["status_changed_at"],
            changed_by_id=data.owner_id,
        )
    data.jobs_by_customer.setdefault(customer["id"], []).append(job)
    if status == JobStatus.COMPLETED:
        data.completed_jobs.append(job)
    return job
