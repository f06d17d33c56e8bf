"""Service history: completed jobs, newest first, "load more", searchable."""

from flask import g, request

from ...htmx import render
from ...models import PortalPermission
from ...services.portal import portal_records
from . import bp
from .access import require_permission
from .tabs import may_see_tab


@bp.get("/history")
@require_permission(PortalPermission.HISTORY)
def history():
    filters = portal_records.HistoryFilters.from_args(request.args)
    view = portal_records.history_view(
        g.company,
        g.principal,
        filters,
        with_totals=may_see_tab("portal.invoices"),  # no money for whom invoices are hidden
    )
    # "Load more" asks for the next page's rows only; a search swaps the whole list.
    fragment = (
        "partials/portal/_history_rows.html"
        if request.args.get("more")
        else "partials/portal/_history.html"
    )
    return render("portal/history.html", fragment=fragment, filters=filters, **vars(view))
