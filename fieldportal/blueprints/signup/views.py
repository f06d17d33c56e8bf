"""Sign-up, its confirmation link, and the first owner's set-password link (link pages:
blueprints/setup_links.py)."""

from flask import abort, current_app, flash, make_response, render_template, request, url_for

from ... import transaction
from ...extensions import limiter
from ...htmx import redirect_after_post, render
from ...models import SetupPurpose
from ...services.companies import countries, links, signup
from ...services.errors import Invalid, NotFound
from ...web import render_error
from ..auth.forms import NameAndPasswordForm
from ..operator.forms import show_errors
from ..setup_links import link_page, no_store
from . import bp
from .forms import SignupForm

TOO_MANY = (
    "Too many companies were started from your network in the last hour. "
    "Please try again in an hour."
)
COUNTRY_CHANGED = "Proposed for the country you chose: check it, then sign up again."


SIGN_UP_PAGES = {"signup.signup_page", "signup.propose", "signup.sign_up", "signup.sent"}


@bp.before_request
def signup_switched_on():
    """SIGNUP_ENABLED off (an installation whose companies come from flask create-company):
    no sign-up pages; links already sent keep working."""
    if request.endpoint in SIGN_UP_PAGES and not current_app.config["SIGNUP_ENABLED"]:
        abort(404)


def _guessed_country() -> str:
    """The country of the browser's first language with a region (en-GB → GB), else US."""
    for language, _ in request.accept_languages:
        region = language.replace("_", "-").split("-")[-1].upper() if "-" in language else ""
        if countries.is_country(region):
            return region
    return "US"


def _signup_page(form: SignupForm, status: int = 200, fragment: str = "_form"):
    """The sign-up page; for htmx the form (``_form``) or only its proposals."""
    return render(
        page="signup/index.html",
        fragment=f"partials/signup/{fragment}.html",
        form=form,
        status=status,
    )


@bp.get("/signup")
def signup_page():
    form = SignupForm(formdata=None, country=_guessed_country())
    form.propose()
    return _signup_page(form)


@bp.post("/signup/propose")
def propose():
    """The slug, time zone and currency proposed for what the form says so far: the
    proposals fragment for htmx, the whole form again without JavaScript."""
    form = SignupForm()
    form.propose()
    return _signup_page(form, fragment="_proposals")


@bp.post("/signup")
@limiter.limit("30 per 10 minutes")
def sign_up():
    form = SignupForm()
    if form.propose():
        form.time_zone.errors = [COUNTRY_CHANGED]
        return _signup_page(form, 422)
    if not form.validate():
        return _signup_page(form, 422)
    try:
        signup.sign_up(form.new_company(), form.password.data, ip_address=request.remote_addr)
    except Invalid as error:
        transaction.discard()
        show_errors(form, error, "name")
        return _signup_page(form, 422)
    except signup.TooManySignUps:
        return render_error(429, TOO_MANY)
    return redirect_after_post(url_for("signup.sent"))


@bp.get("/signup/sent")
def sent():
    return render_template(
        "signup/sent.html", lifetime=links.LIFETIMES[SetupPurpose.CONFIRM_SIGNUP]
    )


@bp.route("/signup/confirm/<token>", methods=["GET", "HEAD"])
def confirm(token):
    return link_page(SetupPurpose.CONFIRM_SIGNUP, token, "signup/confirm.html")


@bp.post("/signup/confirm/<token>")
@limiter.limit("30 per 10 minutes")
def use_confirmation(token):
    company = signup.confirm(token)
    if company is None:
        return confirm(token)
    flash(
        f"Your email is confirmed and {company.name} is live. Sign in with the password you chose.",
        "success",
    )
    return no_store(redirect_after_post(url_for("auth.login")))


@bp.post("/signup/confirm/<token>/fresh")
@limiter.limit("30 per 10 minutes")
def fresh_confirmation(token):
    """One click from an expired confirmation link to a new one, to the same address."""
    signup.resend_confirmation(token, ip_address=request.remote_addr)
    page = render_template(
        "signup/sent.html", lifetime=links.LIFETIMES[SetupPurpose.CONFIRM_SIGNUP], again=True
    )
    return no_store(make_response(page))


@bp.route("/welcome/<token>", methods=["GET", "HEAD"])
def welcome(token):
    lookup = links.look_up(SetupPurpose.OWNER_PASSWORD, token)
    name = lookup.link.staff_user.name if lookup.link else ""
    form = NameAndPasswordForm(formdata=None, name=name)
    return link_page(SetupPurpose.OWNER_PASSWORD, token, "signup/welcome.html", form=form)


@bp.post("/welcome/<token>")
@limiter.limit("30 per 10 minutes")
def choose_password(token):
    form = NameAndPasswordForm()
    if form.validate():
        try:
            owner = signup.choose_owner_password(
                token, name=form.name.data, password=form.password.data
            )
        except NotFound:
            return welcome(token)
        except Invalid as error:
            transaction.discard()
            show_errors(form, error, "password")
        else:
            flash(f"Your password is set. Sign in to {owner.company.name}.", "success")
            return no_store(redirect_after_post(url_for("auth.login")))
    return link_page(
        SetupPurpose.OWNER_PASSWORD, token, "signup/welcome.html", form=form, status=422
    )
