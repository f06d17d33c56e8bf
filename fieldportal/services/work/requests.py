"""Service requests: a customer asks for work, staff approve (→ a job) or decline.

submit_request checks every id against what the signed-in contact may use, so a forged
form cannot reach another customer's site, vehicle or job type. A request gets exactly
one decision: the decision is claimed with one atomic UPDATE … WHERE status = 'pending',
so two staff clicking at once cannot both win, on any database.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import (
    MAX_REQUEST_PHOTOS,
    Asset,
    Company,
    Customer,
    CustomerJobType,
    Job,
    JobStatus,
    JobStatusChange,
    JobType,
    ReminderKind,
    RequestPhoto,
    RequestStatus,
    ServiceRequest,
    Site,
    StaffRole,
    StaffUser,
    Urgency,
    Vehicle,
    utcnow,
)
from ...pagination import COUNT_LIMIT, ListQuery, Page, paginate
from .. import audit, notifications
from ..billing.numbering import next_number
from ..clock import company_today
from ..errors import Conflict, Invalid
from ..mail import mailer
from ..portal.site_scope import customer_records, site_condition
from . import jobs  # a module: jobs → notifications → … → requests imports it half-built
from .request_photos import PhotoRejected, prepare_photo, store_photo

MAX_DESCRIPTION = 4000
MAX_REASON = 1000
PANEL_SIZE = 5


class AlreadyDecided(Conflict):
    """Someone else decided this request first; the message says who and how."""

    def __init__(self, request: ServiceRequest):
        self.request = request
        if request.status == RequestStatus.PENDING:  # another company's staff: not theirs
            super().__init__("This request cannot be decided here.")
            return
        who = request.decided_by.name if request.decided_by else "someone else"
        super().__init__(f"This request was already {request.status.value} by {who}.")


# ---------------------------------------------------------------- what a contact may use


def requestable_sites(principal) -> list[Site]:
    """The sites a contact may request work at: those of its customer it sees."""
    return list(db.session.scalars(customer_records(principal, Site).order_by(Site.name)))


def allowed_job_types(customer_id: int) -> list[JobType]:
    """Active job types this customer may request (CustomerJobType)."""
    return list(
        db.session.scalars(
            select(JobType)
            .join(CustomerJobType, CustomerJobType.job_type_id == JobType.id)
            .where(CustomerJobType.customer_id == customer_id, JobType.active.is_(True))
            .order_by(JobType.name)
        )
    )


def _requestable(principal, model, query=None):
    """Active vehicles or assets of the contact's customer at the sites it sees: what the
    form offers is exactly what a submitted form may name."""
    return customer_records(principal, model, query).where(model.active.is_(True))


def requestable_vehicles(principal) -> list[Vehicle]:
    query = _requestable(principal, Vehicle).order_by(Vehicle.make, Vehicle.model, Vehicle.plate)
    return list(db.session.scalars(query))


def requestable_assets(principal) -> list[Asset]:
    return list(db.session.scalars(_requestable(principal, Asset).order_by(Asset.asset_code)))


def _is_requestable(principal, model, object_id: int) -> bool:
    query = _requestable(principal, model, select(model.id)).where(model.id == object_id)
    return db.session.scalar(query) is not None


# ---------------------------------------------------------------- submitting


@dataclass
class RequestInput:
    """What the form sends, already parsed to Python values (ids, date, urgency)."""

    description: str
    site_id: int | None = None
    vehicle_id: int | None = None
    asset_id: int | None = None
    job_type_id: int | None = None
    preferred_date: date | None = None
    urgency: str = Urgency.NORMAL.value
    photos: list = field(default_factory=list)


def _check_request(principal, company: Company, data: RequestInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    description = (data.description or "").strip()
    if not description:
        fail("description", "Describe what you need.")
    elif "\x00" in description:
        fail("description", "Remove the unprintable characters from the description.")
    elif len(description) > MAX_DESCRIPTION:
        fail("description", f"Keep the description under {MAX_DESCRIPTION} characters.")

    sites = requestable_sites(principal)
    if data.site_id is not None:
        if data.site_id not in {site.id for site in sites}:
            fail("site_id", "Choose one of your sites.")
    elif sites:
        fail("site_id", "Choose a site.")

    if data.vehicle_id is not None and data.asset_id is not None:
        fail("asset_id", "Choose a vehicle or an asset, not both.")
    if data.vehicle_id is not None and not _is_requestable(principal, Vehicle, data.vehicle_id):
        fail("vehicle_id", "Choose one of your vehicles.")
    if data.asset_id is not None and not _is_requestable(principal, Asset, data.asset_id):
        fail("asset_id", "Choose one of your assets.")

    types = allowed_job_types(principal.customer_id)
    if data.job_type_id is not None:
        if data.job_type_id not in {job_type.id for job_type in types}:
            fail("job_type_id", "Choose one of the listed services.")
    elif types:
        fail("job_type_id", "Choose a service.")

    if data.preferred_date is not None and data.preferred_date < company_today(company):
        fail("preferred_date", "Choose today or a later date.")

    if data.urgency not in {urgency.value for urgency in Urgency}:
        fail("urgency", "Choose an urgency.")

    photos = [photo for photo in data.photos if photo and getattr(photo, "filename", True)]
    if len(photos) > MAX_REQUEST_PHOTOS:
        fail("photos", f"Attach at most {MAX_REQUEST_PHOTOS} photos.")
    return errors


def submit_request(principal, company: Company, data: RequestInput) -> ServiceRequest:
    """Create a pending request (never a job) for the principal's customer.

    Raises Invalid (field → messages) when a rule is broken; nothing is stored then.
    Photos are written to UPLOAD_FOLDER only once every check has passed.
    """
    errors = _check_request(principal, company, data)
    photos = [photo for photo in data.photos if photo and getattr(photo, "filename", True)]
    prepared = []
    if "photos" not in errors:
        for position, upload in enumerate(photos, start=1):
            name = getattr(upload, "filename", None) or f"Photo {position}"
            try:
                prepared.append(prepare_photo(upload))
            except PhotoRejected as problem:
                errors.setdefault("photos", []).append(f"{name} {problem}")
    if errors:
        raise Invalid(errors=errors)

    contact_id = principal.id if getattr(principal, "is_contact", False) else None
    service_request = ServiceRequest(
        company_id=company.id,
        customer_id=principal.customer_id,
        contact_id=contact_id,
        site_id=data.site_id,
        vehicle_id=data.vehicle_id,
        asset_id=data.asset_id,
        # The emails name the service: the object, not only its id.
        job_type=db.session.get(JobType, data.job_type_id) if data.job_type_id else None,
        description=data.description.strip(),
        preferred_date=data.preferred_date,
        urgency=Urgency(data.urgency),
        status=RequestStatus.PENDING,
        photos=[],
    )
    db.session.add(service_request)
    db.session.flush()
    for photo in prepared:
        service_request.photos.append(
            RequestPhoto(
                company_id=company.id,
                filename=store_photo(photo, db.session()),
                content_type=photo.content_type,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.data),
            )
        )
    db.session.flush()

    audit.record(
        company.id,
        "request.submitted",
        actor=principal if contact_id else None,
        subject=service_request,
        summary=f"Service request #{service_request.id} submitted",
        photos=len(prepared),
    )
    _email_requester(
        service_request,
        company,
        "request_received",
        "We received your service request",
        notification=ReminderKind.REQUEST_RECEIVED,
    )
    return service_request


# ---------------------------------------------------------------- deciding


def _recipient(service_request: ServiceRequest) -> str | None:
    if service_request.contact and service_request.contact.email:
        return service_request.contact.email
    return service_request.customer.email


def _email_requester(
    service_request: ServiceRequest,
    company: Company,
    kind: str,
    subject: str,
    notification: ReminderKind | None = None,
    **context,
) -> None:
    """Queue the ``kind`` email (also its template's name) to whoever made the request;
    a ``notification`` kind only when the company and the address want it, and once."""
    recipient = _recipient(service_request)
    email = dict(
        subject=f"{subject} — {company.name}",
        service_request=service_request,
        requests_url=_portal_requests_url(company),
        **context,
    )
    if notification is not None:
        notifications.notify(
            company, notification, service_request, service_request.created_at, recipient, **email
        )
    elif recipient:
        mailer.queue(
            to=recipient,
            kind=kind,
            template=kind,
            company=company,
            related=service_request,
            **email,
        )


def _portal_requests_url(company: Company) -> str | None:
    """My requests in the company's portal, from BASE_URL (works outside a request too)."""
    if "portal.requests" not in current_app.view_functions:
        return None
    path = current_app.url_map.bind("").build("portal.requests", {"company_slug": company.slug})
    return current_app.config["BASE_URL"] + path


def _check_undecided(service_request: ServiceRequest, by: StaffUser) -> None:
    """Refuse at once a request already decided (or not this staff's company); the atomic
    claim still settles two decisions made at the same moment."""
    if (
        service_request.status != RequestStatus.PENDING
        or service_request.company_id != by.company_id
    ):
        raise AlreadyDecided(service_request)


def _claim(
    service_request: ServiceRequest,
    by: StaffUser,
    status: RequestStatus,
    *,
    job: Job | None = None,
    decline_reason: str | None = None,
) -> None:
    """Take the one decision with an atomic UPDATE; raise AlreadyDecided if it was taken."""
    decision = {
        "status": status,
        "decided_at": utcnow(),
        "decided_by_id": by.id,
        "decline_reason": decline_reason,
        "job_id": job.id if job else None,
    }
    result = db.session.execute(
        update(ServiceRequest)
        .where(
            ServiceRequest.id == service_request.id,
            ServiceRequest.company_id == by.company_id,
            ServiceRequest.status == RequestStatus.PENDING,
        )
        .values(**decision)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyDecided(_reload_row(service_request.id))
    # The row in hand takes what the UPDATE wrote, so the answer shows it decided without
    # reading it again.
    for name, value in (decision | {"decided_by": by, "job": job}).items():
        set_committed_value(service_request, name, value)


def _job_title(service_request: ServiceRequest) -> str:
    if service_request.job_type:
        return service_request.job_type.name[:160]
    first_line = service_request.description.strip().splitlines()[0]
    return first_line[:160] or "Service request"


def _initial_status(company: Company, window, technician) -> JobStatus:
    """The planned status of a job with this window and technician (jobs.planned_status);
    with neither, the company's default."""
    if technician is not None or window is not None:
        return jobs.planned_status(
            window[0] if window else None, technician.id if technician else None
        )
    try:
        return JobStatus(company.default_job_status)
    except ValueError:
        return JobStatus.UNSCHEDULED


def _check_decision_input(
    service_request: ServiceRequest, window, technician_id: int | None
) -> StaffUser | None:
    """Refuse a window ending before it starts or someone not an active technician of the
    company; returns the technician."""
    errors: dict[str, list[str]] = {}
    if window is not None:
        start, end = window
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("window times must be timezone-aware")
        if end <= start:
            errors["window_end"] = ["The window must end after it starts."]
    technician = db.session.get(StaffUser, technician_id) if technician_id else None
    if technician_id and not jobs.is_our_technician(technician, service_request.company_id):
        errors["technician_id"] = ["Choose one of your technicians."]
    if errors:
        raise Invalid(errors=errors)
    return technician


def approve_request(
    service_request: ServiceRequest,
    *,
    by: StaffUser,
    window: tuple[datetime, datetime] | None = None,
    technician_id: int | None = None,
) -> Job:
    """Approve a pending request: create its job, link it, email the customer, audit.

    The job is unscheduled (the company's default status) unless a window is given
    (scheduled) or a technician (assigned). Raises Invalid for a bad window or technician
    and AlreadyDecided if another decision won, before writing anything when it can.
    The request in hand comes back decided, with its job, ready to show.
    """
    technician = _check_decision_input(service_request, window, technician_id)
    _check_undecided(service_request, by)
    company = db.session.get(Company, service_request.company_id)
    status = _initial_status(company, window, technician)
    job = Job(
        company_id=company.id,
        number=next_number(company.id, "job"),
        customer_id=service_request.customer_id,
        site_id=service_request.site_id,
        vehicle_id=service_request.vehicle_id,
        asset_id=service_request.asset_id,
        job_type_id=service_request.job_type_id,
        technician=technician,
        title=_job_title(service_request),
        description=service_request.description,
        status=status,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        status_changed_at=utcnow(),
    )
    db.session.add(job)
    db.session.add(
        JobStatusChange(
            company_id=company.id, job=job, from_status=None, to_status=status, changed_by_id=by.id
        )
    )
    db.session.flush()
    # The claim links the job in the same UPDATE: an approved request always has its job.
    _claim(service_request, by, RequestStatus.APPROVED, job=job)
    audit.record(
        company.id,
        "request.approved",
        actor=by,
        subject=service_request,
        summary=f"Service request #{service_request.id} approved as job #{job.number}",
        job_id=job.id,
        job_number=job.number,
    )
    _email_requester(
        service_request, company, "request_approved", "Your service request was approved", job=job
    )
    return job


def decline_request(service_request: ServiceRequest, *, by: StaffUser, reason: str) -> None:
    """Decline a pending request with a reason the customer will read; email and audit.

    Raises Invalid for an empty or overlong reason, AlreadyDecided if another decision
    won. The request in hand comes back declined, ready to show.
    """
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": ["Give the customer a reason."]})
    if "\x00" in reason:
        raise Invalid(errors={"reason": ["Remove the unprintable characters from the reason."]})
    if len(reason) > MAX_REASON:
        raise Invalid(errors={"reason": [f"Keep the reason under {MAX_REASON} characters."]})
    _check_undecided(service_request, by)
    _claim(service_request, by, RequestStatus.DECLINED, decline_reason=reason)
    company = db.session.get(Company, service_request.company_id)
    audit.record(
        company.id,
        "request.declined",
        actor=by,
        subject=service_request,
        summary=f"Service request #{service_request.id} declined",
        reason=reason,
    )
    _email_requester(service_request, company, "request_declined", "About your service request")


# ---------------------------------------------------------------- reading


_ROW_RELATIONS = (
    ServiceRequest.customer,
    ServiceRequest.contact,
    ServiceRequest.site,
    ServiceRequest.vehicle,
    ServiceRequest.asset,
    ServiceRequest.job_type,
    ServiceRequest.decided_by,
    ServiceRequest.job,
)


def export_options() -> tuple:
    """What an inbox row's CSV line shows: the row's records, without its photos."""
    return tuple(joinedload(relation) for relation in _ROW_RELATIONS)


def _row_options(photos=selectinload):
    """Everything an inbox row shows. A list loads the photos in one more query; a single
    row joins them (``photos=joinedload``)."""
    return (*export_options(), photos(ServiceRequest.photos))


def load_request_row(request_id: int, company_id: int) -> ServiceRequest | None:
    """One request with everything its inbox row shows, or None if not this company's."""
    return (
        db.session.execute(
            select(ServiceRequest)
            .options(*_row_options(photos=joinedload))
            .where(ServiceRequest.id == request_id, ServiceRequest.company_id == company_id)
        )
        .unique()
        .scalar_one_or_none()
    )


def _reload_row(request_id: int) -> ServiceRequest:
    """The row as the database has it now (after another decision won), fully loaded."""
    return (
        db.session.execute(
            select(ServiceRequest)
            .options(*_row_options(photos=joinedload))
            .where(ServiceRequest.id == request_id)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one()
    )


def technicians(company_id: int) -> list[StaffUser]:
    """The company's active technicians, by name: whom a request's job may go to."""
    return list(
        db.session.scalars(
            select(StaffUser)
            .where(
                StaffUser.company_id == company_id,
                StaffUser.role == StaffRole.TECHNICIAN,
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.name)
        )
    )


def inbox(company_id: int, *, page: int = 1, per_page: int = 25, **filters) -> Page[ServiceRequest]:
    """One page of the company's requests (``inbox_select``'s filters), newest first; rows
    eager-loaded (constant queries)."""
    statement = inbox_select(company_id, **filters).options(*_row_options())
    return paginate(statement, ListQuery(page=page), per_page=per_page, count_limit=COUNT_LIMIT)


def inbox_select(
    company_id: int,
    *,
    status: RequestStatus | None = RequestStatus.PENDING,
    urgency: Urgency | None = None,
    customer_id: int | None = None,
    job_type_id: int | None = None,
) -> Select:
    """The company's requests with this status (None: all), urgency, customer and job
    type, newest first: the inbox pages it, the CSV export reads it whole."""
    conditions = [ServiceRequest.company_id == company_id]
    if status is not None:
        conditions.append(ServiceRequest.status == status)
    if urgency is not None:
        conditions.append(ServiceRequest.urgency == urgency)
    if customer_id is not None:
        conditions.append(ServiceRequest.customer_id == customer_id)
    if job_type_id is not None:
        conditions.append(ServiceRequest.job_type_id == job_type_id)
    return (
        select(ServiceRequest)
        .where(*conditions)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    )


@dataclass
class PendingPanel:
    count: int
    newest: list[ServiceRequest]


def pending_panel(company_id: int, size: int = PANEL_SIZE) -> PendingPanel:
    """The pending count and the newest few pending requests (for the panel)."""
    page = inbox(company_id, per_page=size)
    return PendingPanel(count=page.total, newest=page.items)


def pending_count(company_id: int) -> int:
    """How many of the company's requests wait for a decision (the badge)."""
    return db.session.scalar(
        select(func.count(ServiceRequest.id)).where(
            ServiceRequest.company_id == company_id,
            ServiceRequest.status == RequestStatus.PENDING,
        )
    )


def row_technicians(service_request: ServiceRequest) -> list[StaffUser]:
    """Whom a row's approve form offers: nobody once the request is decided."""
    if service_request.status != RequestStatus.PENDING:
        return []
    return technicians(service_request.company_id)


@dataclass(frozen=True)
class InboxView:
    """What the inbox page shows: one page of rows, the approve form's technicians, the
    pending badge, the customer it is narrowed to (None: any) and the filters' options."""

    listing: Page[ServiceRequest]
    technicians: list[StaffUser]
    pending_count: int
    customer: Customer | None
    job_type_choices: list[tuple[int, str]]


def inbox_view(company_id: int, **filters) -> InboxView:
    """The inbox page for these ``inbox`` filters. The customer filter is chosen from a
    request's row (a list of every customer who ever asked would grow with them), so only
    the chosen customer is read, by id; another company's id finds none (and no rows)."""
    customer_id = filters.get("customer_id")
    customer = None
    if customer_id is not None:
        customer = db.session.scalar(
            select(Customer).where(Customer.id == customer_id, Customer.company_id == company_id)
        )
    job_types = db.session.execute(
        select(JobType.id, JobType.name)
        .where(JobType.company_id == company_id)
        .order_by(JobType.name)
    ).all()
    return InboxView(
        listing=inbox(company_id, **filters),
        technicians=technicians(company_id),
        pending_count=pending_count(company_id),
        customer=customer,
        job_type_choices=[tuple(row) for row in job_types],
    )


def customer_requests(
    customer_id: int, *, site_ids: set[int] | None = None, page: int = 1, per_page: int = 20
) -> Page[ServiceRequest]:
    """A customer's own requests (only these sites' when site_ids is given), newest first,
    with their job (for My requests)."""
    conditions = [ServiceRequest.customer_id == customer_id]
    if (in_sites := site_condition(ServiceRequest, site_ids)) is not None:
        conditions.append(in_sites)
    statement = (
        select(ServiceRequest)
        .options(
            joinedload(ServiceRequest.site),
            joinedload(ServiceRequest.vehicle),
            joinedload(ServiceRequest.asset),
            joinedload(ServiceRequest.job_type),
            joinedload(ServiceRequest.job),
            selectinload(ServiceRequest.photos),
        )
        .where(*conditions)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    )
    return paginate(statement, ListQuery(page=page), per_page=per_page)
