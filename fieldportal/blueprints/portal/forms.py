"""Portal sign-in forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ...models import ReminderKind


class LinkRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class PasswordSignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class PinSignInForm(FlaskForm):
    phone = StringField("Phone number", validators=[DataRequired(), Length(max=40)])
    pin = PasswordField(
        "PIN", validators=[DataRequired(), Regexp(r"^\d{4,8}$", message="A PIN is 4 to 8 digits.")]
    )


class ChoosePasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class ReminderEmailsForm(FlaskForm):
    """Which reminder and notification emails a contact's address gets (one box per ReminderKind); the
    contact sets it in the Account tab, staff on the contact's portal access page."""

    appointment = BooleanField("Reminders of upcoming visits")
    invoice_overdue = BooleanField("Reminders of overdue invoices")
    quote_follow_up = BooleanField("Reminders of quotes waiting for an answer")
    request_received = BooleanField("Confirmation that a service request was received")
    on_my_way = BooleanField("A message when the technician is on the way")
    job_completed = BooleanField("A summary when a job is completed")
    service_due_digest = BooleanField("Each Monday, the fleet's vehicles due for service")

    @classmethod
    def showing(cls, wanted: dict) -> "ReminderEmailsForm":
        form = cls(formdata=None)
        for kind, on in wanted.items():
            form[kind.value].data = on
        return form

    def wanted(self) -> dict:
        return {kind: bool(self[kind.value].data) for kind in ReminderKind}

    @property
    def boxes(self) -> list:
        """One checkbox per kind, reminders first."""
        return [self[kind.value] for kind in ReminderKind]
