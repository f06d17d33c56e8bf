"""The figures on the operator home page."""

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Company, Customer, Job, JobStatus, Vehicle
from .billing.money import invoiced_cents, month_to_date_bounds, open_ar_cents
from .clock import company_today, day_bounds_utc
from .fleet.intervals import overdue_clause
from .work import requests


@dataclass(frozen=True)
class TodayFigures:
    jobs_today: int
    pending_requests: int
    open_ar_cents: int
    mtd_revenue_cents: int
    overdue_vehicles: int


def today_figures(company: Company) -> TodayFigures:
    """Jobs scheduled today (company time zone), pending requests, open A/R, revenue
    invoiced this month (the fleet index's rule), overdue vehicles."""
    today = company_today(company)
    start, end = day_bounds_utc(company, today)
    jobs_today = db.session.scalar(
        # count(*), not count(id): the index of jobs by time holds no id.
        select(func.count())
        .select_from(Job)
        .where(
            Job.company_id == company.id,
            Job.status != JobStatus.CANCELLED,
            Job.window_start >= start,
            Job.window_start < end,
        )
    )
    overdue = db.session.scalar(
        select(func.count(Vehicle.id))
        .join(Customer, Customer.id == Vehicle.customer_id)
        .where(
            Vehicle.company_id == company.id,
            Vehicle.active.is_(True),
            overdue_clause(today, db.session.get_bind().dialect.name),
        )
    )
    return TodayFigures(
        jobs_today=jobs_today,
        pending_requests=requests.pending_count(company.id),
        open_ar_cents=open_ar_cents(company.id),
        mtd_revenue_cents=invoiced_cents(company.id, *month_to_date_bounds(today)),
        overdue_vehicles=overdue,
    )
