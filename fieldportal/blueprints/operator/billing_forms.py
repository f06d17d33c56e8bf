"""Forms shared by the quote and invoice pages: line items, tax rate, money amounts."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ...models import BillingTerms
from ...services.billing.money import (
    TOTAL_TOO_LARGE,
    AmountError,
    LineInput,
    compute_totals,
    parse_money,
    parse_percent,
    parse_quantity,
    percent_to_ppm,
    to_cents,
    within_limits,
)
from ..validators import options

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
            except AmountError as error:
                raise ValueError(str(error)) from error


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

    def chosen_terms(self) -> BillingTerms | None:
        """The terms picked, or None for "the customer's terms" (the default)."""
        return BillingTerms(self.billing_terms.data) if self.billing_terms.data else None

    po_number = StringField("PO number", validators=[Optional(), Length(max=60)])


class QuoteForm(LinesFormMixin, NoNulForm):
    class Meta:
        csrf = False

    customer_id = SelectField("Customer", coerce=int, validators=[DataRequired()])
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    valid_until = DateField("Valid until", validators=[Optional()])


class PaymentForm(NoNulForm):
    class Meta:
        csrf = False

    amount = TypedDecimalField(
        "Amount",
        [InputRequired(message="Enter the amount received."), NumberRange(min=Decimal("0.01"))],
        parse=parse_money,
    )
    method = SelectField(
        "Method",
        choices=options([("cash", "Cash"), ("check", "Check"), ("bank_transfer", "Bank transfer")]),
        validators=[DataRequired()],
    )
    reference = StringField("Reference", validators=[Optional(), Length(max=120)])
    received_on = DateField("Received on", validators=[Optional()])


class VoidForm(NoNulForm):
    class Meta:
        csrf = False

    reason = TextAreaField(
        "Reason", validators=[DataRequired(message="Give a reason for voiding."), Length(max=1000)]
    )
