"""Fleet accounts: the index with per-fleet figures, and each fleet's detail page."""

from flask import abort, flash, g, request, url_for

from ... import csv_export
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, Customer, CustomerKind
from ...pagination import ListQuery
from ...services.exports import lists as exports
from ...services.fleet import fleets
from ...services.portal import portal_auth
from . import bp
from .access import get_for_company_or_404, require
from .forms import FleetLinkEmailForm, FleetPortalForm


@bp.get("/fleets")
@require(Capability.MANAGE_CUSTOMERS)
def fleet_list():
    money = g.staff.can(Capability.SEE_MONEY)
    query = fleets.FleetQuery.from_args(request.args, money=money)
    if csv_export.wants_csv(request.args):
        export = exports.fleets_list(g.company, query, money=money)
        return csv_export.download(export, g.company, request.args)
    page = fleets.index_view(g.company, query, with_panel=not is_fragment_request())
    return render(
        page="operator/fleets/index.html",
        fragment="partials/operator/_fleet_table.html",
        **vars(page),
    )


def _load_fleet(customer_id: int) -> Customer:
    """The fleet customer with this id, if it is this company's; else 404."""
    fleet = get_for_company_or_404(Customer, customer_id)
    if fleet.kind != CustomerKind.FLEET:
        abort(404)
    return fleet


def _detail(
    fleet: Customer,
    status: int = 200,
    *,
    fragment: str | None = None,
    portal_token: str | None = None,
    share_form: FleetLinkEmailForm | None = None,
):
    """The fleet's page, or for htmx its ``fragment``. ``portal_token`` is a raw token just
    made, shown once in the portal card."""
    detail = fleets.fleet_detail(g.company, fleet, ListQuery.from_args(request.args))
    share_form = share_form or FleetLinkEmailForm(formdata=None, to=detail.share_to)
    share_form.token.data = portal_token or ""
    return render(
        page="operator/fleets/detail.html",
        fragment=fragment,
        status=status,
        fleet=fleet,
        portal_url=portal_auth.fleet_portal_url(portal_token) if portal_token else None,
        share_form=share_form,
        **vars(detail),
    )


@bp.get("/fleets/<int:customer_id>")
@require(Capability.MANAGE_CUSTOMERS)
def fleet_detail(customer_id: int):
    fleet = _load_fleet(customer_id)
    if csv_export.wants_csv(request.args):
        export = exports.fleet_vehicles(g.company, fleet)
        return csv_export.download(export, g.company, request.args)
    if is_fragment_request():
        history = fleets.fleet_history(fleet, ListQuery.from_args(request.args))
        return render(
            page="operator/fleets/detail.html",
            fragment="partials/operator/_fleet_history.html",
            fleet=fleet,
            history=history,
        )
    return _detail(fleet)


def _portal_panel(fleet: Customer, status: int = 200, **context):
    """The portal card (page or fragment). The raw token exists only in this response: it
    is never stored nor put in a URL, and the response is not cached."""
    response = _detail(fleet, status, fragment="partials/operator/_fleet_portal.html", **context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/fleets/<int:customer_id>/portal-token")
@require(Capability.MANAGE_PORTAL_ACCESS)
def regenerate_fleet_token(customer_id: int):
    fleet = _load_fleet(customer_id)
    token = portal_auth.regenerate_fleet_token(fleet, by=g.staff)
    flash("New portal link created. The old link no longer works.", "success")
    return _portal_panel(fleet, portal_token=token)


@bp.post("/fleets/<int:customer_id>/portal-link/email")
@require(Capability.MANAGE_PORTAL_ACCESS)
def email_fleet_link(customer_id: int):
    fleet = _load_fleet(customer_id)
    form = FleetLinkEmailForm()
    shown_token = form.token.data or None
    if not form.validate():
        still_shown = (
            shown_token if portal_auth.is_current_fleet_token(fleet, shown_token) else None
        )
        return _portal_panel(fleet, 422, portal_token=still_shown, share_form=form)
    replaced_a_link = shown_token is None and fleet.portal_token_hash is not None
    try:
        token = portal_auth.email_fleet_portal_link(
            fleet,
            to=form.to.data,
            message=form.message.data or "",
            shown_token=shown_token,
            by=g.staff,
        )
    except portal_auth.FleetShareError as error:
        flash(str(error), "error")
        return _portal_panel(fleet, 409, share_form=form)
    flash(
        f"Portal link emailed to {form.to.data}."
        + (" It is a new link: the previous one no longer works." if replaced_a_link else ""),
        "success",
    )
    return _portal_panel(fleet, portal_token=token)


@bp.post("/fleets/<int:customer_id>/portal")
@require(Capability.MANAGE_PORTAL_ACCESS)
def fleet_portal(customer_id: int):
    fleet = _load_fleet(customer_id)
    form = FleetPortalForm()
    if not form.validate():
        flash("Choose whether the portal is on or off.", "error")
        return _detail(fleet, 422, fragment="partials/operator/_fleet_portal.html")
    fleets.set_fleet_portal(fleet, form.enabled.data == "on", by=g.staff)
    flash(f"Portal {'on' if fleet.portal_enabled else 'off'} for {fleet.name}.", "success")
    if is_fragment_request():
        return _detail(fleet, fragment="partials/operator/_fleet_portal.html")
    return redirect_after_post(url_for("operator.fleet_detail", customer_id=fleet.id))
