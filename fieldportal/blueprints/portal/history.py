"""Service history: completed jobs, newest first, "load more", searchable."""

from datetime import date

from flask import g, request
from sqlalchemy import select

from ...extensions import db
from ...htmx import render
from ...models import Asset, Job, PortalPermission, Site, Vehicle
from ...services.portal_records import HistoryFilters, job_history
from . import bp
from .access import customer_scope, require_permission
from .tabs import may_see_tab


def _filters() -> HistoryFilters:
    args = request.args
    return HistoryFilters(
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        site_id=args.get("site_id", type=int),
        vehicle_id=args.get("vehicle_id", type=int),
        asset_id=args.get("asset_id", type=int),
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
    page = max(1, request.args.get("page", 1, type=int) or 1)
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
