"""Your profile (every signed-in staff member): name, email, password."""

from flask import flash, g, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...services.auth import staff_passwords, staff_profile, staff_two_factor
from ...services.errors import Invalid
from . import bp
from .forms import (
    ChangePasswordForm,
    ProfileForm,
    RecoveryCodesForm,
    TwoFactorOffForm,
    show_errors,
)

NAME_FRAGMENT = "partials/operator/_profile_name.html"
PASSWORD_FRAGMENT = "partials/operator/_profile_password.html"


def profile_page(*, fragment=None, status=200, **forms):
    """The profile page (``forms`` replaces the empty form of that name, to show one that
    was sent), or for htmx the ``fragment`` of the form that was sent."""
    form, password_form = forms.get("form"), forms.get("password_form")
    return render(
        page="operator/profile.html",
        fragment=fragment,
        form=form or ProfileForm(formdata=None, name=g.staff.name),
        password_form=password_form or ChangePasswordForm(formdata=None),
        two_factor=staff_two_factor.status(g.staff),
        off_form=forms.get("off_form") or TwoFactorOffForm(formdata=None),
        recovery_form=forms.get("recovery_form") or RecoveryCodesForm(formdata=None),
        status=status,
    )


@bp.get("/profile")
def profile():
    return profile_page()


@bp.post("/profile")
def save_profile():
    form = ProfileForm()
    if not form.validate():
        return profile_page(form=form, fragment=NAME_FRAGMENT, status=422)
    try:
        staff_profile.update_name(g.staff, form.name.data)
    except Invalid as error:
        transaction.discard()
        show_errors(form, error, "name")
        return profile_page(form=form, fragment=NAME_FRAGMENT, status=422)
    flash("Your name is saved.", "success")
    return redirect_after_post(url_for("operator.profile"))


@bp.post("/profile/password")
@limiter.limit("30 per 10 minutes")
def change_password():
    form = ChangePasswordForm()
    if not form.validate():
        return profile_page(password_form=form, fragment=PASSWORD_FRAGMENT, status=422)
    try:
        ended = staff_passwords.change_password(
            g.staff, current=form.current_password.data, new=form.password.data
        )
    except Invalid as error:
        transaction.keep_changes_on_refusal()  # a wrong current password counts
        show_errors(form, error, "password")
        return profile_page(password_form=form, fragment=PASSWORD_FRAGMENT, status=422)
    elsewhere = f" and signed out on {ended} other device(s)" if ended else ""
    flash(f"Your password is changed{elsewhere}.", "success")
    return redirect_after_post(url_for("operator.profile"))
