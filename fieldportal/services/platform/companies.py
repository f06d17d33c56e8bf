"""Every company as the installation sees it, and what platform admins do to one:
suspend and resume it, move it between plans (the customer portal is a Pro feature:
``Plan.has_portal``, ``Company.portal_open``). Every action is in the platform audit."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, case, delete, func, or_, select

from ...extensions import db
from ...models import (
    AuditEvent,
    AuthSession,
    Company,
    Customer,
    Invoice,
    InvoiceStatus,
    Plan,
    PlatformAdmin,
    StaffUser,
    utcnow,
)
from ...pagination import ListQuery, Page, paginate
from ..errors import Conflict, NotFound
from ..fleet.fleets import escape_like
from ..portal.portal_access_admin import end_company_portal_access
from ..tenancy import LARGEST_ID
from . import audit

COMPANIES_PER_PAGE = 25
STATES = ("live", "waiting", "suspended")  # waiting: a sign-up not yet confirmed
ISSUED = [status for status in InvoiceStatus if status is not InvoiceStatus.DRAFT]


@dataclass(frozen=True, kw_only=True)
class CompanyQuery(ListQuery):
    """The company list: search by name or slug, plan, state; by name, newest or last
    activity."""

    SORTS = ("name", "created", "activity")
    DESCENDING_FIRST = frozenset({"created", "activity"})

    q: str = ""
    plan: str = ""
    state: str = ""

    @classmethod
    def from_args(cls, args) -> "CompanyQuery":
        plan, state = args.get("plan", ""), args.get("state", "")
        return cls(
            **cls.list_args(args),
            q=(args.get("q") or "").replace("\x00", "").strip()[:100],
            plan=plan if plan in Plan._value2member_map_ else "",
            state=state if state in STATES else "",
        )

    def filter_params(self) -> dict:
        return {"q": self.q, "plan": self.plan, "state": self.state}


@dataclass(frozen=True)
class CompanyRow:
    """A company with its figures: active staff, customers (not archived), invoices issued
    this month (UTC), the time of its last audited action (a sign-in, a change)."""

    company: Company
    staff: int
    customers: int
    invoices_this_month: int
    last_activity: datetime | None

    @property
    def state(self) -> str:
        if self.company.is_suspended:
            return "suspended"
        return "live" if self.company.is_live else "waiting"


def month_bounds(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following


def _figures(today: date) -> list:
    """One correlated subquery per figure, each answered from an index on company_id."""
    start, following = month_bounds(today)
    staff = select(func.count(StaffUser.id)).where(
        StaffUser.company_id == Company.id, StaffUser.active.is_(True)
    )
    customers = select(func.count(Customer.id)).where(
        Customer.company_id == Company.id, Customer.archived_at.is_(None)
    )
    invoices = select(func.count(Invoice.id)).where(
        Invoice.company_id == Company.id,
        Invoice.status.in_(ISSUED),
        Invoice.issued_on >= start,
        Invoice.issued_on < following,
    )
    activity = select(func.max(AuditEvent.created_at)).where(AuditEvent.company_id == Company.id)
    return [
        staff.scalar_subquery().label("staff"),
        customers.scalar_subquery().label("customers"),
        invoices.scalar_subquery().label("invoices_this_month"),
        activity.scalar_subquery().label("last_activity"),
    ]


def _state_condition(state: str):
    return {
        "suspended": Company.suspended_at.is_not(None),
        "live": and_(Company.suspended_at.is_(None), Company.live_at.is_not(None)),
        "waiting": and_(Company.suspended_at.is_(None), Company.live_at.is_(None)),
    }[state]


def company_select(query: CompanyQuery, today: date) -> Select:
    """Companies with their figures, searched, filtered and sorted (ties by id)."""
    figures = _figures(today)
    statement = select(Company, *figures)
    if query.q:
        pattern = f"%{escape_like(query.q)}%"
        statement = statement.where(
            or_(Company.name.ilike(pattern, escape="\\"), Company.slug.ilike(pattern, escape="\\"))
        )
    if query.plan:
        statement = statement.where(Company.plan == Plan(query.plan))
    if query.state:
        statement = statement.where(_state_condition(query.state))
    if query.sort == "created":
        order = Company.created_at.desc() if query.descending else Company.created_at.asc()
    elif query.sort == "activity":
        last = figures[3]
        # Never active sorts last in either direction.
        order = [
            case((last.is_(None), 1), else_=0),
            last.desc() if query.descending else last.asc(),
        ]
    else:
        name = func.lower(Company.name)
        order = name.desc() if query.descending else name.asc()
    orders = order if isinstance(order, list) else [order]
    return statement.order_by(*orders, Company.id.desc() if query.descending else Company.id)


def overview(query: CompanyQuery, today: date) -> Page[CompanyRow]:
    """One page of every company with its figures: two statements (the count and the
    page) however many companies the page shows."""
    page = paginate(company_select(query, today), query, per_page=COMPANIES_PER_PAGE)
    return page.map(lambda row: CompanyRow(*row))


def company(company_id: int) -> Company:
    """The company with this id; NotFound for none."""
    found = db.session.get(Company, company_id) if 0 < company_id <= LARGEST_ID else None
    if found is None:
        raise NotFound()
    return found


def company_row(company_id: int, today: date) -> CompanyRow:
    """One company with its figures (NotFound for an unknown id)."""
    if not 0 < company_id <= LARGEST_ID:
        raise NotFound()
    row = db.session.execute(
        select(Company, *_figures(today)).where(Company.id == company_id)
    ).one_or_none()
    if row is None:
        raise NotFound()
    return CompanyRow(*row)


def suspend(company: Company, *, by: PlatformAdmin) -> None:
    """Suspend: staff sign-in shows "suspended" and every staff session ends; every portal
    URL answers "unavailable" and portal sessions and outstanding links end (as when the
    portal is switched off). Nothing else changes or is deleted; ``resume`` undoes it.
    Conflict when it is suspended already."""
    if company.is_suspended:
        raise Conflict(f"{company.name} is suspended already.")
    company.suspended_at = utcnow()
    ended_portal = end_company_portal_access(company, by=None, reason="Company suspended")
    ended_staff = db.session.execute(
        delete(AuthSession).where(AuthSession.company_id == company.id)
    ).rowcount
    audit.record(
        "company.suspended",
        admin=by,
        company=company,
        summary=f"Suspended {company.name}",
        staff_sessions_ended=ended_staff,
        portal_sessions_ended=ended_portal,
    )


def resume(company: Company, *, by: PlatformAdmin) -> None:
    """Lift a suspension: staff sign in again, the portal answers as its plan and settings
    say. Conflict when it is not suspended."""
    if not company.is_suspended:
        raise Conflict(f"{company.name} is not suspended.")
    company.suspended_at = None
    audit.record("company.resumed", admin=by, company=company, summary=f"Resumed {company.name}")


def set_plan(company: Company, plan: Plan, *, by: PlatformAdmin) -> bool:
    """Move the company to ``plan``; whether it changed. Leaving Pro closes the portal as
    switching it off does (sessions and outstanding links end; records, settings,
    passwords and PINs stay); back on Pro customers sign in afresh."""
    if company.plan is plan:
        return False
    before = company.plan
    company.plan = plan
    if before.has_portal and not plan.has_portal:
        end_company_portal_access(company, by=None, reason=f"Plan changed to {plan.value}")
    audit.record(
        "company.plan_changed",
        admin=by,
        company=company,
        summary=f"{company.name}: plan {before.value} → {plan.value}",
        before=before.value,
        after=plan.value,
    )
    return True
