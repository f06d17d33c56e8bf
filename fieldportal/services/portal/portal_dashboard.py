"""What a customer's portal dashboard shows, in a fixed number of queries."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    ACTIVE_JOB_STATUSES,
    Company,
    Customer,
    Job,
    PortalPermission,
    Quote,
    Vehicle,
    utcnow,
)
from ..billing.money import open_ar_cents
from ..billing.quotes import awaiting_clause
from ..clock import company_today
from ..fleet.fleets import VehicleWithStatus, vehicles_with_status
from .site_scope import limit_to_sites, scoped_site_ids

UPCOMING_LIMIT = 5


@dataclass(frozen=True)
class DashboardSummary:
    upcoming_jobs: list[Job]
    overdue_vehicles: list[VehicleWithStatus]
    open_balance_cents: int | None
    quotes_awaiting: int | None


def _site_filter(query, model, principal):
    return limit_to_sites(query, model, scoped_site_ids(principal))


def dashboard_summary(company: Company, customer: Customer, principal) -> DashboardSummary:
    """Upcoming jobs (soonest first), overdue vehicles, open balance and quotes awaiting an
    answer — money and quotes only when the company shows them and the principal may."""
    jobs = []
    if principal.may(PortalPermission.JOBS):
        query = (
            select(Job)
            .where(
                Job.company_id == company.id,
                Job.customer_id == customer.id,
                Job.status.in_(ACTIVE_JOB_STATUSES),
                Job.window_end >= utcnow(),
            )
            .options(joinedload(Job.site), joinedload(Job.technician), joinedload(Job.vehicle))
            .order_by(Job.window_start)
            .limit(UPCOMING_LIMIT)
        )
        jobs = list(db.session.scalars(_site_filter(query, Job, principal)))

    overdue = []
    if principal.may(PortalPermission.VEHICLES):
        scoped = _site_filter(select(Vehicle), Vehicle, principal)
        overdue = [
            item
            for item in vehicles_with_status(company, customer, scoped)
            if item.status.is_overdue
        ]

    balance = None
    if company.show_invoices and principal.may(PortalPermission.INVOICES):
        balance = open_ar_cents(company.id, customer.id, scoped_site_ids(principal))

    quotes = None
    if company.show_quotes and principal.may(PortalPermission.QUOTES):
        query = select(func.count(Quote.id)).where(
            Quote.company_id == company.id,
            Quote.customer_id == customer.id,
            awaiting_clause(company_today(company)),
        )
        quotes = db.session.scalar(_site_filter(query, Quote, principal))
    return DashboardSummary(jobs, overdue, balance, quotes)
