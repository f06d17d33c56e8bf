"""Settings (manage_settings): company profile, branding, portal, fleet defaults (staff:
staff.py)."""

from flask import abort, current_app, flash, g, send_from_directory, url_for

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import Capability
from ...services import settings as company_settings
from ...services.errors import RuleError
from ...static_files import cache_for_good
from . import bp
from .access import require
from .forms import CompanySettingsForm, LogoForm, TwoFactorPolicyForm, show_errors


def _settings_page(form=None, logo_form=None, status=200, two_factor_form=None):
    return render(
        page="operator/settings/index.html",
        form=form or CompanySettingsForm.showing(g.company),
        logo_form=logo_form or LogoForm(formdata=None),
        two_factor_form=two_factor_form
        or TwoFactorPolicyForm(formdata=None, two_factor_required=g.company.two_factor_required),
        currency_note=company_settings.currency_lock(g.company),
        status=status,
    )


def _to_settings(message: str):
    flash(message, "success")
    return redirect_after_post(url_for("operator.settings"))


@bp.get("/settings")
@require(Capability.MANAGE_SETTINGS)
def settings():
    return _settings_page()


@bp.post("/settings")
@require(Capability.MANAGE_SETTINGS)
def save_settings():
    form = CompanySettingsForm()
    if not form.validate():
        return _settings_page(form=form, status=422)
    try:
        company_settings.update_company(g.company, by=g.staff, **form.values())
    except RuleError as error:
        transaction.discard()
        show_errors(form, error, "name")
        return _settings_page(form=form, status=error.status)
    return _to_settings("Settings saved.")


@bp.post("/settings/two-factor")
@require(Capability.MANAGE_SETTINGS)
def save_two_factor_policy():
    form = TwoFactorPolicyForm()
    if not form.validate():
        return _settings_page(two_factor_form=form, status=422)
    try:
        changed = company_settings.set_two_factor_policy(g.company, form.policy(), by=g.staff)
    except RuleError as error:
        show_errors(form, error, "two_factor_required")
        return _settings_page(two_factor_form=form, status=error.status)
    return _to_settings("Two-factor setting saved." if changed else "Nothing changed.")


@bp.post("/settings/logo")
@require(Capability.MANAGE_SETTINGS)
def upload_logo():
    form = LogoForm()
    if not form.validate():
        return _settings_page(logo_form=form, status=422)
    data = form.logo.data.stream.read(current_app.config["MAX_CONTENT_LENGTH"])
    try:
        company_settings.store_logo(g.company, data, by=g.staff)
    except RuleError as error:
        show_errors(form, error, "logo")
        return _settings_page(logo_form=form, status=error.status)
    return _to_settings("Logo saved.")


@bp.get("/settings/logo/<filename>")
def company_logo(filename: str):
    """The signed-in staff's company logo (the file name is random and never guessed)."""
    if filename != g.company.logo_filename:
        abort(404)
    # A new logo gets a new name, so this URL's content never changes.
    return cache_for_good(
        send_from_directory(company_settings.logo_folder(), filename, mimetype="image/png"),
        private=True,
    )
