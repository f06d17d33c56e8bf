"""The operator home page: today's figures for the signed-in staff's company, and the
onboarding checklist while the company is being set up."""

from flask import flash, g, url_for

from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability
from ...services import onboarding, operator_home
from . import bp
from .access import require


def _home(status: int = 200):
    """The home page; for htmx the onboarding checklist alone."""
    return render(
        page="operator/home.html",
        fragment="partials/operator/_onboarding.html",
        figures=operator_home.today_figures(g.company),
        checklist=onboarding.shown_to(g.staff),
        status=status,
    )


@bp.get("/")
def home():
    return _home()


@bp.post("/settings/onboarding/dismiss")
@require(Capability.MANAGE_SETTINGS)
def dismiss_onboarding():
    onboarding.dismiss(g.company, by=g.staff)
    flash("Checklist dismissed. Everything on it stays in Settings.", "success")
    if is_fragment_request():
        return _home()
    return redirect_after_post(url_for("operator.home"))
