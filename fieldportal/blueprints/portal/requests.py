"""Portal: Request service (a pending request, never a job) and My requests.

The form only offers what the contact may use (its sites, its customer's vehicles and
assets, the job types allowed to the customer); services.requests.submit_request checks
every id again, so a forged form gets a message, never someone else's record. With
requests switched off for the company the form is gone (404) and My requests stays.
"""

from flask import abort, flash, g, request, send_from_directory, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import MAX_REQUEST_PHOTOS, PortalPermission, ServiceRequest, Urgency
from ...models import Vehicle as VehicleModel
from ...query_args import database_id, page_number
from ...services.errors import Invalid
from ...services.portal.site_scope import scoped_site_ids
from ...services.work import request_photos
from ...services.work.requests import (
    RequestInput,
    allowed_job_types,
    customer_requests,
    requestable_assets,
    requestable_sites,
    requestable_vehicles,
    submit_request,
)
from ..validators import DATABASE_ID
from . import bp
from .access import get_for_customer_or_404, require_permission

PER_PAGE = 10
# static/js/photo-resize.js shrinks chosen photos to this longest side before they are
# sent, so that four phone photos fit in one request body.
BROWSER_LONGEST_SIDE = 2048


class ServiceRequestForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect already checks every POST

    site_id = IntegerField(validators=[Optional(), DATABASE_ID])
    vehicle_id = IntegerField(validators=[Optional(), DATABASE_ID])
    asset_id = IntegerField(validators=[Optional(), DATABASE_ID])
    job_type_id = IntegerField(validators=[Optional(), DATABASE_ID])
    description = TextAreaField()
    preferred_date = DateField(validators=[Optional()])
    urgency = StringField(default=Urgency.NORMAL.value)

    def values(self, photos: list) -> RequestInput:
        """What the service needs, from the parsed fields and the uploaded photos."""
        return RequestInput(
            description=self.description.data or "",
            site_id=self.site_id.data,
            vehicle_id=self.vehicle_id.data,
            asset_id=self.asset_id.data,
            job_type_id=self.job_type_id.data,
            preferred_date=self.preferred_date.data,
            urgency=self.urgency.data or Urgency.NORMAL.value,
            photos=photos,
        )

    def show_errors(self, errors: dict[str, list[str]]) -> list[str]:
        """Put a refusal's messages on their fields; returns the photos' messages."""
        errors = dict(errors)
        photo_errors = errors.pop("photos", [])
        for name, messages in errors.items():
            getattr(self, name).errors = list(messages)
        return photo_errors


def _may_submit() -> bool:
    """New requests: company has them on, and this is not staff's read-only preview."""
    return bool(g.company.requests_enabled) and not g.get("view_as")


@bp.app_template_global()
def may_request_service() -> bool:
    """For templates: show "Request service" links to the signed-in portal principal?"""
    principal = g.get("principal")
    return bool(principal and principal.may(PortalPermission.REQUESTS) and _may_submit())


@bp.route("/requests")
@require_permission(PortalPermission.REQUESTS)
def requests():
    """My requests: newest first, paginated; visible even when new requests are off."""
    page = page_number(request.args)
    listing = customer_requests(
        g.customer.id, site_ids=scoped_site_ids(g.principal), page=page, per_page=PER_PAGE
    )
    return render(
        "portal/requests/index.html",
        fragment="partials/portal/_requests_panel.html",
        listing=listing,
        may_submit=_may_submit(),
    )


def _form_context(form: ServiceRequestForm, **extra) -> dict:
    principal = g.principal
    return {
        "form": form,
        "sites": requestable_sites(principal),
        "vehicles": requestable_vehicles(principal),
        "assets": requestable_assets(principal),
        "job_types": allowed_job_types(g.customer.id),
        "urgencies": [urgency.value for urgency in Urgency],
        "max_photos": MAX_REQUEST_PHOTOS,
        "photo_longest_side": BROWSER_LONGEST_SIDE,
        **extra,
    }


def _prefill(form: ServiceRequestForm) -> None:
    """``?vehicle_id=`` from a vehicle's "Request this service": that vehicle, its site."""
    vehicle_id = database_id(request.args, "vehicle_id")
    if vehicle_id is None:
        return
    vehicle = get_for_customer_or_404(VehicleModel, vehicle_id)
    if not vehicle.active:
        abort(404)
    form.vehicle_id.data = vehicle.id
    if vehicle.site_id:
        form.site_id.data = vehicle.site_id
    form.description.data = f"Scheduled service for {vehicle.label}"


@bp.get("/requests/new")
@require_permission(PortalPermission.REQUESTS)
def new_request():
    if not _may_submit():
        abort(404)
    form = ServiceRequestForm(formdata=None)
    _prefill(form)
    return render("portal/requests/new.html", **_form_context(form))


@bp.post("/requests/new")
@require_permission(PortalPermission.REQUESTS)
def create_request():
    if not _may_submit():
        abort(404)
    form = ServiceRequestForm()
    photo_errors: list[str] = []
    if form.validate():
        try:
            service_request = submit_request(
                g.principal, g.company, form.values(request.files.getlist("photos"))
            )
        except Invalid as invalid:
            transaction.discard()
            photo_errors = form.show_errors(invalid.errors)
        else:
            flash(
                f"Thanks — request #{service_request.id} was sent. "
                "We will email you when we have looked at it.",
                "success",
            )
            return redirect_after_post(url_for("portal.requests"))
    return render(
        "portal/requests/new.html", status=422, **_form_context(form, photo_errors=photo_errors)
    )


@bp.route("/requests/<int:request_id>/photos/<int:photo_id>/<any(full, thumb):variant>")
@require_permission(PortalPermission.REQUESTS)
def request_photo(request_id: int, photo_id: int, variant: str):
    """A photo of one of this customer's requests; anyone else's answers 404."""
    service_request = get_for_customer_or_404(ServiceRequest, request_id)
    photo = request_photos.photo_of(service_request, photo_id)
    if photo is None:
        abort(404)
    name = photo.filename if variant == "full" else request_photos.thumb_name(photo.filename)
    response = send_from_directory(request_photos.photo_folder(), name, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
