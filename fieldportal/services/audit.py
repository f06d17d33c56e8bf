"""The audit trail: one call per change, in the change's own transaction."""

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, Contact, StaffUser
from . import audit_trail


def record(
    company_id: int,
    action: str,
    *,
    actor=None,
    subject=None,
    customer_id: int | None = None,
    summary: str = "",
    **details,
) -> AuditEvent:
    """Add an audit event (who, what, when) to the session; the caller commits."""
    assert audit_trail.is_known(action), f"give {action!r} its words in audit_trail.SENTENCES"
    event = AuditEvent(
        company_id=company_id,
        action=action,
        summary=summary[:300],
        details=details,
        customer_id=customer_id,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    if isinstance(actor, StaffUser):
        event.staff_user_id = actor.id
    elif isinstance(actor, Contact):
        event.contact_id = actor.id
        event.customer_id = event.customer_id or actor.customer_id
    if subject is not None:
        event.object_type = type(subject).__name__
        event.object_id = subject.id
        if event.customer_id is None:
            event.customer_id = getattr(subject, "customer_id", None)
    db.session.add(event)
    return event
