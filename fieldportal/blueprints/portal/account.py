"""Account: the contact and billing details on file, read-only."""

from ...htmx import render
from . import bp


@bp.route("/account")
def account():
    return render("portal/account.html", fragment="partials/portal/_account.html")
