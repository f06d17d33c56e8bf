"""Dashboard: upcoming jobs, vehicles overdue for service, open balance, quotes to answer."""

from pathlib import Path

from flask import abort, current_app, g, request, send_from_directory

from ...htmx import render
from ...services.portal import page_cache
from ...services.portal.portal_dashboard import dashboard_summary
from ...static_files import UNHASHED_MAX_AGE, cache_for_good
from . import bp, public


@bp.route("/")
def dashboard():
    response = render(
        "portal/dashboard.html",
        fragment="partials/portal/_dashboard.html",
        summary=dashboard_summary(g.company, g.customer, g.principal),
    )
    return page_cache.store(response, g.principal)


@bp.route("/logo")
@public
def logo():
    """The company's logo, for its portal pages. Pages link it with ?v=<logo version>:
    that URL is cached for good; any other only briefly."""
    if not g.company.logo_filename:
        abort(404)
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "logos"
    response = send_from_directory(folder, g.company.logo_filename, max_age=UNHASHED_MAX_AGE)
    if request.args.get("v") == g.company.logo_version:
        cache_for_good(response)
    return response
