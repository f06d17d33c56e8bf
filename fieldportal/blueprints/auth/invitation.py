"""A staff invitation's link (services/staff_invites.py): choose a name and password, and
be signed in (or, where the company requires two-factor, go on to set it up). Scanner-safe like every set-up link (blueprints/setup_links.py)."""

from flask import flash, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post
from ...models import SetupPurpose
from ...services import staff_invites
from ...services.auth import staff_two_factor
from ...services.errors import Invalid, NotFound
from ..operator.forms import show_errors
from ..setup_links import link_page, no_store
from . import bp
from .forms import NameAndPasswordForm
from .views import STEP_ENDPOINTS

TWO_FACTOR_FIRST = "Your company asks for two-factor sign-in: set it up now to go on."


def _invitation_page(token: str, form: NameAndPasswordForm, status: int = 200):
    return link_page(
        SetupPurpose.STAFF_INVITE,
        token,
        "auth/invitation.html",
        status,
        fragment="partials/auth/_invitation_form.html",
        form=form,
    )


@bp.route("/invite/<token>", methods=["GET", "HEAD"])
def invitation(token):
    return _invitation_page(token, NameAndPasswordForm(formdata=None))


@bp.post("/invite/<token>")
@limiter.limit("30 per 10 minutes")
def accept_invitation(token):
    form = NameAndPasswordForm()
    if not form.validate():
        return _invitation_page(token, form, 422)
    try:
        accepted = staff_invites.accept(token, name=form.name.data, password=form.password.data)
    except NotFound:
        return _invitation_page(token, form)
    except Invalid as error:
        transaction.discard()
        show_errors(form, error, "password")
        return _invitation_page(token, form, 422)
    staff = accepted.staff
    if accepted.awaiting is not None:  # the company requires two-factor: set it up first
        staff_two_factor.keep_half_signed_in(accepted)
        flash(f"Welcome to {staff.company.name}, {staff.first_name}. {TWO_FACTOR_FIRST}", "info")
        return no_store(redirect_after_post(url_for(STEP_ENDPOINTS[accepted.awaiting])))
    flash(f"Welcome to {staff.company.name}, {staff.first_name}. You are signed in.", "success")
    return no_store(redirect_after_post(url_for("operator.home")))
