"""Dates and times in a company's time zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Company, utcnow


def company_zone(company: Company) -> ZoneInfo:
    return ZoneInfo(company.time_zone)


def company_today(company: Company, now: datetime | None = None) -> date:
    """Today's date where the company works."""
    return (now or utcnow()).astimezone(company_zone(company)).date()


def day_bounds_utc(company: Company, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, as UTC datetimes."""
    zone = company_zone(company)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def month_start(day: date) -> date:
    return day.replace(day=1)
