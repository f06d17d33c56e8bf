"""Phone numbers, with Google's libphonenumber rules (the ``phonenumbers`` package).

A number is stored in E.164 ("+442079460101"), parsed against the company's home region,
so "020 7946 0101", "+44 20 7946 0101" and "0044 20 7946 0101" are one number at a
London company. It is shown as people there dial it: in national format when it shares
the company's country calling code ("020 7946 0101"), in international format otherwise
("+1 312-555-0100"). A stored value that is not E.164 is one typed before numbers were
checked and could not be read (the data migration kept it as typed); it is shown as is
and matches no sign-in.
"""

from functools import lru_cache

import phonenumbers
from babel import Locale
from phonenumbers import NumberParseException, PhoneNumberFormat

from .errors import Invalid

DEFAULT_REGION = "US"


def home_region(company) -> str:
    """The ISO 3166 region a company's numbers are read in: its country."""
    return (company.country if company else None) or DEFAULT_REGION


def _parsed(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def read(text: str | None, region: str) -> tuple[str | None, str | None]:
    """(the E.164 form, None) for a valid number written ``text`` (read in ``region``), else
    (None, what is wrong with it); one parse, for callers that need both (imports). An
    extension is not part of a number and makes it unreadable here."""
    number = _parsed(text, region) if text else None
    if number is not None and number.extension:
        return (
            None,
            "Give the number without an extension; an extension cannot be dialled or texted.",
        )
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164), None
    return None, _not_a_number(region)


def e164_or_none(text: str | None, region: str) -> str | None:
    """The E.164 form of a valid number written ``text`` (read in ``region``), else None."""
    return read(text, region)[0]


def problem(text: str, region: str) -> str | None:
    """What is wrong with ``text`` as a phone number in ``region``, None when nothing is."""
    return read(text, region)[1]


def _not_a_number(region: str) -> str:
    example = phonenumbers.example_number(region)
    national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)
    country = Locale("en").territories.get(region, region)
    return (
        "That is not a phone number we can use. Write it as it is dialled in the company's "
        f"country, {country} (like {national}), or with its country code (like {international})."
    )


def normalised(fields: dict, company, names: tuple[str, ...] = ("phone",)) -> dict:
    """``fields`` with each phone field in ``names`` that holds a number turned into E.164;
    raises Invalid with a message on each field that holds no valid number."""
    region = home_region(company)
    errors = {}
    result = dict(fields)
    for name in names:
        text = (result.get(name) or "").strip()
        if not text:
            if name in result:
                result[name] = None
            continue
        message = problem(text, region)
        if message:
            errors[name] = [message]
        else:
            result[name] = e164_or_none(text, region)
    if errors:
        raise Invalid(errors=errors)
    return result


def shown(stored: str | None, company) -> str:
    """A stored number as people at the company read it: national format at home,
    international abroad; a value that is not E.164 (typed before numbers were checked)
    as it was typed."""
    return _shown(stored, home_region(company)) if stored else ""


@lru_cache(maxsize=16_384)
def _shown(stored: str, region: str) -> str:
    number = _parsed(stored, region) if stored.startswith("+") else None
    if number is None or not phonenumbers.is_valid_number(number):
        return stored
    at_home = number.country_code == phonenumbers.country_code_for_region(region)
    style = PhoneNumberFormat.NATIONAL if at_home else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
