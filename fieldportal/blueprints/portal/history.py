"""Service history: completed jobs, newest first, "load more", searchable."""

from datetime import date

from flask import g, request
from sqlalchemy import select

from ...extensions import db
from ...htmx import render
from ...models import Asset, Job, PortalPermission, Site, Vehicle
from ...query_args import database_id, page_number
from ...services.portal.portal_records import HistoryFilters, job_history
from . import bp
from .access import customer_scope, require_permission
from .tabs import may_see_tab


def _filters() -> HistoryFilters:
    args = request.args
    return HistoryFilters(
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        site_id=database_id(args, "site_id"),
        vehicle_id=database_id(args, "vehicle_id"),
        asset_id=database_id(args, "asset_id"),
    )


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.route("/history")
@require_permission(PortalPermission.HISTORY)
def history():
    filters = _filters()
    page = page_number(request.args)
    result = job_history(
        g.company,
        customer_scope(select(Job), Job),
        filters,
        page,
        with_totals=may_see_tab("portal.invoices"),  # no money for whom invoices are hidden
    )
    # "Load more" asks for the next page's rows only; a search swaps the whole list.
    fragment = (
        "partials/portal/_history_rows.html"
        if request.args.get("more")
        else "partials/portal/_history.html"
    )
    choices = {
        "sites": db.session.scalars(customer_scope(select(Site), Site).order_by(Site.name)).all(),
        "vehicles": db.session.scalars(
            customer_scope(select(Vehicle), Vehicle).order_by(Vehicle.plate)
        ).all(),
        "assets": db.session.scalars(
            customer_scope(select(Asset), Asset).order_by(Asset.asset_code).limit(200)
        ).all(),
    }
    return render(
        "portal/history.html", fragment=fragment, result=result, filters=filters, **choices
    )
