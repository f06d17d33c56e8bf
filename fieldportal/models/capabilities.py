"""Who may do what in the operator app, in one place: the staff roles, the capabilities the
code asks for, and the one table that gives each role its capabilities.

Views ask with ``@require(Capability.X)`` (blueprints/operator/access.py), templates and
services with ``staff.can(Capability.X)`` (or ``current_user.can("x")`` in a template).
The route walk (tests/security/test_route_walk.py) derives what each role may open from
ROLE_CAPABILITIES, so changing a row here changes what every page, link and test expects.
"""

import enum


class StaffRole(enum.StrEnum):
    OWNER = "owner"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"


class Capability(enum.StrEnum):
    SEE_MONEY = "see_money"  # revenue, A/R, balances and statements
    MANAGE_CUSTOMERS = "manage_customers"  # fleets, customers, contacts, sites, vehicles, assets
    MANAGE_PORTAL_ACCESS = "manage_portal_access"  # sign-in links, PINs, fleet links, view-as
    APPROVE_REQUESTS = "approve_requests"  # the inbox of service requests
    PLAN_JOBS = "plan_jobs"  # create, edit, schedule and assign jobs
    WORK_JOBS = "work_jobs"  # see jobs, move them through their statuses, complete them
    WRITE_REPORTS = "write_reports"  # reports, job sheets and vehicle histories
    APPROVE_REPORTS = "approve_reports"
    MANAGE_QUOTES = "manage_quotes"  # write, send and convert quotes
    MANAGE_INVOICES = "manage_invoices"  # write and void invoices
    SEND_INVOICES = "send_invoices"
    RECORD_PAYMENTS = "record_payments"
    MANAGE_OUTBOX = "manage_outbox"  # read sent and failed emails, retry them
    MANAGE_SETTINGS = "manage_settings"  # company settings, logo and staff accounts
    IMPORT_DATA = "import_data"  # bring customers, sites, vehicles and assets in from files
    # Export everything held about one customer, and erase a customer on request.
    CUSTOMER_DATA = "customer_data"
    READ_AUDIT_LOG = "read_audit_log"  # the company-wide log of who did what


_OFFICE = frozenset(Capability) - {
    Capability.MANAGE_SETTINGS,
    Capability.CUSTOMER_DATA,
    Capability.READ_AUDIT_LOG,
}

ROLE_CAPABILITIES: dict[StaffRole, frozenset[Capability]] = {
    StaffRole.OWNER: frozenset(Capability),
    StaffRole.DISPATCHER: _OFFICE,
    StaffRole.TECHNICIAN: frozenset({Capability.WORK_JOBS, Capability.WRITE_REPORTS}),
}


def role_can(role: StaffRole, capability: Capability | str) -> bool:
    """Whether this role has the capability; an unknown capability name raises ValueError,
    so a misspelt check fails loudly instead of hiding a page."""
    return Capability(capability) in ROLE_CAPABILITIES[role]


def roles_with(capability: Capability) -> list[StaffRole]:
    """The roles that have this capability (for a query over staff)."""
    return [role for role in StaffRole if role_can(role, capability)]
