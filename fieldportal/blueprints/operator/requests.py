"""The service-request inbox: pending requests, approved or declined inline.

Each row is one fragment (partials/operator/_request_row.html). A decision answers, for
htmx, the row in its new state plus an HX-Trigger ``requests-changed`` event that every
pending-count badge and panel listens for; a plain form POST gets a 303 to the inbox.
Bad input re-renders the row with messages (422); a request someone else decided first
re-renders it decided, with who did it (409).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, g, request, send_from_directory, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import Optional

from ...extensions import db
from ...htmx import add_trigger, redirect_after_post, render
from ...models import (
    Customer,
    JobType,
    RequestPhoto,
    RequestStatus,
    ServiceRequest,
    StaffRole,
    StaffUser,
    Urgency,
)
from ...services.operator_home import pending_request_count
from ...services.request_photos import photo_folder, thumb_name
from ...services.requests import (
    AlreadyDecided,
    DecisionInvalid,
    approve_request,
    decline_request,
    inbox,
    load_request_row,
    pending_panel,
)
from ..validators import DATABASE_ID, PAGE_NUMBER
from . import bp
from .access import get_for_company_or_404, require_roles

OFFICE = (StaffRole.OWNER, StaffRole.DISPATCHER)
DEFAULT_WINDOW = timedelta(hours=2)
STATUS_FILTERS = {"pending": RequestStatus.PENDING, "approved": RequestStatus.APPROVED}
STATUS_FILTERS |= {"declined": RequestStatus.DECLINED, "all": None}


class InboxFilters(FlaskForm):
    class Meta:
        csrf = False

    status = StringField(default="pending")
    urgency = StringField()
    customer_id = IntegerField(validators=[Optional(), DATABASE_ID])
    job_type_id = IntegerField(validators=[Optional(), DATABASE_ID])
    page = IntegerField(default=1, validators=[Optional(), PAGE_NUMBER])


class ApproveForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST already

    date = DateField(validators=[Optional()])
    start = TimeField(validators=[Optional()])
    end = TimeField(validators=[Optional()])
    technician_id = IntegerField(validators=[Optional(), DATABASE_ID])


class DeclineForm(FlaskForm):
    class Meta:
        csrf = False

    reason = TextAreaField()


def _technicians() -> list[StaffUser]:
    return list(
        db.session.scalars(
            select(StaffUser)
            .where(
                StaffUser.company_id == g.company.id,
                StaffUser.role == StaffRole.TECHNICIAN,
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.name)
        )
    )


def _filter_choices() -> dict:
    customers = db.session.execute(
        select(Customer.id, Customer.name)
        .where(
            Customer.company_id == g.company.id,
            Customer.id.in_(
                select(ServiceRequest.customer_id).where(ServiceRequest.company_id == g.company.id)
            ),
        )
        .order_by(Customer.name)
    ).all()
    job_types = db.session.execute(
        select(JobType.id, JobType.name)
        .where(JobType.company_id == g.company.id)
        .order_by(JobType.name)
    ).all()
    return {"customer_choices": customers, "job_type_choices": job_types}


@bp.route("/requests")
@require_roles(*OFFICE)
def requests():
    filters = InboxFilters(request.args)
    filters.validate()
    status_key = filters.status.data if filters.status.data in STATUS_FILTERS else "pending"
    urgency_values = {urgency.value for urgency in Urgency}
    urgency = Urgency(filters.urgency.data) if filters.urgency.data in urgency_values else None
    listing = inbox(
        g.company.id,
        status=STATUS_FILTERS[status_key],
        urgency=urgency,
        customer_id=filters.customer_id.data if not filters.customer_id.errors else None,
        job_type_id=filters.job_type_id.data if not filters.job_type_id.errors else None,
        page=max(1, filters.page.data or 1) if not filters.page.errors else 1,
    )
    return render(
        "operator/requests/index.html",
        fragment="partials/operator/_request_list.html",
        listing=listing,
        filters=filters,
        status_key=status_key,
        technicians=_technicians(),
        pending_count=pending_request_count(g.company.id),
        **_filter_choices(),
    )


def _row_or_404(request_id: int) -> ServiceRequest:
    service_request = load_request_row(request_id, g.company.id)
    if service_request is None:
        abort(404)
    return service_request


def _render_row(service_request, status=200, **extra):
    return render(
        "operator/requests/show.html",
        fragment="partials/operator/_request_row.html",
        status=status,
        r=service_request,
        technicians=_technicians(),
        **extra,
    )


@bp.route("/requests/<int:request_id>")
@require_roles(*OFFICE)
def request_detail(request_id: int):
    return _render_row(_row_or_404(request_id))


def _window(form: ApproveForm):
    """The chosen window as UTC datetimes, None when no date was given, or field errors."""
    if not (form.date.data or form.start.data or form.end.data):
        return None, {}
    errors = {}
    if not form.date.data:
        errors["date"] = ["Pick a date for the window."]
    if not form.start.data:
        errors["start"] = ["Pick a start time."]
    if errors:
        return None, errors
    zone = ZoneInfo(g.company.time_zone)
    start = datetime.combine(form.date.data, form.start.data, tzinfo=zone)
    end = (
        datetime.combine(form.date.data, form.end.data, tzinfo=zone)
        if form.end.data
        else start + DEFAULT_WINDOW
    )
    return (start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))), {}


def _decided(service_request: ServiceRequest, message: str):
    """After a decision: htmx gets the row and the event; a plain POST a 303 to the inbox."""
    if request.htmx:
        response = _render_row(service_request)
        return add_trigger(response, "requests-changed", {"id": service_request.id})
    flash(message, "success")
    return redirect_after_post(url_for("operator.requests"))


def _conflict(error: AlreadyDecided):
    service_request = _row_or_404(error.request.id)
    response = _render_row(service_request, status=409, conflict=str(error))
    return add_trigger(response, "requests-changed", {"id": service_request.id})


@bp.route("/requests/<int:request_id>/approve", methods=["POST"])
@require_roles(*OFFICE)
def request_approve(request_id: int):
    service_request = _row_or_404(request_id)
    form = ApproveForm()
    form.validate()
    errors = {name: list(messages) for name, messages in form.errors.items()}
    window, window_errors = _window(form) if not errors else (None, {})
    errors |= window_errors
    technician = None
    if not errors and form.technician_id.data:
        technician = db.session.get(StaffUser, form.technician_id.data)
        if technician is None or technician.company_id != g.company.id:
            errors["technician_id"] = ["Choose one of your technicians."]
    if not errors:
        try:
            job = approve_request(service_request, by=g.staff, window=window, technician=technician)
        except AlreadyDecided as error:
            return _conflict(error)
        except DecisionInvalid as error:
            errors = error.errors
        else:
            db.session.commit()
            message = f"Request #{service_request.id} approved as job #{job.number}."
            return _decided(_row_or_404(request_id), message)
    db.session.rollback()
    return _render_row(
        _row_or_404(request_id), status=422, approve_errors=errors, approve_values=request.form
    )


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@require_roles(*OFFICE)
def request_decline(request_id: int):
    service_request = _row_or_404(request_id)
    form = DeclineForm()
    try:
        decline_request(service_request, by=g.staff, reason=form.reason.data or "")
    except AlreadyDecided as error:
        return _conflict(error)
    except DecisionInvalid as error:
        db.session.rollback()
        return _render_row(
            _row_or_404(request_id),
            status=422,
            decline_errors=error.errors,
            decline_values=request.form,
        )
    db.session.commit()
    return _decided(_row_or_404(request_id), f"Request #{service_request.id} declined.")


@bp.route("/requests/<int:request_id>/photos/<int:photo_id>/<any(full, thumb):variant>")
@require_roles(*OFFICE)
def request_photo(request_id: int, photo_id: int, variant: str):
    """A request's photo, only for staff of the request's company (else 404)."""
    photo = get_for_company_or_404(RequestPhoto, photo_id)
    if photo.request_id != request_id:
        abort(404)
    name = photo.filename if variant == "full" else thumb_name(photo.filename)
    response = send_from_directory(photo_folder(), name, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/requests/pending-count")
@require_roles(*OFFICE)
def requests_pending_count():
    """The pending-count badge alone; badges re-fetch it on ``requests-changed``."""
    return render(
        "partials/operator/_pending_count.html",
        pending_count=pending_request_count(g.company.id),
    )


@bp.route("/requests/panel")
@require_roles(*OFFICE)
def requests_panel():
    """The pending-requests panel (count and newest few) other pages include."""
    return render(
        "partials/operator/_pending_requests_panel.html",
        pending_panel=pending_panel(g.company.id),
    )
