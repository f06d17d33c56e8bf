"""Jobs in every status: completed history, cancelled, unscheduled, upcoming, and
active ones today."""

from datetime import date, datetime, timedelta

from ..models import CustomerKind, Job, JobStatus, JobStatusChange
from .catalog import JOB_TYPES, SERVICES
from .context import CompanyData

ACTIVE_TODAY = [JobStatus.ASSIGNED, JobStatus.EN_ROUTE, JobStatus.ARRIVED, JobStatus.IN_PROGRESS]
DEMO_HISTORY = 30  # completed jobs per demo customer: enough to page through
VEHICLE_JOB_TYPES = 5  # the first five job types are for vehicles, the rest for assets


def add_jobs(data: CompanyData) -> None:
    rng = data.rng
    # The demo portal customers (first fleet, consumer, account) get active jobs today.
    demo_customers = data.demo_customers()
    demo_active = len(demo_customers) * len(ACTIVE_TODAY)
    for job_index in range(data.scale.jobs):
        if job_index < demo_active:
            customer = demo_customers[job_index // len(ACTIVE_TODAY)]
            status, day = ACTIVE_TODAY[job_index % len(ACTIVE_TODAY)], data.today
        else:
            customer = data.customers[rng.randrange(len(data.customers))]
            status, day = _status_and_day(data, job_index % 20)
        add_job(data, customer, status, day)
    for customer in demo_customers:
        for _ in range(DEMO_HISTORY):
            add_job(data, customer, JobStatus.COMPLETED, _days_ago(data, 720))


def _days_ago(data: CompanyData, most: int) -> date:
    return data.today - timedelta(days=data.rng.randint(1, most))


def _status_and_day(data: CompanyData, roll: int) -> tuple[JobStatus, date | None]:
    """Out of 20 jobs: 13 completed, 1 cancelled, 1 unscheduled, 3 scheduled, 1 assigned
    and 1 active today."""
    rng = data.rng
    if roll < 13:
        return JobStatus.COMPLETED, _days_ago(data, 720)
    if roll == 13:
        return JobStatus.CANCELLED, _days_ago(data, 200)
    if roll == 14:
        return JobStatus.UNSCHEDULED, None
    if roll < 18:
        return JobStatus.SCHEDULED, data.today + timedelta(days=rng.randint(1, 45))
    if roll == 18:
        return JobStatus.ASSIGNED, data.today + timedelta(days=rng.randint(0, 14))
    return rng.choice(ACTIVE_TODAY), data.today


def _target(data: CompanyData, customer: dict) -> tuple[dict | None, dict | None, int]:
    """(vehicle, asset, job type index): a vehicle of the customer's if it has any,
    else one of its assets."""
    rng = data.rng
    vehicles = data.vehicles_by_customer.get(customer["id"]) or []
    assets = data.assets_by_customer.get(customer["id"]) or []
    vehicle = rng.choice(vehicles) if vehicles else None
    asset = rng.choice(assets) if assets and not vehicle else None
    if vehicle:
        return vehicle, asset, rng.randrange(VEHICLE_JOB_TYPES)
    return vehicle, asset, rng.randrange(VEHICLE_JOB_TYPES, len(JOB_TYPES))


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


def _completion(data: CompanyData, vehicle: dict | None, completed: bool) -> dict:
    """What a completed job recorded: the odometer (for a vehicle) and the work done."""
    rng = data.rng
    odometer = None
    if completed and vehicle:
        odometer = max(0, vehicle["odometer"] - rng.randint(0, 5000))
    return {
        "odometer_at_service": odometer,
        "services_performed": "; ".join(rng.sample(SERVICES, 2)) if completed else None,
    }


def _description(title: str, vehicle: dict | None, asset: dict | None) -> str:
    if vehicle:
        return f"{title} for {vehicle['make']} {vehicle['model']}"
    if asset:
        return f"{title} — {asset['asset_code']}"
    return title


def add_job(data: CompanyData, customer: dict, status: JobStatus, day: date | None) -> dict:
    vehicle, asset, type_index = _target(data, customer)
    title = JOB_TYPES[type_index][0]
    start, end = _window(data, day)
    technician = _technician(data, status)
    created = _created_at(data, start)
    completed = status == JobStatus.COMPLETED
    sites = data.sites_by_customer.get(customer["id"]) or []
    job = data.add(
        Job,
        number=data.number("job"),
        customer_id=customer["id"],
        site_id=(vehicle or asset or {}).get("site_id") or (sites[0]["id"] if sites else None),
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
        **_completion(data, vehicle, completed),
        status_changed_at=(end or data.now) if completed else created,
        completed_at=end if completed else None,
        created_at=created,
        updated_at=end if completed and end else created,
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
    if completed:
        data.completed_jobs.append(job)
    return job
