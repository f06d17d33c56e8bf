"""Dates and times in a company's time zone."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Company, utcnow


def company_zone(company: Company) -> ZoneInfo:
    return ZoneInfo(company.time_zone)


def company_today(company: Company, now: datetime | None = None) -> date:
    """Today's date where the company works."""
    return (now or utcnow()).astimezone(company_zone(company)).date()


# Days whose bounds fit Python's datetimes in every time zone; a filter typed outside
# (0001-01-01, 9999-12-31) means "from the beginning" / "until the end" all the same.
FIRST_DAY = date.min + timedelta(days=2)
LAST_DAY = date.max - timedelta(days=2)


def day_bounds_utc(company: Company, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, as UTC datetimes."""
    zone = company_zone(company)
    day = min(max(day, FIRST_DAY), LAST_DAY)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
