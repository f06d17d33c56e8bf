"""Forms shared by the quote and invoice pages: line items, tax rate, money amounts."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ...services.billing import LineInput

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
MAX_CENTS = 100_000_000_00  # $100M: far beyond any invoice, well inside the integer column


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


class LineForm(Form):
    """One row; a row with no description is an unused blank row."""

    description = StringField("Description", validators=[Optional(), Length(max=300)])
    quantity = DecimalField(
        "Qty",
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("99999999"))],
    )
    unit_price = DecimalField(
        "Unit price",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=Decimal(MAX_CENTS) / 100)],
    )
    taxable = BooleanField("Taxable", default=True)


class LinesFormMixin:
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=MAX_LINES)
    tax_percent = DecimalField(
        "Tax rate (%)", places=3, validators=[Optional(), NumberRange(min=0, max=100)]
    )
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

    def tax_rate_bp(self) -> int:
        try:
            return int(
                (Decimal(self.tax_percent.data or 0) * 100).quantize(
                    Decimal("1"), rounding=ROUND_HALF_UP
                )
            )
        except InvalidOperation:
            return 0

    def validate_lines(self, field):
        unpriced = [
            entry.form
            for entry in self.lines
            if (entry.form.description.data or "").strip() and entry.form.unit_price.data is None
        ]
        for row in unpriced:
            row.unit_price.errors = [*row.unit_price.errors, "Enter a unit price."]
        if unpriced:
            raise ValidationError("Every line with a description needs a unit price.")
        if not self.line_inputs():
            raise ValidationError("Add at least one line with a description and a price.")

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
    billing_terms = SelectField("Terms", validators=[DataRequired()])
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

    amount = DecimalField(
        "Amount", places=2, validators=[DataRequired(), NumberRange(min=Decimal("0.01"))]
    )
    method = SelectField(
        "Method",
        choices=[("cash", "Cash"), ("check", "Check"), ("bank_transfer", "Bank transfer")],
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
