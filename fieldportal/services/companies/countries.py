"""Countries (ISO 3166-1 alpha-2) and what a country proposes for a new company: its time
zone, currency and locale. The data is CLDR's, through Babel: the zones of each territory
(``territory_zones``) and its legal tender today (``get_territory_currencies``)."""

import unicodedata
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies

FALLBACK_CURRENCY = "USD"
# Where a country has several zones, the one most of its people live in (CLDR lists them
# in no useful order: the United States start with Adak, Alaska).
MAIN_ZONE = {
    "AQ": "Antarctica/McMurdo",
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "FM": "Pacific/Pohnpei",
    "GL": "America/Nuuk",
    "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty",
    "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti",
    "PG": "Pacific/Port_Moresby",
    "PS": "Asia/Hebron",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "UM": "Pacific/Midway",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}


@dataclass(frozen=True)
class Proposal:
    """What a new company in ``country`` starts with; every field can be changed."""

    country: str
    time_zone: str
    currency: str
    locale: str
    zones: tuple[str, ...]  # the country's own zones, the proposed one first


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    known = available_timezones()
    zones = {}
    for code, names in get_global("territory_zones").items():
        if len(code) == 2 and code.isalpha() and code != "ZZ":
            usable = tuple(name for name in names if name in known)
            if usable:
                zones[code] = usable
    return zones


def _sort_key(name: str) -> str:
    """Åland Islands beside Albania, as people look for it."""
    letters = unicodedata.normalize("NFKD", name)
    return "".join(char for char in letters if not unicodedata.combining(char)).casefold()


@cache
def countries() -> tuple[tuple[str, str], ...]:
    """(code, English name) of every country with a time zone, sorted by name."""
    names = Locale("en").territories
    return tuple(
        sorted(
            ((code, names.get(code, code)) for code in _zones_by_country()),
            key=lambda item: _sort_key(item[1]),
        )
    )


def is_country(code: str | None) -> bool:
    return bool(code) and code in _zones_by_country()


def country_name(code: str) -> str:
    return Locale("en").territories.get(code, code)


@cache
def all_time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() - {"Factory", "localtime"}))


def is_time_zone(name: str | None) -> bool:
    return bool(name) and name in all_time_zones()


@cache
def all_currencies() -> tuple[str, ...]:
    from babel.numbers import list_currencies

    return tuple(sorted(list_currencies()))


def is_currency(code: str | None) -> bool:
    return bool(code) and code in all_currencies()


def _locale_for(country: str) -> str:
    """English as spoken there (en_GB, en_DE: dates and numbers written the local way),
    else American English."""
    try:
        Locale.parse(f"en_{country}")
    except (UnknownLocaleError, ValueError):
        return "en_US"
    return f"en_{country}"


@cache
def proposal_for(country: str) -> Proposal:
    """The time zone, currency and locale a new company in ``country`` is offered.
    Raises KeyError for a code that is not a country."""
    zones = _zones_by_country()[country]
    main = MAIN_ZONE.get(country)
    first = main if main in zones else zones[0]
    currencies = get_territory_currencies(country)
    return Proposal(
        country=country,
        time_zone=first,
        currency=currencies[0] if currencies else FALLBACK_CURRENCY,
        locale=_locale_for(country),
        zones=(first, *sorted(zone for zone in zones if zone != first)),
    )
