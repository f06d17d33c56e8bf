"""Signing out of the portal."""

from flask import current_app, flash, g, url_for

from ...htmx import redirect_after_post
from ...services import audit
from ...services.auth.auth_sessions import end_current_session
from . import bp


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    audit.record(g.company.id, "portal.signed_out", actor=g.principal, customer_id=g.customer.id)
    end_current_session(g.principal)
    flash("You are signed out.", "info")
    signed_out_page = (
        "portal.sign_in" if "portal.sign_in" in current_app.view_functions else "auth.login"
    )
    return redirect_after_post(url_for(signed_out_page))
