"""Settings (manage_settings): company profile, branding, portal, fleet defaults, staff."""

from zoneinfo import available_timezones

from babel.numbers import list_currencies
from flask import abort, current_app, flash, g, request, send_from_directory, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from ...extensions import db
from ...htmx import redirect_after_post, render
from ...models import (
    ASSET_PORTAL_FIELDS,
    BillingTerms,
    Capability,
    LoginMethod,
    StaffRole,
    StaffUser,
)
from ...services.billing.money import parse_percent, percent_to_ppm, ppm_to_percent
from ...services.errors import RuleError
from ...services.settings import (
    SettingsError,
    create_staff,
    currency_lock,
    store_logo,
    update_company,
    update_staff,
)
from ...static_files import cache_for_good
from ..validators import options
from . import bp
from .access import get_for_company_or_404, require
from .forms import (
    TERMS_LABELS,
    MultiCheckboxField,
    PhoneField,
    TypedDecimalField,
    interval_field,
    none_if_blank,
    show_errors,
    strip,
)

TIME_ZONES = sorted(available_timezones() - {"Factory", "localtime"})
LOGIN_LABELS = {
    LoginMethod.MAGIC_LINK: "Email sign-in link",
    LoginMethod.TOKEN_URL: "Fleet portal link (token URL)",
    LoginMethod.PASSWORD: "Username and password",
    LoginMethod.ACTIVATION: "Activation email with temporary password",
    LoginMethod.PIN: "Phone number and PIN",
}


class CompanySettingsForm(FlaskForm):
    name = StringField(
        "Company name", validators=[DataRequired(), Length(max=120)], filters=[strip]
    )
    email = EmailField(
        "Email", validators=[Optional(), Email(), Length(max=254)], filters=[none_if_blank]
    )
    phone = PhoneField()
    address = TextAreaField(
        "Address", validators=[Optional(), Length(max=300)], filters=[none_if_blank]
    )
    brand_color = StringField(
        "Brand colour",
        validators=[
            DataRequired(),
            Regexp(r"^#[0-9a-fA-F]{6}$", message="Use a colour like #1d4ed8."),
        ],
    )
    time_zone = SelectField("Time zone", choices=options((z, z) for z in TIME_ZONES))
    currency = SelectField("Currency", choices=options((c, c) for c in sorted(list_currencies())))
    portal_enabled = BooleanField("Customer portal on")
    login_methods = MultiCheckboxField(
        "Ways customers may sign in",
        choices=options((m.value, LOGIN_LABELS[m]) for m in LoginMethod),
    )
    requests_enabled = BooleanField("Customers may request service")
    show_quotes = BooleanField("Show quotes in the portal")
    show_invoices = BooleanField("Show invoices in the portal")
    show_reports = BooleanField("Show reports in the portal")
    asset_id_label = StringField(
        "Asset ID label", validators=[DataRequired(), Length(max=40)], filters=[strip]
    )
    asset_portal_fields = MultiCheckboxField(
        "Asset fields shown in the portal",
        choices=options((f, f.replace("_", " ").capitalize()) for f in ASSET_PORTAL_FIELDS),
    )
    default_interval_miles = interval_field("Default fleet interval (miles)", "mile")
    default_interval_days = interval_field("Default fleet interval (days)", "day")
    default_billing_terms = SelectField(
        "Default billing terms",
        choices=options((t.value, label) for t, label in TERMS_LABELS.items()),
    )
    default_tax_percent = TypedDecimalField(
        "Default tax rate (%)",
        [InputRequired(message="Enter a rate, like 8.875 (0 for no tax).")],
        parse=parse_percent,
        places=None,
    )
    due_soon_percent = IntegerField(
        "“Due soon” within (% of the interval)",
        validators=[
            DataRequired(message="Give a percentage from 1 to 100."),
            NumberRange(min=1, max=100),
        ],
    )

    FIELDS = (
        "name",
        "email",
        "phone",
        "address",
        "brand_color",
        "time_zone",
        "currency",
        "portal_enabled",
        "login_methods",
        "requests_enabled",
        "show_quotes",
        "show_invoices",
        "show_reports",
        "asset_id_label",
        "asset_portal_fields",
        "default_interval_miles",
        "default_interval_days",
        "default_billing_terms",
        "default_tax_percent",
        "due_soon_percent",
    )

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in self.FIELDS}
        values["default_billing_terms"] = BillingTerms(values["default_billing_terms"])
        values["tax_rate_ppm"] = percent_to_ppm(values.pop("default_tax_percent"))
        values["login_methods"] = list(values["login_methods"] or [])
        values["asset_portal_fields"] = list(values["asset_portal_fields"] or [])
        values["brand_color"] = values["brand_color"].lower()
        return values


class LogoForm(FlaskForm):
    logo = FileField(
        "Logo (PNG, JPEG, GIF or WebP, up to 2 MB)",
        validators=[FileRequired("Choose an image file.")],
    )


class NewStaffForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[strip])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    role = SelectField("Role", choices=options((r.value, r.value.capitalize()) for r in StaffRole))
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class EditStaffForm(FlaskForm):
    role = SelectField("Role", choices=options((r.value, r.value.capitalize()) for r in StaffRole))
    active = BooleanField("Account active")


def _settings_page(form=None, logo_form=None, status=200):
    if form is None:
        form = CompanySettingsForm(obj=g.company)
        form.default_billing_terms.data = g.company.default_billing_terms.value
        form.default_tax_percent.data = ppm_to_percent(g.company.tax_rate_ppm)
    staff = db.session.scalars(
        select(StaffUser).where(StaffUser.company_id == g.company.id).order_by(StaffUser.name)
    ).all()
    return render(
        page="operator/settings/index.html",
        form=form,
        logo_form=logo_form or LogoForm(formdata=None),
        staff=staff,
        currency_note=currency_lock(g.company),
        status=status,
    )


@bp.route("/settings", methods=["GET", "POST"])
@require(Capability.MANAGE_SETTINGS)
def settings():
    if request.method == "GET":
        return _settings_page()
    form = CompanySettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form=form, status=422)
    try:
        update_company(g.company, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "name")
        return _settings_page(form=form, status=error.status)
    db.session.commit()
    flash("Settings saved.", "success")
    return redirect_after_post(url_for("operator.settings"))


@bp.route("/settings/logo", methods=["POST"])
@require(Capability.MANAGE_SETTINGS)
def upload_logo():
    form = LogoForm()
    if form.validate_on_submit():
        data = form.logo.data.stream.read(current_app.config["MAX_CONTENT_LENGTH"])
        try:
            store_logo(g.company, data, by=g.staff)
        except SettingsError as error:
            form.logo.errors = [str(error)]
        else:
            db.session.commit()
            flash("Logo saved.", "success")
            return redirect_after_post(url_for("operator.settings"))
    return _settings_page(logo_form=form, status=422)


@bp.route("/settings/logo/<filename>")
def company_logo(filename: str):
    """The signed-in staff's company logo (the file name is random and never guessed)."""
    if filename != g.company.logo_filename:
        abort(404)
    from ...services.settings import logo_folder

    # A new logo gets a new name, so this URL's content never changes.
    return cache_for_good(
        send_from_directory(logo_folder(), filename, mimetype="image/png"), private=True
    )


@bp.route("/settings/staff/new", methods=["GET", "POST"])
@require(Capability.MANAGE_SETTINGS)
def new_staff():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            create_staff(
                g.company,
                by=g.staff,
                name=form.name.data,
                email=form.email.data,
                role=StaffRole(form.role.data),
                password=form.password.data,
            )
        except SettingsError as error:
            getattr(form, error.field or "email").errors = [str(error)]
        else:
            db.session.commit()
            flash("Staff member added.", "success")
            return redirect_after_post(url_for("operator.settings"))
    return render(
        page="operator/customers/record_form.html",
        form=form,
        heading="New staff member",
        action=url_for("operator.new_staff"),
        back=url_for("operator.settings"),
        note=None,
        status=422 if form.is_submitted() else 200,
    )


@bp.route("/settings/staff/<int:staff_id>", methods=["GET", "POST"])
@require(Capability.MANAGE_SETTINGS)
def edit_staff(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    form = EditStaffForm(obj=staff)
    if request.method == "GET":
        form.role.data = staff.role.value
    if form.validate_on_submit():
        try:
            update_staff(staff, by=g.staff, role=StaffRole(form.role.data), active=form.active.data)
        except SettingsError as error:
            db.session.rollback()
            form.role.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"{staff.name} saved.", "success")
            return redirect_after_post(url_for("operator.settings"))
    return render(
        page="operator/customers/record_form.html",
        form=form,
        heading=f"Edit {staff.name}",
        action=url_for("operator.edit_staff", staff_id=staff.id),
        back=url_for("operator.settings"),
        note=staff.email,
        status=422 if form.is_submitted() else 200,
    )
