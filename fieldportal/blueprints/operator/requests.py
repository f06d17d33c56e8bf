"""The service-request inbox: pending requests, approved or declined inline.

Each row is one fragment (partials/operator/_request_row.html). A decision answers, for
htmx, the row in its new state plus an HX-Trigger ``requests-changed`` event that every
pending-count badge and panel listens for; a plain form POST gets a 303 to the inbox.
Bad input re-renders the row with messages (422); a request someone else decided first
re-renders it decided, with who did it (409). The decision services refuse before writing
anything, and the commit point rolls a refused request back, so the row shown after a
refusal is the database's.
"""

from flask import abort, flash, g, request, send_from_directory, url_for

from ... import csv_export
from ...htmx import add_trigger, is_fragment_request, redirect_after_post, render
from ...live_updates import polled
from ...models import Capability, RequestPhoto, RequestStatus, ServiceRequest, Urgency
from ...services.clock import company_zone
from ...services.errors import Invalid
from ...services.exports import lists as exports
from ...services.work import requests
from ...services.work.request_photos import photo_folder, thumb_name
from . import bp
from .access import get_for_company_or_404, require
from .forms import ApproveForm, DeclineForm, InboxFilters

STATUS_FILTERS = {"pending": RequestStatus.PENDING, "approved": RequestStatus.APPROVED}
STATUS_FILTERS |= {"declined": RequestStatus.DECLINED, "all": None}
URGENCIES = {urgency.value: urgency for urgency in Urgency}


@bp.get("/requests")
@require(Capability.APPROVE_REQUESTS)
def inbox():
    filters = InboxFilters(request.args)
    filters.validate()
    status_key = filters.status.data if filters.status.data in STATUS_FILTERS else "pending"
    chosen = {
        "status": STATUS_FILTERS[status_key],
        "urgency": URGENCIES.get(filters.urgency.data),
        "customer_id": filters.valid("customer_id"),
        "job_type_id": filters.valid("job_type_id"),
    }
    if csv_export.wants_csv(request.args):
        export = exports.requests_inbox(g.company, **chosen)
        return csv_export.download(export, g.company, request.args)
    page = requests.inbox_view(g.company.id, page=filters.valid("page") or 1, **chosen)
    return render(
        "operator/requests/index.html",
        fragment="partials/operator/_request_list.html",
        filters=filters,
        status_key=status_key,
        **vars(page),
    )


def _load_row(request_id: int) -> ServiceRequest:
    """The request with everything its row shows, if it is this company's; else 404."""
    service_request = requests.load_request_row(request_id, g.company.id)
    if service_request is None:
        abort(404)
    return service_request


def _render_row(service_request: ServiceRequest, status: int = 200, **extra):
    return render(
        "operator/requests/show.html",
        fragment="partials/operator/_request_row.html",
        status=status,
        r=service_request,
        technicians=requests.row_technicians(service_request),
        **extra,
    )


@bp.get("/requests/<int:request_id>")
@require(Capability.APPROVE_REQUESTS)
def request_detail(request_id: int):
    return _render_row(_load_row(request_id))


def _refused(service_request: ServiceRequest, action: str, errors: dict):
    """The row again (422) with the messages and what was typed into the ``action`` form."""
    return _render_row(
        service_request,
        status=422,
        **{f"{action}_errors": errors, f"{action}_values": request.form},
    )


def _decided(service_request: ServiceRequest, message: str):
    """After a decision: htmx gets the row and the event; a plain POST a 303 to the inbox."""
    if is_fragment_request():
        response = _render_row(service_request)
        return add_trigger(response, "requests-changed", {"id": service_request.id})
    flash(message, "success")
    return redirect_after_post(url_for("operator.inbox"))


def _conflict(error: requests.AlreadyDecided):
    response = _render_row(error.request, status=409, conflict=str(error))
    return add_trigger(response, "requests-changed", {"id": error.request.id})


@bp.post("/requests/<int:request_id>/approve")
@require(Capability.APPROVE_REQUESTS)
def request_approve(request_id: int):
    service_request = _load_row(request_id)
    form = ApproveForm()
    if not form.validate():
        return _refused(service_request, "approve", form.errors)
    try:
        job = requests.approve_request(
            service_request,
            by=g.staff,
            window=form.window(company_zone(g.company)),
            technician_id=form.technician_id.data,
        )
    except requests.AlreadyDecided as error:
        return _conflict(error)
    except Invalid as error:
        return _refused(service_request, "approve", error.errors)
    return _decided(service_request, f"Request #{request_id} approved as job #{job.number}.")


@bp.post("/requests/<int:request_id>/decline")
@require(Capability.APPROVE_REQUESTS)
def request_decline(request_id: int):
    service_request = _load_row(request_id)
    form = DeclineForm()
    try:
        requests.decline_request(service_request, by=g.staff, reason=form.reason.data or "")
    except requests.AlreadyDecided as error:
        return _conflict(error)
    except Invalid as error:
        return _refused(service_request, "decline", error.errors)
    return _decided(service_request, f"Request #{request_id} declined.")


@bp.get("/requests/<int:request_id>/photos/<int:photo_id>/<any(full, thumb):variant>")
@require(Capability.APPROVE_REQUESTS)
def request_photo(request_id: int, photo_id: int, variant: str):
    """A request's photo, only for staff of the request's company (else 404)."""
    photo = get_for_company_or_404(RequestPhoto, photo_id)
    if photo.request_id != request_id:
        abort(404)
    name = photo.filename if variant == "full" else thumb_name(photo.filename)
    response = send_from_directory(photo_folder(), name, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/requests/pending-count")
@require(Capability.APPROVE_REQUESTS)
@polled
def requests_pending_count():
    """The pending-count badge alone; badges re-fetch it on ``requests-changed`` and every
    few seconds (304 while unchanged)."""
    return render(
        "partials/operator/_pending_count.html",
        pending_count=requests.pending_count(g.company.id),
    )


@bp.get("/requests/panel")
@require(Capability.APPROVE_REQUESTS)
def requests_panel():
    """The pending-requests panel (count and newest few) other pages include."""
    return render(
        "partials/operator/_pending_requests_panel.html",
        pending_panel=requests.pending_panel(g.company.id),
    )
