"""Assets: the fields the company shows, the last test, defects; searchable."""

from flask import g, request

from ...htmx import render
from ...models import PortalPermission
from ...services.portal import portal_records
from . import bp
from .access import require_permission


@bp.get("/assets")
@require_permission(PortalPermission.ASSETS)
def assets():
    search = (request.args.get("q") or "").strip()[:60]
    return render(
        "portal/assets.html",
        fragment="partials/portal/_assets.html",
        assets=portal_records.assets_with_last_test(g.principal, search),
        search=search,
    )
