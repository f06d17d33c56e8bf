"""Getting in: the set-password link, the password, then the second factor (required;
set up in the session the link opened). Throttled per IP, and every wrong password or code
counts towards the account's lockout (services/auth/lockout.py)."""

from flask import g, make_response, redirect, render_template, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...services.errors import Invalid
from ...services.platform import accounts, second_factor
from ..auth.forms import NewPasswordForm
from ..operator.forms import show_errors
from ..setup_links import no_store
from . import bp, with_session_cookie, without_session_cookie
from .forms import CodeForm, PlatformSignInForm

SIGN_IN_FAILED = "Those details do not match an account, or the account is locked for a while."
WRONG_CODE = "That code is not right or was used already, or the account is locked for a while."
THROTTLE = "20 per 10 minutes"  # per IP; each account also locks after 10 wrong


def _login_page(form: PlatformSignInForm, status: int = 200):
    return render("platform/sign_in.html", form=form, status=status)


@bp.get("/sign-in")
def login():
    if g.get("platform_session") is not None:
        return redirect(url_for("platform.index"))
    return _login_page(PlatformSignInForm())


@bp.post("/sign-in")
@limiter.limit(THROTTLE)
def sign_in():
    form = PlatformSignInForm()
    if not form.validate():
        return _login_page(form, 422)
    row = accounts.sign_in(form.email.data, form.password.data, replacing=g.get("platform_session"))
    if row is None:
        transaction.keep_changes_on_refusal()  # the failed attempt counts towards a lockout
        form.password.errors.append(SIGN_IN_FAILED)
        return _login_page(form, 422)
    return with_session_cookie(redirect_after_post(url_for("platform.two_factor")), row)


def _two_factor_page(form: CodeForm, status: int = 200):
    row = g.platform_session
    return render(
        "platform/two_factor.html",
        form=form,
        status=status,
        admin=row.admin,
        may_enrol=second_factor.may_enrol(row),
        enrolment=second_factor.pending_enrolment(row),
        not_via_link=second_factor.NOT_VIA_LINK,
    )


@bp.get("/two-factor")
def two_factor():
    if g.platform_session.two_factor_at is not None:
        return redirect(url_for("platform.index"))
    return _two_factor_page(CodeForm(formdata=None))


@bp.post("/two-factor")
@limiter.limit(THROTTLE)
def check_code():
    form = CodeForm()
    if form.validate() and second_factor.check_code(g.platform_session, form.code.data):
        return redirect_after_post(url_for("platform.index"))
    transaction.keep_changes_on_refusal()  # a wrong code counts towards a lockout
    if form.code.data:
        form.code.errors = [WRONG_CODE]
    return _two_factor_page(form, 422)


@bp.post("/two-factor/start")
def start_enrolment():
    second_factor.start_enrolment(g.platform_session)
    return redirect_after_post(url_for("platform.two_factor"))


@bp.post("/two-factor/confirm")
@limiter.limit(THROTTLE)
def confirm_enrolment():
    form = CodeForm()
    try:
        if not form.validate():
            raise Invalid()
        codes = second_factor.confirm_enrolment(g.platform_session, form.code.data)
    except Invalid as error:
        transaction.discard()
        if error.errors:
            show_errors(form, error, "code")
        return _two_factor_page(form, 422)
    page = render_template("platform/recovery_codes.html", codes=codes)
    return no_store(make_response(page))


@bp.post("/sign-out")
def sign_out():
    accounts.sign_out(g.platform_session)
    return without_session_cookie(redirect_after_post(url_for("platform.login")))


def _welcome_page(token: str, form: NewPasswordForm, status: int = 200):
    """The link's page as it stands: the password form, or "expired" (410) / unknown (404)."""
    lookup = accounts.look_up_link(token)
    if lookup.state is not accounts.LinkState.VALID:
        status = 404 if lookup.state is accounts.LinkState.UNKNOWN else 410
        page = render_template("platform/link_refused.html", state=lookup.state.value)
        return no_store(make_response(page, status))
    return no_store(render("platform/welcome.html", form=form, token=token, status=status))


@bp.route("/welcome/<token>", methods=["GET", "HEAD"])
def welcome(token):
    return _welcome_page(token, NewPasswordForm(formdata=None))


@bp.post("/welcome/<token>")
@limiter.limit(THROTTLE)
def choose_password(token):
    form = NewPasswordForm()
    if not form.validate():
        return _welcome_page(token, form, 422)
    try:
        row = accounts.choose_password(token, form.password.data)
    except Invalid as error:
        transaction.discard()
        show_errors(form, error, "password")
        return _welcome_page(token, form, 422)
    if row is None:
        return _welcome_page(token, form)
    return no_store(with_session_cookie(redirect_after_post(url_for("platform.two_factor")), row))
