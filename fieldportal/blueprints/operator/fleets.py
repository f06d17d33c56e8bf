"""Fleet accounts: the index with per-fleet figures, and each fleet's detail page."""

from flask import abort, flash, g, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import EmailField, HiddenField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ...extensions import db
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import ACTIVE_JOB_STATUSES, Capability, Customer, CustomerKind, Job, utcnow
from ...query_args import page_number
from ...services.fleets import (
    FleetQuery,
    fleet_index,
    set_fleet_portal,
    vehicles_with_status,
)
from ...services.portal_auth import (
    FleetShareError,
    email_fleet_portal_link,
    fleet_portal_url,
    is_current_fleet_token,
)
from ...services.portal_auth import regenerate_fleet_token as regenerate_portal_token
from ...services.requests import pending_panel
from . import bp
from .access import get_for_company_or_404, require

HISTORY_PER_PAGE = 20


class RegenerateTokenForm(FlaskForm):
    """Nothing but the CSRF token: the confirmation happens before the POST."""


class FleetLinkEmailForm(FlaskForm):
    to = EmailField(
        "Send to",
        validators=[
            DataRequired(message="Enter the email address to send the link to."),
            Email(message="Enter a valid email address, like name@example.com."),
            Length(max=254),
        ],
        filters=[lambda value: value.strip() if value else value],
    )
    message = TextAreaField("Message (optional)", validators=[Optional(), Length(max=1000)])
    # The link staff were just shown (the raw token exists only in that response).
    token = HiddenField(validators=[Optional(), Length(max=100)])


class FleetPortalForm(FlaskForm):
    enabled = HiddenField("Portal", validators=[AnyOf(["on", "off"], message="Choose on or off.")])


@bp.route("/fleets")
@require(Capability.MANAGE_CUSTOMERS)
def fleets():
    query = FleetQuery.from_args(request.args, money=g.staff.can(Capability.SEE_MONEY))
    context = {"result": fleet_index(g.company, query)}
    if not is_fragment_request():
        context["pending_panel"] = pending_panel(g.company.id)
    return render(
        page="operator/fleets/index.html",
        fragment="partials/operator/_fleet_table.html",
        **context,
    )


def _fleet_or_404(customer_id: int) -> Customer:
    fleet = get_for_company_or_404(Customer, customer_id)
    if fleet.kind != CustomerKind.FLEET:
        abort(404)
    return fleet


def _history(fleet: Customer, page: int) -> dict:
    total = db.session.scalar(select(func.count(Job.id)).where(Job.customer_id == fleet.id))
    pages = max(1, -(-total // HISTORY_PER_PAGE))
    page = max(1, min(page, pages))
    jobs = db.session.scalars(
        select(Job)
        .where(Job.customer_id == fleet.id, Job.company_id == g.company.id)
        .options(joinedload(Job.vehicle), joinedload(Job.technician))
        .order_by(
            func.coalesce(Job.completed_at, Job.window_start, Job.created_at).desc(), Job.id.desc()
        )
        .limit(HISTORY_PER_PAGE)
        .offset((page - 1) * HISTORY_PER_PAGE)
    ).all()
    return {"history": jobs, "history_page": page, "history_pages": pages, "history_total": total}


def _primary_email(fleet: Customer, contacts) -> str | None:
    """Where a fleet's portal link goes by default: its admin contact, any contact, the fleet."""
    ranked = sorted((c for c in contacts if c.email), key=lambda c: not c.is_admin)
    return ranked[0].email if ranked else fleet.email


def _detail_context(
    fleet: Customer, portal_token: str | None = None, share_form: FleetLinkEmailForm | None = None
) -> dict:
    page = page_number(request.args)
    upcoming = db.session.scalars(
        select(Job)
        .where(
            Job.customer_id == fleet.id,
            Job.status.in_(ACTIVE_JOB_STATUSES),
            Job.window_start >= utcnow(),
        )
        .options(joinedload(Job.vehicle), joinedload(Job.technician))
        .order_by(Job.window_start, Job.id)
        .limit(10)
    ).all()
    contacts = [c for c in fleet.contacts if c.removed_at is None]
    if share_form is None:
        share_form = FleetLinkEmailForm(formdata=None, to=_primary_email(fleet, contacts))
    share_form.token.data = portal_token or ""
    return {
        "fleet": fleet,
        "contacts": contacts,
        "vehicles": vehicles_with_status(g.company, fleet),
        "upcoming": upcoming,
        "portal_url": fleet_portal_url(portal_token) if portal_token else None,
        "regenerate_form": RegenerateTokenForm(),
        "share_form": share_form,
        **_history(fleet, page),
    }


@bp.route("/fleets/<int:customer_id>")
@require(Capability.MANAGE_CUSTOMERS)
def fleet_detail(customer_id: int):
    fleet = _fleet_or_404(customer_id)
    if is_fragment_request():
        page = page_number(request.args)
        return render(
            page="operator/fleets/detail.html",
            fragment="partials/operator/_fleet_history.html",
            fleet=fleet,
            **_history(fleet, page),
        )
    return render(page="operator/fleets/detail.html", **_detail_context(fleet))


@bp.route("/fleets/<int:customer_id>/portal-token", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def regenerate_fleet_token(customer_id: int):
    fleet = _fleet_or_404(customer_id)
    form = RegenerateTokenForm()
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect_after_post(url_for("operator.fleet_detail", customer_id=fleet.id))
    token = regenerate_portal_token(fleet, by=g.staff)
    db.session.commit()
    flash("New portal link created. The old link no longer works.", "success")
    return _portal_panel(fleet, portal_token=token)


def _portal_panel(fleet: Customer, status: int = 200, **context):
    """The portal card (page or fragment). The raw token exists only in this response: it
    is never stored nor put in a URL, and the response is not cached."""
    response = render(
        page="operator/fleets/detail.html",
        fragment="partials/operator/_fleet_portal.html",
        status=status,
        **_detail_context(fleet, **context),
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/fleets/<int:customer_id>/portal-link/email", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def email_fleet_link(customer_id: int):
    fleet = _fleet_or_404(customer_id)
    form = FleetLinkEmailForm()
    shown_token = form.token.data or None
    if not form.validate():
        still_shown = shown_token if is_current_fleet_token(fleet, shown_token) else None
        return _portal_panel(fleet, 422, portal_token=still_shown, share_form=form)
    replaced_a_link = shown_token is None and fleet.portal_token_hash is not None
    try:
        token = email_fleet_portal_link(
            fleet,
            to=form.to.data,
            message=form.message.data or "",
            shown_token=shown_token,
            by=g.staff,
        )
    except FleetShareError as error:
        flash(str(error), "error")
        return _portal_panel(fleet, 409, share_form=form)
    db.session.commit()
    flash(
        f"Portal link emailed to {form.to.data}."
        + (" It is a new link: the previous one no longer works." if replaced_a_link else ""),
        "success",
    )
    return _portal_panel(fleet, portal_token=token)


@bp.route("/fleets/<int:customer_id>/portal", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def fleet_portal(customer_id: int):
    fleet = _fleet_or_404(customer_id)
    form = FleetPortalForm()
    if not form.validate_on_submit():
        flash("Choose whether the portal is on or off.", "error")
        return render(
            page="operator/fleets/detail.html",
            fragment="partials/operator/_fleet_portal.html",
            status=422,
            **_detail_context(fleet),
        )
    set_fleet_portal(fleet, form.enabled.data == "on", by=g.staff)
    db.session.commit()
    flash(f"Portal {'on' if fleet.portal_enabled else 'off'} for {fleet.name}.", "success")
    if request.htmx:
        return render(
            page="operator/fleets/detail.html",
            fragment="partials/operator/_fleet_portal.html",
            **_detail_context(fleet),
        )
    return redirect_after_post(url_for("operator.fleet_detail", customer_id=fleet.id))
