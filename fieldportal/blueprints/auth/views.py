from flask import flash, g, redirect, request, url_for
from flask_login import current_user, login_required

from ...extensions import db, limiter
from ...htmx import redirect_after_post, render
from ...models import SignInMethod
from ...safe_redirect import safe_next_path
from ...services import audit
from ...services.auth.auth_sessions import end_current_session, start_session
from ...services.auth.staff_auth import authenticate_staff
from . import bp
from .forms import StaffSignInForm

SIGN_IN_FAILED = "That email and password do not match an active account."


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per 10 minutes", methods=["POST"])
def login():
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("operator.home"))
    form = StaffSignInForm()
    status = 200
    if form.validate_on_submit():
        staff = authenticate_staff(form.email.data, form.password.data)
        if staff is not None:
            start_session(staff, SignInMethod.STAFF_PASSWORD, remember=form.remember.data)
            db.session.commit()
            return redirect_after_post(
                safe_next_path(request.args.get("next"), url_for("operator.home"))
            )
        db.session.commit()
        form.password.errors.append(SIGN_IN_FAILED)
        status = 422
    elif request.method == "POST":
        status = 422
    return render("auth/login.html", form=form, status=status)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if current_user.is_staff:
        g.company = current_user.company
        audit.record(
            current_user.company_id, "staff.signed_out", actor=current_user, subject=current_user
        )
    end_current_session(current_user)
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect_after_post(url_for("auth.login"))
