"""The second step of staff sign-in: a two-factor code (or a recovery code), or setting
two-factor up when the company requires it. Only a half-signed-in browser (a right
password, services/auth/staff_two_factor) reaches these pages; any other goes to sign-in."""

from flask import flash, request, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...models import SignInStep
from ...safe_redirect import safe_next_path
from ...services.auth import staff_two_factor
from ...services.errors import Invalid
from ..operator.forms import show_errors
from ..setup_links import no_store
from . import bp
from .forms import TwoFactorCodeForm

START_AGAIN = "Sign in again: the step after the password lasts 10 minutes."
CODE_FRAGMENT = "partials/auth/_two_factor_code.html"
SETUP_FRAGMENT = "partials/_two_factor_setup.html"


def _start_again():
    flash(START_AGAIN, "info")
    return redirect_after_post(url_for("auth.login", next=request.args.get("next")))


def _next_page() -> str:
    return safe_next_path(request.args.get("next"), url_for("operator.home"))


def _code_page(form: TwoFactorCodeForm, status: int = 200):
    page = render(page="auth/two_factor.html", fragment=CODE_FRAGMENT, form=form, status=status)
    return no_store(page)


@bp.get("/login/code")
def two_factor():
    if staff_two_factor.half_signed_in(SignInStep.CODE) is None:
        return _start_again()
    return _code_page(TwoFactorCodeForm(formdata=None))


@bp.post("/login/code")
@limiter.limit("30 per 10 minutes")
def sign_in_with_code():
    row = staff_two_factor.half_signed_in(SignInStep.CODE)
    if row is None:
        return _start_again()
    form = TwoFactorCodeForm()
    if not form.validate():
        return _code_page(form, 422)
    try:
        accepted = staff_two_factor.sign_in_with_code(row, form.code.data)
    except Invalid as error:
        transaction.keep_changes_on_refusal()  # a wrong code counts towards the lockout
        show_errors(form, error, "code")
        return _code_page(form, 422)
    if accepted.recovery_codes_left is not None:
        left = accepted.recovery_codes_left
        flash(f"You used a recovery code: {left} left. Make new ones in Your profile.", "info")
    return redirect_after_post(_next_page())


def _setup_page(row, form: TwoFactorCodeForm, status: int = 200):
    enrolment = staff_two_factor.enrolment_of(row.staff_user)
    if enrolment is None:  # unreadable since a key change: signing in again starts anew
        return _start_again()
    return no_store(
        render(
            page="auth/two_factor_setup.html",
            fragment=SETUP_FRAGMENT,
            enrolment=enrolment,
            form=form,
            action=url_for("auth.sign_in_by_enrolling", next=request.args.get("next")),
            status=status,
        )
    )


@bp.get("/login/two-factor")
def two_factor_setup():
    row = staff_two_factor.half_signed_in(SignInStep.ENROL)
    if row is None:
        return _start_again()
    return _setup_page(row, TwoFactorCodeForm(formdata=None))


@bp.post("/login/two-factor")
@limiter.limit("30 per 10 minutes")
def sign_in_by_enrolling():
    row = staff_two_factor.half_signed_in(SignInStep.ENROL)
    if row is None:
        return _start_again()
    form = TwoFactorCodeForm()
    if not form.validate():
        return _setup_page(row, form, 422)
    try:
        codes = staff_two_factor.sign_in_by_enrolling(row, form.code.data)
    except Invalid as error:  # nothing was written
        show_errors(form, error, "code")
        return _setup_page(row, form, 422)
    page = render(
        page="auth/recovery_codes.html",
        fragment="partials/_recovery_codes.html",
        codes=codes,
        continue_to=_next_page(),
    )
    return no_store(page)
