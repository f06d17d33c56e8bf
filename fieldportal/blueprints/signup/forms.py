"""The sign-up form (the first owner's password: auth.forms.NameAndPasswordForm)."""

from babel.numbers import get_currency_name
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ...services.companies import countries, signup
from ..validators import options


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _slug_text(value):
    return value.strip().lower() if isinstance(value, str) else value


def currency_options() -> list:
    return options(
        (code, f"{code} · {get_currency_name(code, locale='en')}")
        for code in countries.all_currencies()
    )


def time_zone_options(country: str) -> list:
    """The country's own zones first (the proposed one at the top), then every other."""
    own = countries.proposal_for(country).zones if countries.is_country(country) else ()
    rest = [zone for zone in countries.all_time_zones() if zone not in own]
    return options((zone, zone.replace("_", " ")) for zone in (*own, *rest))


class SignupForm(FlaskForm):
    name = StringField("Company name", [DataRequired(), Length(max=120)], filters=[_strip])
    slug = StringField(
        "Web address",
        [Optional(), Length(max=signup.SLUG_MAX)],
        filters=[_slug_text],
        description="Your customer portal's address: letters, digits and hyphens. Left empty, "
        "it is made from the company name.",
    )
    # What the slug and the time zone and currency were last proposed from: a slug still
    # equal to its proposal follows the name, and a new country brings its own proposals.
    proposed_slug = HiddenField(filters=[_slug_text])
    country = SelectField("Country", choices=options(countries.countries()))
    proposed_for = HiddenField()
    time_zone = SelectField("Time zone")
    currency = SelectField("Currency")
    owner_name = StringField("Your name", [DataRequired(), Length(max=120)], filters=[_strip])
    owner_email = EmailField(
        "Your email", [DataRequired(), Email(), Length(max=254)], filters=[_strip]
    )
    password = PasswordField(
        "Choose a password",
        [DataRequired(), Length(max=200)],
        description="At least 8 characters; you sign in with your email and this password.",
    )

    def propose(self) -> bool:
        """Fill in the slug from the name (unless typed by hand) and the time zone and
        currency from the country (when it changed). True when the time zone and currency
        were proposed afresh."""
        name = self.name.data or ""
        if not self.slug.data or self.slug.data == self.proposed_slug.data:
            self.slug.data = signup.propose_slug(name)
            self.proposed_slug.data = self.slug.data
        country = self.country.data
        self.time_zone.choices = time_zone_options(country)
        self.currency.choices = currency_options()
        if countries.is_country(country) and country != self.proposed_for.data:
            proposal = countries.proposal_for(country)
            self.time_zone.data, self.currency.data = proposal.time_zone, proposal.currency
            self.proposed_for.data = country
            return True
        return False

    def new_company(self) -> signup.NewCompany:
        return signup.NewCompany(
            name=self.name.data,
            slug=self.slug.data or "",
            owner_email=self.owner_email.data,
            owner_name=self.owner_name.data,
            country=self.country.data,
            time_zone=self.time_zone.data,
            currency=self.currency.data,
        )
