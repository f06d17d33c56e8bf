"""The fleet portal token URL ``/portal/t/<token>``: no login, read-only, bookmarkable.

Opening it starts a read-only session for the fleet and redirects to the token-free
portal URL; a regenerated token finds nothing (404) and its sessions were ended.
"""

from flask import Blueprint, abort, g, redirect, url_for

from ...extensions import limiter
from ...models import LoginMethod, SignInMethod
from ...services.auth.auth_sessions import start_session
from ...services.portal.portal_auth import fleet_for_token
from .unavailable import portal_unavailable_response

token_bp = Blueprint("portal_token", __name__, url_prefix="/portal/t")


@token_bp.route("/<token>")
@limiter.limit("60 per minute")
def open_fleet_portal(token):
    fleet = fleet_for_token(token)
    if fleet is None or not fleet.company.allows_login(LoginMethod.TOKEN_URL):
        abort(404)
    g.company = fleet.company
    if not fleet.company.portal_open:
        return portal_unavailable_response()
    start_session(fleet, SignInMethod.TOKEN_URL)
    response = redirect(url_for("portal.dashboard", company_slug=fleet.company.slug))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
