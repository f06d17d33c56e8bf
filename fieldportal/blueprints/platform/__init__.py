"""The installation's own administration at /platform, for platform admins only.

A platform admin is not a staff user: their session is a row of ``platform_sessions`` in a
cookie of its own (path /platform, services/platform/sessions.py), and Flask-Login's
staff and contact sessions grant nothing here. Before each view:

- ``OPEN`` endpoints (sign-in, the set-password link) answer anyone;
- without a platform session: a browser signed in as staff or a contact gets 404 (there is
  no /platform for them), anyone else the platform sign-in page;
- a session whose second factor is not yet checked reaches only ``SECOND_FACTOR``
  endpoints (the code, setting two-factor up, signing out);
- then ``g.platform_admin`` and ``g.platform_session`` are the signed-in admin's.
"""

import importlib
import pkgutil

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_login import current_user

from ...htmx import redirect_signed_out
from ...services.platform import sessions

bp = Blueprint("platform", __name__, url_prefix="/platform")

OPEN = {"platform.login", "platform.sign_in", "platform.welcome", "platform.choose_password"}
SECOND_FACTOR = {
    "platform.two_factor",
    "platform.check_code",
    "platform.start_enrolment",
    "platform.confirm_enrolment",
    "platform.sign_out",
}


@bp.before_request
def require_platform_admin():
    row = sessions.load(request.cookies.get(sessions.COOKIE_NAME))
    if row is not None:
        g.platform_session = row
        g.platform_admin = row.admin
    if request.endpoint in OPEN:
        return None
    if row is None:
        if current_user.is_authenticated:
            abort(404)
        return redirect_signed_out(url_for("platform.login"))
    if row.two_factor_at is None and request.endpoint not in SECOND_FACTOR:
        return redirect_signed_out(url_for("platform.two_factor"))
    return None


def with_session_cookie(response, row):
    """The response, carrying the cookie of the platform session ``row`` (ends with the
    browser; the row has its own limits)."""
    response.set_cookie(
        sessions.COOKIE_NAME,
        row.cookie_token,
        path=sessions.COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def without_session_cookie(response):
    response.delete_cookie(
        sessions.COOKIE_NAME,
        path=sessions.COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.context_processor
def signed_in_admin():
    """The admin shown in the layout: only once the second factor is checked."""
    row = g.get("platform_session")
    return {"platform_admin": row.admin if row is not None and row.two_factor_at else None}


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
