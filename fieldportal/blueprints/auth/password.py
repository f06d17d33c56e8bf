"""Forgot password: ask for a reset link, then choose a new password through it."""

from flask import flash, request, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...models import SetupPurpose
from ...services.auth import staff_passwords
from ...services.errors import Invalid, NotFound
from ..operator.forms import show_errors
from ..setup_links import link_page, no_store
from . import bp
from .forms import ForgotPasswordForm, NewPasswordForm


def _forgot_page(form: ForgotPasswordForm, status: int = 200):
    return render(
        page="auth/forgot_password.html",
        fragment="partials/auth/_forgot_form.html",
        form=form,
        lifetime=staff_passwords.RESET_LIFETIME,
        status=status,
    )


@bp.get("/password/forgot")
def forgot_password():
    return _forgot_page(ForgotPasswordForm())


@bp.post("/password/forgot")
@limiter.limit("30 per 10 minutes")
def request_password_reset():
    form = ForgotPasswordForm()
    if not form.validate():
        return _forgot_page(form, 422)
    staff_passwords.request_reset(form.email.data, ip_address=request.remote_addr)
    return redirect_after_post(url_for("auth.reset_sent"))


@bp.get("/password/forgot/sent")
def reset_sent():
    return render("auth/reset_sent.html", lifetime=staff_passwords.RESET_LIFETIME)


def _reset_page(token: str, form: NewPasswordForm, status: int = 200):
    return link_page(
        SetupPurpose.PASSWORD_RESET,
        token,
        "auth/reset_password.html",
        status,
        fragment="partials/auth/_new_password_form.html",
        form=form,
    )


@bp.route("/password/reset/<token>", methods=["GET", "HEAD"])
def reset_password(token):
    return _reset_page(token, NewPasswordForm(formdata=None))


@bp.post("/password/reset/<token>")
@limiter.limit("30 per 10 minutes")
def choose_new_password(token):
    form = NewPasswordForm()
    if not form.validate():
        return _reset_page(token, form, 422)
    try:
        staff_passwords.reset_password(token, form.password.data)
    except NotFound:
        return _reset_page(token, form)
    except Invalid as error:
        transaction.discard()
        show_errors(form, error, "password")
        return _reset_page(token, form, 422)
    flash("Your password is changed and you are signed out everywhere. Sign in with it.", "success")
    return no_store(redirect_after_post(url_for("auth.login")))
