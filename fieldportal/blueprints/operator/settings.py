"""Settings (manage_settings): company profile, branding, portal, fleet defaults, staff."""

from flask import abort, current_app, flash, g, send_from_directory, url_for

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import Capability, StaffUser
from ...services import settings as company_settings
from ...services.errors import RuleError
from ...static_files import cache_for_good
from . import bp
from .access import get_for_company_or_404, require
from .forms import (
    CompanySettingsForm,
    EditStaffForm,
    LogoForm,
    NewStaffForm,
    TwoFactorPolicyForm,
    show_errors,
)


def _settings_page(form=None, logo_form=None, status=200, two_factor_form=None):
    return render(
        page="operator/settings/index.html",
        form=form or CompanySettingsForm.showing(g.company),
        logo_form=logo_form or LogoForm(formdata=None),
        two_factor_form=two_factor_form
        or TwoFactorPolicyForm(formdata=None, two_factor_required=g.company.two_factor_required),
        staff=company_settings.staff_list(g.company),
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


def _staff_form_page(form, heading: str, action: str, note: str | None = None, status=200):
    return render(
        page="operator/customers/record_form.html",
        form=form,
        heading=heading,
        action=action,
        back=url_for("operator.settings"),
        note=note,
        status=status,
    )


def _new_staff_page(form: NewStaffForm, status=200):
    return _staff_form_page(
        form, "New staff member", url_for("operator.create_staff"), None, status
    )


@bp.get("/settings/staff/new")
@require(Capability.MANAGE_SETTINGS)
def new_staff():
    return _new_staff_page(NewStaffForm())


@bp.post("/settings/staff/new")
@require(Capability.MANAGE_SETTINGS)
def create_staff():
    form = NewStaffForm()
    if not form.validate():
        return _new_staff_page(form, 422)
    try:
        company_settings.create_staff(g.company, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "email")
        return _new_staff_page(form, error.status)
    return _to_settings("Staff member added.")


def _edit_staff_page(staff: StaffUser, form: EditStaffForm, status=200):
    action = url_for("operator.save_staff", staff_id=staff.id)
    return _staff_form_page(form, f"Edit {staff.name}", action, staff.email, status)


@bp.get("/settings/staff/<int:staff_id>")
@require(Capability.MANAGE_SETTINGS)
def edit_staff(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    form = EditStaffForm()
    form.show(staff)
    return _edit_staff_page(staff, form)


@bp.post("/settings/staff/<int:staff_id>")
@require(Capability.MANAGE_SETTINGS)
def save_staff(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    form = EditStaffForm()
    if not form.validate():
        return _edit_staff_page(staff, form, 422)
    try:
        company_settings.update_staff(staff, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "role")
        return _edit_staff_page(staff, form, error.status)
    return _to_settings(f"{staff.name} saved.")
