"""Your two-factor sign-in, from the profile page: set it up (QR code, then a first code),
see the recovery codes once, make new ones, turn it off (password and a code)."""

from flask import flash, g, redirect, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...services.auth import staff_two_factor
from ...services.errors import Conflict, Invalid
from ..setup_links import no_store
from . import bp
from .forms import RecoveryCodesForm, TwoFactorConfirmForm, TwoFactorOffForm, show_errors
from .profile import profile_page

TWO_FACTOR_FRAGMENT = "partials/operator/_profile_two_factor.html"


def _codes_page(codes: list[str]):
    page = render(
        page="operator/recovery_codes.html",
        fragment="partials/_recovery_codes.html",
        codes=codes,
        continue_to=url_for("operator.profile"),
    )
    return no_store(page)


def _setup_page(form: TwoFactorConfirmForm, status: int = 200):
    enrolment = staff_two_factor.enrolment_of(g.staff)
    if enrolment is None:
        return redirect(url_for("operator.profile"))
    page = render(
        page="operator/two_factor_setup.html",
        fragment="partials/_two_factor_setup.html",
        enrolment=enrolment,
        form=form,
        action=url_for("operator.confirm_two_factor"),
        status=status,
    )
    return no_store(page)


@bp.post("/profile/two-factor/start")
def start_two_factor():
    staff_two_factor.start_from_profile(g.staff)
    return redirect_after_post(url_for("operator.two_factor_setup"))


@bp.get("/profile/two-factor")
def two_factor_setup():
    return _setup_page(TwoFactorConfirmForm(formdata=None))


@bp.post("/profile/two-factor")
@limiter.limit("30 per 10 minutes")
def confirm_two_factor():
    form = TwoFactorConfirmForm()
    if not form.validate():
        return _setup_page(form, 422)
    try:
        codes = staff_two_factor.confirm_from_profile(g.staff, form.code.data)
    except Invalid as error:
        show_errors(form, error, "code")
        return _setup_page(form, 422)
    return _codes_page(codes)


@bp.post("/profile/two-factor/off")
@limiter.limit("30 per 10 minutes")
def turn_off_two_factor():
    form = TwoFactorOffForm()
    if not form.validate():
        return profile_page(off_form=form, fragment=TWO_FACTOR_FRAGMENT, status=422)
    try:
        staff_two_factor.turn_off(g.staff, password=form.password.data, code=form.code.data)
    except (Invalid, Conflict) as error:
        transaction.keep_changes_on_refusal()  # a wrong password or code counts
        show_errors(form, error, "code")
        return profile_page(off_form=form, fragment=TWO_FACTOR_FRAGMENT, status=error.status)
    flash("Two-factor sign-in is off.", "success")
    return redirect_after_post(url_for("operator.profile"))


@bp.post("/profile/two-factor/recovery-codes")
@limiter.limit("30 per 10 minutes")
def renew_recovery_codes():
    form = RecoveryCodesForm()
    if not form.validate():
        return profile_page(recovery_form=form, fragment=TWO_FACTOR_FRAGMENT, status=422)
    try:
        codes = staff_two_factor.new_recovery_codes(g.staff, password=form.password.data)
    except (Invalid, Conflict) as error:
        transaction.keep_changes_on_refusal()  # a wrong password counts
        show_errors(form, error, "password")
        return profile_page(recovery_form=form, fragment=TWO_FACTOR_FRAGMENT, status=error.status)
    return _codes_page(codes)
