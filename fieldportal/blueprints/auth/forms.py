from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..operator.forms import strip

# The address someone signs in with, loosely: whatever it is, the answer is the same.
ONE_ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
NOT_AN_ADDRESS = "Enter an email address like name@example.com."


class StaffSignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Your email",
        [DataRequired(), Length(max=254), Regexp(ONE_ADDRESS, message=NOT_AN_ADDRESS)],
        filters=[strip],
    )


class NewPasswordForm(FlaskForm):
    """A new password typed twice (the rules are the service's: passwords.password_problem)."""

    password = PasswordField("New password", [DataRequired(), Length(max=200)])
    confirm = PasswordField(
        "Repeat the new password",
        [DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class TwoFactorCodeForm(FlaskForm):
    """A code from the authenticator app, or (signing in, turning it off) a recovery code."""

    code = StringField("Code", [DataRequired(), Length(max=40)], filters=[strip])


class NameAndPasswordForm(FlaskForm):
    """A person's name and first password, through a set-up link: the first owner's
    (signup.welcome) or an invited staff member's (auth.invitation)."""

    name = StringField("Your name", [DataRequired(), Length(max=120)], filters=[strip])
    password = PasswordField("Choose a password", [DataRequired(), Length(max=200)])
    confirm = PasswordField(
        "Repeat the password",
        [DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
