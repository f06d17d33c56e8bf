"""Assets: the fields the company shows, the last test, defects; searchable."""

from flask import request
from sqlalchemy import select

from ...htmx import render
from ...models import Asset, PortalPermission
from ...services.portal.portal_records import assets_with_last_test
from . import bp
from .access import customer_scope, require_permission


@bp.route("/assets")
@require_permission(PortalPermission.ASSETS)
def assets():
    search = (request.args.get("q") or "").strip()[:60]
    return render(
        "portal/assets.html",
        fragment="partials/portal/_assets.html",
        assets=assets_with_last_test(customer_scope(select(Asset), Asset), search),
        search=search,
    )
