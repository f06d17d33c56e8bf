"""Template filters: money with Babel, times in the company's time zone, phone numbers
as the company dials them.

Each takes an optional ``company`` (emails, rendered outside that company's requests);
without it, the company of the current request."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency
from flask import Flask, g

from .services import phones

DEFAULT_LOCALE = "en_US"
TIME = "h:mm a"


def _company(company=None):
    return company or getattr(g, "company", None)


def _locale(company) -> str:
    return company.locale if company else DEFAULT_LOCALE


def _zone(company) -> ZoneInfo:
    return ZoneInfo(company.time_zone) if company else ZoneInfo("UTC")


def money(cents: int | None, currency: str | None = None, company=None) -> str:
    company = _company(company)
    currency = currency or (company.currency if company else "USD")
    return _formatted_money(cents or 0, currency, _locale(company))


@lru_cache(maxsize=16_384)
def _formatted_money(cents: int, currency: str, locale: str) -> str:
    """Babel takes ~0.1 ms per amount, half the time of serving a cached invoice PDF
    (whose HTML is rendered to find its cache key); the same figures recur page after page."""
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


def local_time(value: datetime | None, fmt: str = "EEE d MMM y, h:mm a", company=None) -> str:
    """A UTC datetime shown in the company's time zone."""
    if value is None:
        return ""
    company = _company(company)
    zone = _zone(company)
    if fmt == "time":
        fmt = TIME
    return format_datetime(value.astimezone(zone), fmt, tzinfo=zone, locale=_locale(company))


def local_window(start: datetime | None, end: datetime | None, company=None) -> str:
    """A job's arrival window in the company's time zone: "Tue 5 Mar 2024, 9:00 AM – 11:00 AM",
    the date once when both ends fall on the same local day."""
    if start is None:
        return ""
    company = _company(company)
    shown = local_time(start, company=company)
    if end is None:
        return shown
    zone = _zone(company)
    same_day = start.astimezone(zone).date() == end.astimezone(zone).date()
    return f"{shown} – {local_time(end, 'time' if same_day else 'EEE d MMM y, h:mm a', company)}"


def local_date(value: date | datetime | None, fmt: str = "medium", company=None) -> str:
    if value is None:
        return ""
    company = _company(company)
    if isinstance(value, datetime):
        value = value.astimezone(_zone(company)).date()
    return format_date(value, fmt, locale=_locale(company))


def duration(value: timedelta, company=None) -> str:
    """How long something lasts, in words of the company's language: "30 minutes", "24 hours"
    (a unit is only rounded up to the next from 1.1 of it, so a day stays "24 hours")."""
    return format_timedelta(value, threshold=1.1, locale=_locale(_company(company)))


def phone(stored: str | None, company=None) -> str:
    """A stored (E.164) number in national format at the company's home, international
    abroad (services/phones.py)."""
    return phones.shown(stored, _company(company))


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)
    app.add_template_filter(local_window)
    app.add_template_filter(local_date)
    app.add_template_filter(duration)
    app.add_template_filter(phone)
