from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length

from ...models import Plan
from ..operator.forms import strip
from ..validators import options


class PlatformSignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], filters=[strip])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    """A code from the authenticator app, or one of the recovery codes."""

    code = StringField(
        "The code your app shows",
        validators=[DataRequired(message="Enter the code your app shows."), Length(max=40)],
        filters=[strip],
    )


class PlanForm(FlaskForm):
    plan = RadioField(
        "Plan",
        choices=options(
            [
                (Plan.FREE.value, "Free: the back office, without the customer portal"),
                (Plan.PRO.value, "Pro: with the customer portal"),
            ]
        ),
        validators=[DataRequired(message="Choose a plan.")],
    )
