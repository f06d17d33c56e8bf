"""Service requests from the portal: pending, approved (with the job they became) and
declined."""

from datetime import timedelta

from ..models import JobStatus, RequestStatus, ServiceRequest, Urgency
from .catalog import REQUEST_DESCRIPTIONS
from .context import CompanyData
from .jobs import add_job
from .service_history import Visit

STATUSES = [RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.DECLINED]
DECLINE_REASON = "We do not service that vehicle type; try a dealer."


def add_requests(data: CompanyData) -> None:
    demo_customers = data.demo_customers()
    for index in range(data.scale.requests):
        # The three demo customers send the first three (one in each status).
        if index < 3:
            customer = demo_customers[index % len(demo_customers)]
        else:
            customer = data.customers[index * 7 % len(data.customers)]
        _add_request(data, index, customer, STATUSES[index % len(STATUSES)])


def _add_request(data: CompanyData, index: int, customer: dict, status: RequestStatus) -> None:
    rng = data.rng
    vehicles = data.vehicles_by_customer.get(customer["id"]) or []
    sites = data.sites_by_customer.get(customer["id"]) or []
    created = data.now - timedelta(hours=rng.randint(1, 24 * 20))
    job_id = None
    if status == RequestStatus.APPROVED:
        job_id = add_job(data, Visit(customer, JobStatus.UNSCHEDULED, None))["id"]
    decided = status != RequestStatus.PENDING
    data.add(
        ServiceRequest,
        customer_id=customer["id"],
        contact_id=data.contacts_by_customer[customer["id"]][0]["id"],
        site_id=sites[0]["id"] if sites else None,
        vehicle_id=vehicles[0]["id"] if vehicles else None,
        job_type_id=data.job_type_ids[index % 5],
        description=rng.choice(REQUEST_DESCRIPTIONS),
        preferred_date=data.today + timedelta(days=rng.randint(1, 21)),
        urgency=list(Urgency)[index % 4],
        status=status,
        decline_reason=DECLINE_REASON if status == RequestStatus.DECLINED else None,
        decided_at=created + timedelta(hours=2) if decided else None,
        decided_by_id=data.owner_id if decided else None,
        job_id=job_id,
        created_at=created,
    )
