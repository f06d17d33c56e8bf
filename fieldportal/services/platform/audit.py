"""The platform audit trail: who (a platform admin, or the command line when ``admin`` is
None), did what, to which company; one call per action, in the action's transaction."""

from flask import has_request_context, request
from sqlalchemy import select

from ...extensions import db
from ...models import Company, PlatformAdmin, PlatformAuditEvent
from ...pagination import Key, ListQuery, Page, paginate_after
from .. import audit_trail

EVENTS_PER_PAGE = 50


def record(
    action: str,
    *,
    admin: PlatformAdmin | None = None,
    company: Company | None = None,
    summary: str = "",
    **details,
) -> PlatformAuditEvent:
    """Add a platform audit event to the session; the caller's commit point commits it."""
    assert company is None or audit_trail.is_known(action), (
        f"give {action!r} its words in audit_trail.SENTENCES: the company's audit log shows it"
    )
    event = PlatformAuditEvent(
        action=action,
        platform_admin_id=admin.id if admin is not None else None,
        company_id=company.id if company is not None else None,
        summary=summary[:300],
        details=details,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def events(
    query: ListQuery, *, company_id: int | None = None, per_page: int = EVENTS_PER_PAGE
) -> Page:
    """Newest first, keyset-paged: (event, admin email or None, company name or None)."""
    statement = (
        select(PlatformAuditEvent, PlatformAdmin.email, Company.name)
        .outerjoin(PlatformAdmin, PlatformAdmin.id == PlatformAuditEvent.platform_admin_id)
        .outerjoin(Company, Company.id == PlatformAuditEvent.company_id)
    )
    if company_id is not None:
        statement = statement.where(PlatformAuditEvent.company_id == company_id)
    keys = [
        Key(PlatformAuditEvent.created_at, descending=True),
        Key(PlatformAuditEvent.id, descending=True),
    ]
    return paginate_after(statement, query, keys=keys, per_page=per_page)
