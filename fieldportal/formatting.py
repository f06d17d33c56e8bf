"""Template filters: money with Babel, times in the company's time zone."""

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from flask import Flask, g


def _company():
    return getattr(g, "company", None)


def money(cents: int | None, currency: str | None = None) -> str:
    company = _company()
    currency = currency or (company.currency if company else "USD")
    locale = company.locale if company else "en_US"
    return _formatted_money(cents or 0, currency, locale)


@lru_cache(maxsize=16_384)
def _formatted_money(cents: int, currency: str, locale: str) -> str:
    """Babel takes ~0.1 ms per amount, half the time of serving a cached invoice PDF
    (whose HTML is rendered to find its cache key); the same figures recur page after page."""
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


def local_time(value: datetime | None, fmt: str = "EEE d MMM y, h:mm a") -> str:
    """A UTC datetime shown in the company's time zone."""
    if value is None:
        return ""
    company = _company()
    zone = ZoneInfo(company.time_zone) if company else ZoneInfo("UTC")
    locale = company.locale if company else "en_US"
    if fmt == "time":
        return format_datetime(value.astimezone(zone), "h:mm a", locale=locale)
    return format_datetime(value.astimezone(zone), fmt, tzinfo=zone, locale=locale)


def local_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    company = _company()
    locale = company.locale if company else "en_US"
    if isinstance(value, datetime):
        zone = ZoneInfo(company.time_zone) if company else ZoneInfo("UTC")
        value = value.astimezone(zone).date()
    return format_date(value, fmt, locale=locale)


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)
    app.add_template_filter(local_date)
