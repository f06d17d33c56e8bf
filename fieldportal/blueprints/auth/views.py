from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...models import SignInStep
from ...safe_redirect import safe_next_path
from ...services.auth import staff_auth, staff_two_factor
from . import bp
from .forms import StaffSignInForm

SIGN_IN_FAILED = "Those details do not match an account, or the account is locked for a while."
STEP_ENDPOINTS = {SignInStep.CODE: "auth.two_factor", SignInStep.ENROL: "auth.two_factor_setup"}


def _login_page(form: StaffSignInForm, status: int = 200):
    return render("auth/login.html", form=form, status=status)


def _signed_in_already():
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("operator.home"))
    return None


@bp.get("/login")
def login():
    return _signed_in_already() or _login_page(StaffSignInForm())


@bp.post("/login")
@limiter.limit("30 per 10 minutes")
def sign_in():
    if signed_in := _signed_in_already():
        return signed_in
    form = StaffSignInForm()
    if not form.validate():
        return _login_page(form, 422)
    try:
        accepted = staff_auth.sign_in_with_password(
            form.email.data, form.password.data, remember=form.remember.data
        )
    except staff_auth.CompanySuspended as suspended:
        return render("auth/suspended.html", company=suspended.company, status=403)
    if accepted is None:
        transaction.keep_changes_on_refusal()  # the failed attempt counts towards a lockout
        form.password.errors.append(SIGN_IN_FAILED)
        return _login_page(form, 422)
    next_path = request.args.get("next")
    if accepted.awaiting is not None:
        staff_two_factor.keep_half_signed_in(accepted)
        return redirect_after_post(url_for(STEP_ENDPOINTS[accepted.awaiting], next=next_path))
    return redirect_after_post(safe_next_path(next_path, url_for("operator.home")))


@bp.post("/logout")
@login_required
def logout():
    staff_auth.sign_out(current_user)
    flash("You are signed out.", "info")
    return redirect_after_post(url_for("auth.login"))
