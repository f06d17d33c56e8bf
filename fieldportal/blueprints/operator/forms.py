"""The WTForms of the operator app (no routes here), grouped by the pages that use them."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

from babel.numbers import list_currencies
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ... import formatting
from ...models import (
    ASSET_PORTAL_FIELDS,
    BillingTerms,
    Company,
    CustomerKind,
    DefectSeverity,
    DefectStatus,
    ImportKind,
    Invoice,
    Job,
    LoginMethod,
    PaymentMethod,
    PortalPermission,
    Quote,
    Report,
    ReportKind,
    StaffRole,
    StaffUser,
    TwoFactorPolicy,
)
from ...services.billing.money import (
    TERM_LABELS,
    TOTAL_TOO_LARGE,
    LineInput,
    compute_totals,
    parse_money,
    parse_percent,
    parse_quantity,
    percent_to_ppm,
    ppm_to_percent,
    to_cents,
    within_limits,
)
from ...services.errors import Invalid, RuleError
from ..validators import DATABASE_ID, PAGE_NUMBER, option_values, options

CHOOSE = "Choose one of the options listed."

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
TERMS_LABELS = {
    BillingTerms.ON_COMPLETION: "On completion",
    BillingTerms.NET_15: "Net 15",
    BillingTerms.NET_30: "Net 30",
}


def show_errors(form, error: RuleError, field_name: str) -> None:
    """Put a service's refusal on the form: each message on its field, a message for no
    field of the form on ``field_name``."""
    for name, messages in (error.errors or {field_name: [error.message]}).items():
        field = form._fields.get(name) or form[field_name]
        field.errors = [*field.errors, *messages]


class PhoneField(StringField):
    """A phone number input (type=tel). A stored number (E.164) is shown as the company
    writes it; what is typed is read and checked by the service (services/phones.py)."""

    widget = widgets.TelInput()

    def __init__(self, label="Phone", **kwargs):
        kwargs.setdefault("validators", [Optional(), Length(max=40)])
        kwargs.setdefault("filters", [none_if_blank])
        kwargs.setdefault("render_kw", {"autocomplete": "tel"})
        super().__init__(label, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return formatting.phone(self.data)


def optional_id(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class ChoiceField(SelectField):
    """A select whose value must be one of the listed options (ids of this company)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", optional_id)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        if self.data not in option_values(self):
            raise ValidationError(CHOOSE)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = "invalid"


def strip(value):
    return value.strip() if isinstance(value, str) else value


def none_if_blank(value):
    value = strip(value)
    return value or None


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        allowed = {str(value) for value in option_values(self)}
        if any(str(value) not in allowed for value in self.data or []):
            raise ValidationError("Choose one of the options listed.")


def interval_field(label: str, unit: str):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=1, max=1_000_000, message=f"An interval is at least 1 {unit}."),
        ],
    )


class CustomerForm(FlaskForm):
    kind = SelectField(
        "Kind",
        choices=options((k.value, k.value.capitalize()) for k in CustomerKind),
        validators=[DataRequired()],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=160)], filters=[strip])
    email = EmailField(
        "Email", validators=[Optional(), Email(), Length(max=254)], filters=[none_if_blank]
    )
    phone = PhoneField()
    billing_address = TextAreaField(
        "Billing address", validators=[Optional(), Length(max=300)], filters=[none_if_blank]
    )
    billing_terms = SelectField(
        "Billing terms", choices=options((t.value, label) for t, label in TERMS_LABELS.items())
    )
    interval_miles = interval_field("Default service interval (miles)", "mile")
    interval_days = interval_field("Default service interval (days)", "day")
    notes = TextAreaField(
        "Notes", validators=[Optional(), Length(max=5000)], filters=[none_if_blank]
    )

    FIELDS = (
        "kind",
        "name",
        "email",
        "phone",
        "billing_address",
        "billing_terms",
        "interval_miles",
        "interval_days",
        "notes",
    )

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in self.FIELDS}
        values["kind"] = CustomerKind(values["kind"])
        values["billing_terms"] = BillingTerms(values["billing_terms"])
        return values


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[strip])
    email = EmailField(
        "Email", validators=[Optional(), Email(), Length(max=254)], filters=[none_if_blank]
    )
    phone = PhoneField()
    is_admin = BooleanField("Admin (every portal feature)")
    permissions = MultiCheckboxField(
        "Portal permissions",
        choices=options((p.value, p.value.capitalize()) for p in PortalPermission),
    )
    portal_access = BooleanField("May use the portal", default=True)
    all_sites = BooleanField("Sees all sites", default=True)
    site_ids = MultiCheckboxField("Only these sites", coerce=int)

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "email": self.email.data.lower() if self.email.data else None,
            "phone": self.phone.data,
            "is_admin": self.is_admin.data,
            "permissions": list(self.permissions.data or []),
            "portal_access": self.portal_access.data,
            "all_sites": self.all_sites.data,
            "site_ids": list(self.site_ids.data or []),
        }

    def validate_site_ids(self, field):
        if not self.all_sites.data and not field.data:
            raise ValidationError("Choose at least one site, or let the contact see all sites.")


class ContactPasswordForm(FlaskForm):
    """Staff set the username (the email the contact signs in with) and password."""

    email = EmailField(
        "Username (the email they sign in with)",
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[strip],
    )
    password = PasswordField(
        "New password (at least 8 characters)", validators=[DataRequired(), Length(max=200)]
    )

    def values(self) -> dict:
        return {"username": self.email.data, "password": self.password.data}


class PinForm(FlaskForm):
    pin = PasswordField(
        "New PIN (4 to 8 digits)",
        validators=[DataRequired(), Regexp(r"^\d{4,8}$", message="A PIN is 4 to 8 digits.")],
    )
    send = BooleanField("Email the PIN to the contact")
    message = TextAreaField("Message to include", validators=[Optional(), Length(max=1000)])


class SiteForm(FlaskForm):
    name = StringField("Site name", validators=[DataRequired(), Length(max=120)], filters=[strip])
    address_line1 = StringField(
        "Address", validators=[DataRequired(), Length(max=160)], filters=[strip]
    )
    address_line2 = StringField(
        "Address line 2", validators=[Optional(), Length(max=160)], filters=[none_if_blank]
    )
    city = StringField("City", validators=[DataRequired(), Length(max=80)], filters=[strip])
    region = StringField(
        "State / region", validators=[Optional(), Length(max=80)], filters=[none_if_blank]
    )
    postal_code = StringField(
        "Postal code", validators=[Optional(), Length(max=20)], filters=[none_if_blank]
    )
    country = StringField(
        "Country (2 letters)",
        default="US",
        validators=[DataRequired(), Length(min=2, max=2)],
        filters=[lambda v: v.strip().upper() if v else v],
    )

    FIELDS = ("name", "address_line1", "address_line2", "city", "region", "postal_code", "country")

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class VehicleForm(FlaskForm):
    year = IntegerField("Year", validators=[Optional(), NumberRange(min=1900, max=2100)])
    make = StringField("Make", validators=[DataRequired(), Length(max=60)], filters=[strip])
    model = StringField("Model", validators=[DataRequired(), Length(max=60)], filters=[strip])
    plate = StringField("Plate", validators=[Optional(), Length(max=20)], filters=[none_if_blank])
    vin = StringField(
        "VIN",
        validators=[Optional(), Length(max=17)],
        filters=[lambda v: v.strip().upper() or None if v else None],
    )
    odometer = IntegerField(
        "Odometer (miles)",
        validators=[
            InputRequired(),
            NumberRange(min=0, message="The odometer cannot be negative."),
            NumberRange(max=10_000_000, message="That odometer reading is too large."),
        ],
    )
    oil_spec = StringField(
        "Oil spec", validators=[Optional(), Length(max=60)], filters=[none_if_blank]
    )
    interval_miles = interval_field("Interval override (miles)", "mile")
    interval_days = interval_field("Interval override (days)", "day")
    site_id = ChoiceField("Site")

    FIELDS = (
        "year",
        "make",
        "model",
        "plate",
        "vin",
        "odometer",
        "oil_spec",
        "interval_miles",
        "interval_days",
        "site_id",
    )

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


def vin_looks_valid(vin: str | None) -> bool:
    """17 characters, no I, O or Q: what a modern VIN looks like (others are allowed)."""
    return bool(vin and VIN_PATTERN.match(vin))


class AssetForm(FlaskForm):
    asset_code = StringField(
        "Asset ID", validators=[DataRequired(), Length(max=60)], filters=[strip]
    )
    asset_type = StringField("Type", validators=[DataRequired(), Length(max=60)], filters=[strip])
    model_number = StringField(
        "Model number", validators=[Optional(), Length(max=60)], filters=[none_if_blank]
    )
    serial_number = StringField(
        "Serial number", validators=[Optional(), Length(max=60)], filters=[none_if_blank]
    )
    customer_ref = StringField(
        "Customer reference", validators=[Optional(), Length(max=60)], filters=[none_if_blank]
    )
    description = TextAreaField(
        "Description", validators=[Optional(), Length(max=5000)], filters=[none_if_blank]
    )
    site_id = ChoiceField("Site")

    FIELDS = (
        "asset_code",
        "asset_type",
        "model_number",
        "serial_number",
        "customer_ref",
        "description",
        "site_id",
    )

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class AssetTestForm(FlaskForm):
    test_number = StringField(
        "Test number", validators=[DataRequired(), Length(max=40)], filters=[strip]
    )
    tested_on = DateField("Tested on", validators=[DataRequired()])
    result = SelectField("Result", choices=options([("pass", "Pass"), ("fail", "Fail")]))
    notes = TextAreaField(
        "Notes", validators=[Optional(), Length(max=5000)], filters=[none_if_blank]
    )

    def values(self) -> dict:
        return {n: getattr(self, n).data for n in ("test_number", "tested_on", "result", "notes")}


class DefectForm(FlaskForm):
    description = TextAreaField(
        "Defect", validators=[DataRequired(), Length(max=5000)], filters=[strip]
    )
    severity = SelectField(
        "Severity", choices=options((s.value, s.value.capitalize()) for s in DefectSeverity)
    )
    status = SelectField(
        "Status", choices=options((s.value, s.value.capitalize()) for s in DefectStatus)
    )
    found_on = DateField("Found on", validators=[DataRequired()])

    def values(self) -> dict:
        return {
            "description": self.description.data,
            "severity": DefectSeverity(self.severity.data),
            "status": DefectStatus(self.status.data),
            "found_on": self.found_on.data,
        }


class JobTypesForm(FlaskForm):
    job_type_ids = MultiCheckboxField("Job types this customer may request", coerce=int)


class OdometerForm(FlaskForm):
    odometer = IntegerField(
        "New odometer reading",
        validators=[
            InputRequired(),
            NumberRange(min=0, message="The odometer cannot be negative."),
            NumberRange(max=10_000_000, message="That odometer reading is too large."),
        ],
    )

    def values(self) -> dict:
        return {"odometer": self.odometer.data}


# ---------------------------------------------------------------- the request inbox


class InboxFilters(FlaskForm):
    class Meta:
        csrf = False

    status = StringField(default="pending")
    urgency = StringField()
    customer_id = IntegerField(validators=[Optional(), DATABASE_ID])
    job_type_id = IntegerField(validators=[Optional(), DATABASE_ID])
    page = IntegerField(default=1, validators=[Optional(), PAGE_NUMBER])

    def valid(self, name: str):
        """The field's value, or None when it is missing or did not parse."""
        field = getattr(self, name)
        return None if field.errors else field.data


class ApproveForm(FlaskForm):
    """Approve a request, optionally with a window (company time) and a technician."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST already

    date = DateField(validators=[Optional()])
    start = TimeField(validators=[Optional()])
    end = TimeField(validators=[Optional()])
    technician_id = IntegerField(validators=[Optional(), DATABASE_ID])

    # A window given only by its start lasts this long.
    DEFAULT_WINDOW = timedelta(hours=2)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.date.data or self.start.data or self.end.data:
            if not self.date.data:
                self.date.errors.append("Pick a date for the window.")
            if not self.start.data:
                self.start.errors.append("Pick a start time.")
        return not self.errors

    def window(self, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The chosen window as UTC datetimes (read in the company's zone), or None."""
        if not self.date.data:
            return None
        start = datetime.combine(self.date.data, self.start.data, tzinfo=zone)
        end = (
            datetime.combine(self.date.data, self.end.data, tzinfo=zone)
            if self.end.data
            else start + self.DEFAULT_WINDOW
        )
        return start.astimezone(UTC), end.astimezone(UTC)


class DeclineForm(FlaskForm):
    class Meta:
        csrf = False

    reason = TextAreaField()


# ---------------------------------------------------------------- jobs


def to_utc(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A naive local datetime from a form, read in the company's zone, as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=zone).astimezone(UTC)


def to_local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored UTC datetime as the naive local value a datetime-local input shows."""
    return value.astimezone(zone).replace(tzinfo=None) if value else None


def plausible_year(form, field):
    """Refuse years no job is booked in (9999-12-31 would overflow converting to UTC)."""
    if field.data and not 2000 <= field.data.year <= 2999:
        raise ValidationError("Enter a date between the years 2000 and 2999.")


def staff_choices(staff: list[StaffUser]) -> list[SelectChoice]:
    return options([(None, "Unassigned")] + [(s.id, f"{s.name} ({s.role.value})") for s in staff])


class WindowMixin:
    window_start = DateTimeLocalField(
        "Window starts", format="%Y-%m-%dT%H:%M", validators=[Optional(), plausible_year]
    )
    window_end = DateTimeLocalField(
        "Window ends", format="%Y-%m-%dT%H:%M", validators=[Optional(), plausible_year]
    )

    def validate_window_end(self, field):
        start, end = self.window_start.data, field.data
        if (start is None) != (end is None):
            raise ValidationError("Give both the start and the end of the window, or neither.")
        if start and end and end <= start:
            raise ValidationError("The window must end after it starts.")

    def show_window(self, job: Job, zone: ZoneInfo) -> None:
        self.window_start.data = to_local(job.window_start, zone)
        self.window_end.data = to_local(job.window_end, zone)

    def window(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        return to_utc(self.window_start.data, zone), to_utc(self.window_end.data, zone)


class JobForm(WindowMixin, FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    job_type_id = ChoiceField("Job type")
    site_id = ChoiceField("Site")
    vehicle_id = ChoiceField("Vehicle")
    asset_id = ChoiceField("Asset")
    technician_id = ChoiceField("Technician")
    po_number = StringField("Customer PO number", validators=[Optional(), Length(max=60)])
    customer_notes = TextAreaField(
        "Notes the customer sees", validators=[Optional(), Length(max=5000)]
    )
    internal_notes = TextAreaField("Internal notes", validators=[Optional(), Length(max=5000)])

    FIELDS = (
        "title",
        "description",
        "job_type_id",
        "site_id",
        "vehicle_id",
        "asset_id",
        "technician_id",
        "po_number",
        "customer_notes",
        "internal_notes",
    )

    def offer(self, offered) -> None:
        """The selects' options: only this customer's sites, vehicles and assets."""

        def choices(rows, label):
            return options([(None, "—")] + [(row.id, label(row)) for row in rows])

        self.site_id.choices = choices(offered.sites, lambda s: s.name)
        self.vehicle_id.choices = choices(offered.vehicles, lambda v: v.label)
        self.asset_id.choices = choices(offered.assets, lambda a: f"{a.asset_code} {a.asset_type}")
        self.job_type_id.choices = choices(offered.job_types, lambda t: t.name)
        self.technician_id.choices = staff_choices(offered.staff)

    def values(self, zone: ZoneInfo) -> dict:
        values = {name: getattr(self, name).data for name in self.FIELDS}
        for name in ("description", "po_number", "customer_notes", "internal_notes"):
            values[name] = (values[name] or "").strip() or None
        values["window_start"], values["window_end"] = self.window(zone)
        return values


class CustomerPickForm(FlaskForm):
    class Meta:
        csrf = False

    customer_id = ChoiceField("Customer")


class ScheduleForm(WindowMixin, FlaskForm):
    def validate_window_start(self, field):
        if field.data is None:
            raise ValidationError("Choose when the window starts.")


class AssignForm(FlaskForm):
    technician_id = ChoiceField("Technician")


class PlanForm(ScheduleForm):
    """The schedule board's form opened in place: a job's window and technician."""

    technician_id = ChoiceField("Technician")


class StatusForm(FlaskForm):
    status = ChoiceField(
        "New status", coerce=str, validators=[DataRequired(message="Choose the new status.")]
    )


class CompleteForm(FlaskForm):
    odometer = IntegerField(
        "Odometer at service",
        validators=[
            Optional(),
            NumberRange(min=0, message="The odometer cannot be negative."),
            NumberRange(max=10_000_000, message="That odometer reading is too large."),
        ],
    )
    services_performed = TextAreaField(
        "Services performed", validators=[DataRequired(), Length(max=5000)]
    )


class StepForm(FlaskForm):
    """A My day button: the step it takes (on my way, arrived, start work)."""

    step = HiddenField(
        validators=[
            AnyOf(("en_route", "arrived", "in_progress"), message="That is not a step of a job.")
        ]
    )


# ---------------------------------------------------------------- fleet accounts


class FleetLinkEmailForm(FlaskForm):
    to = EmailField(
        "Send to",
        validators=[
            DataRequired(message="Enter the email address to send the link to."),
            Email(message="Enter a valid email address, like name@example.com."),
            Length(max=254),
        ],
        filters=[strip],
    )
    message = TextAreaField("Message (optional)", validators=[Optional(), Length(max=1000)])
    # The link staff were just shown (the raw token exists only in that response).
    token = HiddenField(validators=[Optional(), Length(max=100)])


class FleetPortalForm(FlaskForm):
    enabled = HiddenField("Portal", validators=[AnyOf(["on", "off"], message="Choose on or off.")])


# ---------------------------------------------------------------- quotes and invoices

NUL_MESSAGE = "Remove the invisible control character (NUL) from this field."


def _nul_fields(form):
    """Fields (also inside line rows) whose submitted text contains a NUL byte, which
    PostgreSQL cannot store."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from _nul_fields(entry.form)
        elif any("\x00" in str(value) for value in (field.raw_data or [])):
            yield field


class NoNulForm(FlaskForm):
    """A form that refuses NUL bytes with a message on the field (422, never a 500)."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        bad = list(_nul_fields(self))
        for field in bad:
            field.errors = [*field.errors, NUL_MESSAGE]
        return valid and not bad


BLANK_LINE_ROWS = 3
MAX_LINES = 200


class TypedDecimalField(DecimalField):
    """A number typed in plain digits and checked by one of the services' parsers
    (``parse_money``, ``parse_quantity``, ``parse_percent``): NaN, Infinity, exponents,
    minus signs, too many decimal places and out-of-range values get the parser's
    message on the field instead of reaching the database. ``places=None`` shows the
    value as it is (a tax rate of 8.875 must not be shown rounded to 8.88)."""

    def __init__(self, label=None, validators=None, *, parse, places=2, **kwargs):
        super().__init__(label, validators, places=places, **kwargs)
        self.parse = parse

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = self.parse(valuelist[0])
            except Invalid as error:
                raise ValueError(error.message) from error


class LineForm(Form):
    """One row; a row with no description is an unused blank row."""

    description = StringField("Description", validators=[Optional(), Length(max=300)])
    quantity = TypedDecimalField("Qty", parse=parse_quantity)
    unit_price = TypedDecimalField("Unit price", parse=parse_money)
    taxable = BooleanField("Taxable", default=True)


class LinesFormMixin:
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=MAX_LINES)
    tax_percent = TypedDecimalField("Tax rate (%)", parse=parse_percent, places=None)
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])

    def line_inputs(self) -> list[LineInput]:
        result = []
        for entry in self.lines:
            row = entry.form  # FormField.description is the field's own help text
            description = (row.description.data or "").strip()
            if not description:
                continue
            quantity = row.quantity.data if row.quantity.data is not None else Decimal("1")
            result.append(
                LineInput(
                    description,
                    quantity,
                    to_cents(row.unit_price.data or Decimal(0)),
                    bool(row.taxable.data),
                )
            )
        return result

    def tax_rate_ppm(self) -> int:
        """The tax rate in parts per million (8.875 % → 88,750; exact: at most 4 decimals
        can be typed)."""
        return percent_to_ppm(self.tax_percent.data or Decimal(0))

    def validate_lines(self, field):
        unpriced = [
            entry.form
            for entry in self.lines
            if (entry.form.description.data or "").strip()
            and entry.form.unit_price.data is None
            and not entry.form.unit_price.process_errors
        ]
        for row in unpriced:
            row.unit_price.errors = [*row.unit_price.errors, "Enter a unit price."]
        if unpriced:
            raise ValidationError("Every line with a description needs a unit price.")
        if not self.line_inputs():
            raise ValidationError("Add at least one line with a description and a price.")
        if self.tax_percent.process_errors or any(entry.form.errors for entry in self.lines):
            return  # the totals of invalid rows mean nothing
        if not within_limits(compute_totals(self.line_inputs(), self.tax_rate_ppm())):
            raise ValidationError(TOTAL_TOO_LARGE)

    def fill_lines(self, lines, blank_rows: int = BLANK_LINE_ROWS) -> None:
        """Existing lines plus blank rows to add more (no JavaScript needed)."""
        while len(self.lines.entries):
            self.lines.pop_entry()
        for line in lines:
            self.lines.append_entry(
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": Decimal(line.unit_price_cents) / 100,
                    "taxable": line.taxable,
                }
            )
        for _ in range(blank_rows):
            self.lines.append_entry({"taxable": True})


class InvoiceForm(LinesFormMixin, NoNulForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST

    customer_id = SelectField("Customer", coerce=int, validators=[DataRequired()])
    billing_terms = SelectField("Terms", validators=[Optional()])
    po_number = StringField("PO number", validators=[Optional(), Length(max=60)])

    def offer(self, customers: list[tuple[int, str]]) -> None:
        """The customers to choose from, and the terms (blank: the customer's own)."""
        self.customer_id.choices = options(customers)
        self.billing_terms.choices = options(
            [("", "The customer's terms")]
            + [(terms.value, TERM_LABELS[terms]) for terms in BillingTerms]
        )

    def start(self, tax_rate_ppm: int, customer_id: int | None) -> None:
        """A new invoice: the company's tax rate, the customer named, blank lines."""
        self.tax_percent.data = ppm_to_percent(tax_rate_ppm)
        self.customer_id.data = customer_id
        self.fill_lines([])

    def show(self, invoice: Invoice) -> None:
        self.customer_id.data = invoice.customer_id
        self.billing_terms.data = invoice.billing_terms.value
        self.po_number.data = invoice.po_number
        self.notes.data = invoice.notes
        self.tax_percent.data = ppm_to_percent(invoice.tax_rate_ppm)
        self.fill_lines(invoice.lines)

    def values(self, default_terms: BillingTerms | None = None) -> dict:
        """What the invoice services take; terms left blank are ``default_terms`` (None:
        the customer's, for a new invoice)."""
        chosen = BillingTerms(self.billing_terms.data) if self.billing_terms.data else None
        return {
            "lines": self.line_inputs(),
            "tax_rate_ppm": self.tax_rate_ppm(),
            "po_number": self.po_number.data or None,
            "notes": self.notes.data or None,
            "billing_terms": chosen or default_terms,
        }


class QuoteForm(LinesFormMixin, NoNulForm):
    class Meta:
        csrf = False

    customer_id = SelectField("Customer", coerce=int, validators=[DataRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    valid_until = DateField("Valid until", validators=[Optional()])

    def offer(self, customers: list[tuple[int, str]]) -> None:
        self.customer_id.choices = options(customers)

    def start(self, tax_rate_ppm: int, customer_id: int | None) -> None:
        """A new quote: the company's tax rate, the customer named, blank lines."""
        self.tax_percent.data = ppm_to_percent(tax_rate_ppm)
        self.customer_id.data = customer_id
        self.fill_lines([])

    def show(self, quote: Quote) -> None:
        self.customer_id.data = quote.customer_id
        self.title.data = quote.title
        self.valid_until.data = quote.valid_until
        self.notes.data = quote.notes
        self.tax_percent.data = ppm_to_percent(quote.tax_rate_ppm)
        self.fill_lines(quote.lines)

    def values(self) -> dict:
        """What the quote services take."""
        return {
            "title": self.title.data,
            "lines": self.line_inputs(),
            "valid_until": self.valid_until.data,
            "tax_rate_ppm": self.tax_rate_ppm(),
            "notes": self.notes.data or None,
        }


MANUAL_PAYMENT_METHODS = options(
    [
        (PaymentMethod.CASH.value, "Cash"),
        (PaymentMethod.CHECK.value, "Check"),
        (PaymentMethod.BANK_TRANSFER.value, "Bank transfer"),
    ]
)


class PaymentForm(NoNulForm):
    class Meta:
        csrf = False

    amount = TypedDecimalField(
        "Amount",
        [InputRequired(message="Enter the amount received."), NumberRange(min=Decimal("0.01"))],
        parse=parse_money,
    )
    method = SelectField("Method", choices=MANUAL_PAYMENT_METHODS, validators=[DataRequired()])
    reference = StringField("Reference", validators=[Optional(), Length(max=120)])
    received_on = DateField("Received on", validators=[Optional()])

    @classmethod
    def for_balance(cls, balance_cents: int) -> "PaymentForm":
        """An empty form whose amount is the balance still due (when there is one)."""
        form = cls(formdata=None)
        if balance_cents:
            form.amount.data = Decimal(balance_cents) / 100
        return form

    def values(self) -> dict:
        """What ``invoices.record_payment`` takes."""
        return {
            "amount_cents": to_cents(self.amount.data),
            "method": PaymentMethod(self.method.data),
            "reference": self.reference.data or None,
            "received_on": self.received_on.data,
        }


class VoidForm(NoNulForm):
    class Meta:
        csrf = False

    reason = TextAreaField(
        "Reason", validators=[DataRequired(message="Give a reason for voiding."), Length(max=1000)]
    )


# ---------------------------------------------------------------- reports


class ReportForm(NoNulForm):
    class Meta:
        csrf = False

    customer_id = SelectField("Customer", coerce=int, validators=[Optional()])
    kind = SelectField(
        "Kind",
        choices=options((k.value, k.value.capitalize()) for k in ReportKind),
        validators=[DataRequired()],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    body = TextAreaField("Report", validators=[Optional(), Length(max=50_000)])

    def start(self, job: Job | None) -> None:
        """A new report: for a job, its customer and a title saying so."""
        if job is not None:
            self.customer_id.data = job.customer_id
            self.title.data = f"Service report — {job.title}"

    def show(self, report: Report) -> None:
        self.kind.data = report.kind.value
        self.title.data = report.title
        self.body.data = report.body

    def values(self) -> dict:
        """What the report services take."""
        return {
            "kind": ReportKind(self.kind.data),
            "title": self.title.data,
            "body": self.body.data or "",
        }


# ---------------------------------------------------------------- settings

TIME_ZONES = sorted(available_timezones() - {"Factory", "localtime"})
LOGIN_LABELS = {
    LoginMethod.MAGIC_LINK: "Email sign-in link",
    LoginMethod.TOKEN_URL: "Fleet portal link (token URL)",
    LoginMethod.PASSWORD: "Username and password",
    LoginMethod.ACTIVATION: "Activation email with temporary password",
    LoginMethod.PIN: "Phone number and PIN",
}
ROLE_CHOICES = options((r.value, r.value.capitalize()) for r in StaffRole)


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
    technicians_see_all_jobs = BooleanField("Technicians see every job of the day in My day")
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
        "technicians_see_all_jobs",
    )

    @classmethod
    def showing(cls, company: Company) -> "CompanySettingsForm":
        form = cls(formdata=None, obj=company)
        form.default_billing_terms.data = company.default_billing_terms.value
        form.default_tax_percent.data = ppm_to_percent(company.tax_rate_ppm)
        return form

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
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "email": self.email.data,
            "role": StaffRole(self.role.data),
            "password": self.password.data,
        }


class JobTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)], filters=[strip])
    description = StringField(
        "Description (optional)", validators=[Optional(), Length(max=300)], filters=[none_if_blank]
    )

    def values(self) -> dict:
        return {"name": self.name.data, "description": self.description.data}


class JobTypeSwitchForm(FlaskForm):
    active = BooleanField("Offered")


class InviteStaffForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    # The least a new person may do; the owner picks more.
    role = SelectField("Role", choices=ROLE_CHOICES, default=StaffRole.TECHNICIAN.value)

    def values(self) -> dict:
        return {"email": self.email.data, "role": StaffRole(self.role.data)}


class EditStaffForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Account active")

    def show(self, staff: StaffUser) -> None:
        self.role.data = staff.role.value
        self.active.data = staff.active

    def values(self) -> dict:
        return {"role": StaffRole(self.role.data), "active": self.active.data}


# ---------------------------------------------------------------- your profile


class ProfileForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)], filters=[strip])


class ChangePasswordForm(FlaskForm):
    """The current password, and a new one typed twice (the rules are the service's)."""

    current_password = PasswordField(
        "Current password", [DataRequired(), Length(max=200)], id="current-password"
    )
    password = PasswordField("New password", [DataRequired(), Length(max=200)], id="new-password")
    confirm = PasswordField(
        "Repeat the new password",
        [DataRequired(), EqualTo("password", message="The two passwords differ.")],
        id="confirm-password",
    )


class TwoFactorConfirmForm(FlaskForm):
    code = StringField("Code from the app", [DataRequired(), Length(max=40)], filters=[strip])


class TwoFactorOffForm(FlaskForm):
    password = PasswordField("Your password", [DataRequired(), Length(max=200)], id="off-password")
    code = StringField(
        "Code from the app, or a recovery code",
        [DataRequired(), Length(max=40)],
        filters=[strip],
        id="off-code",
    )


class RecoveryCodesForm(FlaskForm):
    password = PasswordField(
        "Your password", [DataRequired(), Length(max=200)], id="recovery-password"
    )


TWO_FACTOR_POLICY_LABELS = {
    TwoFactorPolicy.OFF: "Not required (each person may turn it on)",
    TwoFactorPolicy.OWNERS: "Required for owners",
    TwoFactorPolicy.ALL: "Required for all staff",
}


class TwoFactorPolicyForm(FlaskForm):
    two_factor_required = SelectField(
        "Two-factor sign-in",
        choices=options((p.value, label) for p, label in TWO_FACTOR_POLICY_LABELS.items()),
    )

    def policy(self) -> TwoFactorPolicy:
        return TwoFactorPolicy(self.two_factor_required.data)


# ---------------------------------------------------------------- importing files


class ImportForm(FlaskForm):
    kind = SelectField(
        "What the file holds",
        choices=options((kind.value, kind.value.capitalize()) for kind in ImportKind),
        validators=[DataRequired()],
    )
    file = FileField(
        "File (CSV or .xlsx, up to 10 MB)",
        validators=[FileRequired("Choose a CSV or .xlsx file.")],
    )

    def values(self) -> dict:
        return {
            "kind": ImportKind(self.kind.data),
            "filename": self.file.data.filename or "",
            "data": self.file.data.read(),
        }


class ConfirmImportForm(FlaskForm):
    # The preview's fingerprint: what was shown is what is written, or nothing is.
    digest = HiddenField()


class ReminderSettingsForm(FlaskForm):
    """On/off of each reminder and notification kind, and each reminder's timing
    (services/reminders.py checks it)."""

    appointment_enabled = BooleanField("Remind customers of each visit")
    appointment_timing = StringField("Hours before the arrival window", validators=[Length(max=40)])
    invoice_overdue_enabled = BooleanField("Remind customers of overdue invoices")
    invoice_overdue_timing = StringField(
        "Days after the due date (up to five, separated by commas)", validators=[Length(max=40)]
    )
    quote_follow_up_enabled = BooleanField("Follow up quotes not answered yet")
    quote_follow_up_timing = StringField("Days after sending", validators=[Length(max=40)])
    request_received_enabled = BooleanField("Confirm each service request as it arrives")
    on_my_way_enabled = BooleanField("Tell the customer when the technician sets off")
    job_completed_enabled = BooleanField("Send a summary when a job is completed")
    service_due_digest_enabled = BooleanField(
        "Email fleet managers each Monday the vehicles overdue or due soon"
    )

    @classmethod
    def showing(cls, choices: dict) -> "ReminderSettingsForm":
        form = cls(formdata=None)
        for kind, choice in choices.items():
            form[f"{kind.value}_enabled"].data = choice.enabled
            if kind.timed:
                form[f"{kind.value}_timing"].data = choice.timing_text
        return form

    def values(self, kinds) -> dict:
        return {
            kind: (
                self[f"{kind.value}_enabled"].data,
                (self[f"{kind.value}_timing"].data or "") if kind.timed else "",
            )
            for kind in kinds
        }


# ---------------------------------------------------------------- customer data


class EraseCustomerForm(NoNulForm):
    class Meta:
        csrf = False

    confirmation = StringField(
        "Type the customer's name to confirm",
        validators=[DataRequired(message="Type the customer's name to confirm."), Length(max=200)],
    )
    understood = BooleanField(
        "I understand that erasing cannot be undone",
        validators=[DataRequired(message="Tick the box to say you understand.")],
    )
