"""Getting in: the sign-in page, magic links, password, PIN, and choosing a password.

Answers never reveal whether an email or phone number is known; throttled requests get
the same answer as the rest.
"""

from flask import abort, g, make_response, redirect, render_template, request, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post
from ...models import LoginMethod
from ...services.auth.throttle import link_request_allowed
from ...services.errors import RuleError
from ...services.portal import portal_auth as auth
from . import (
    bp,
    forget_return_path,
    portal_path_or_empty,
    public,
    remembered_return_path,
    return_path_after_sign_in,
)
from .forms import ChoosePasswordForm, LinkRequestForm, PasswordSignInForm, PinSignInForm

NEUTRAL_LINK_MESSAGE = (
    "If that address belongs to an account with us, a sign-in link is on its way. "
    "It works once, for a short time."
)
SIGN_IN_FAILED = "Those details do not match an account, or the account is locked for a while."


def _require_method(method: LoginMethod) -> None:
    if not g.company.allows_login(method):
        abort(404)


def _no_store(response):
    """Token pages: never cached, never sent as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _sign_in_page(status=200, **forms):
    context = {
        "link_form": forms.get("link_form") or LinkRequestForm(),
        "password_form": forms.get("password_form") or PasswordSignInForm(),
        "pin_form": forms.get("pin_form") or PinSignInForm(),
        "methods": {method: g.company.allows_login(method) for method in LoginMethod},
        "LoginMethod": LoginMethod,
    }
    return render_template("portal/sign_in.html", **context), status


def _link_page(template: str, status: int = 200, **context):
    return _no_store(make_response(render_template(template, **context), status))


@bp.route("/sign-in")
@public
def sign_in():
    if g.get("principal") is not None:
        return redirect(url_for("portal.dashboard"))
    return _sign_in_page()


@bp.route("/sign-in/link", methods=["POST"])
@public
def request_link():
    _require_method(LoginMethod.MAGIC_LINK)
    form = LinkRequestForm()
    if not form.validate():
        return _sign_in_page(422, link_form=form)
    email = form.email.data.strip().lower()
    if link_request_allowed(email, request.remote_addr):
        auth.request_login_link(
            g.company, email, requested_ip=request.remote_addr, next_path=remembered_return_path()
        )
    return render_template("portal/link_sent.html", message=NEUTRAL_LINK_MESSAGE)


@bp.route("/link/<token>", methods=["GET", "HEAD"])
@public
def open_link(token):
    """Scanner-safe: showing the link consumes nothing; only the POST below signs in."""
    _require_method(LoginMethod.MAGIC_LINK)
    lookup = auth.look_up_link(g.company, token)
    if lookup.state == auth.LinkState.UNKNOWN:
        return _link_page("portal/link_invalid.html", 404)
    # An email may send the customer to a page (an invoice) through the link: ?next=
    next_path = portal_path_or_empty(request.args.get("next"))
    if lookup.state == auth.LinkState.EXPIRED:
        return _link_page("portal/link_expired.html", 410, token=token, next_path=next_path)
    return _link_page("portal/link_continue.html", token=token, next_path=next_path)


@bp.route("/link/<token>", methods=["POST"])
@public
@limiter.limit("30 per 10 minutes")
def use_link(token):
    _require_method(LoginMethod.MAGIC_LINK)
    outcome = auth.sign_in_with_link(
        g.company,
        token,
        next_path=request.form.get("next"),
        remembered_path=remembered_return_path(),
    )
    if outcome.refused == auth.LinkState.UNKNOWN:
        return _link_page("portal/link_invalid.html", 404)
    if outcome.refused:
        return _link_page("portal/link_expired.html", 410, token=token)
    forget_return_path()
    return _no_store(redirect_after_post(outcome.return_path))


@bp.route("/link/<token>/fresh", methods=["POST"])
@public
def fresh_link(token):
    """One click from an expired or used link to a new one, sent to the same contact."""
    _require_method(LoginMethod.MAGIC_LINK)
    auth.send_fresh_link(
        g.company, token, requested_ip=request.remote_addr, next_path=request.form.get("next")
    )
    return _link_page("portal/link_sent.html", message=NEUTRAL_LINK_MESSAGE)


@bp.route("/sign-in/password", methods=["POST"])
@public
@limiter.limit("30 per 10 minutes")
def password_sign_in():
    if not (
        g.company.allows_login(LoginMethod.PASSWORD)
        or g.company.allows_login(LoginMethod.ACTIVATION)
    ):
        abort(404)
    form = PasswordSignInForm()
    if not form.validate():
        return _sign_in_page(422, password_form=form)
    if auth.sign_in_with_password(g.company, form.email.data, form.password.data) is None:
        transaction.keep_changes_on_refusal()
        form.password.errors.append(SIGN_IN_FAILED)
        return _sign_in_page(422, password_form=form)
    return redirect_after_post(return_path_after_sign_in())


@bp.route("/sign-in/pin", methods=["POST"])
@public
@limiter.limit("15 per hour")  # one IP guessing across many phones is stopped well within 20
def pin_sign_in():
    _require_method(LoginMethod.PIN)
    form = PinSignInForm()
    if not form.validate():
        return _sign_in_page(422, pin_form=form)
    if auth.sign_in_with_pin(g.company, form.phone.data, form.pin.data) is None:
        transaction.keep_changes_on_refusal()
        form.pin.errors.append(SIGN_IN_FAILED)
        return _sign_in_page(422, pin_form=form)
    return redirect_after_post(return_path_after_sign_in())


@bp.route("/choose-password", methods=["GET", "POST"])
def choose_password():
    """After signing in with a temporary password, a new one is chosen before anything else."""
    contact = g.principal
    if not getattr(contact, "is_contact", False):
        abort(404)
    form = ChoosePasswordForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            auth.choose_password(contact, form.password.data)
        except RuleError as error:
            form.password.errors.extend(error.errors.get("password", [error.message]))
        else:
            return redirect_after_post(url_for("portal.dashboard"))
    return render_template("portal/choose_password.html", form=form), status
