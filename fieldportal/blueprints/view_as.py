"""Staff's read-only "view as customer" preview of the portal, kept in the staff session."""

from flask import session
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Capability, Contact, StaffUser

VIEW_AS_KEY = "view_as_contact_id"


def view_as_contact_for(staff: StaffUser) -> Contact | None:
    """The contact of their company this signed-in staff member is previewing, if any. Only
    staff who may manage portal access preview (a role changed since the preview began
    ends it)."""
    contact_id = session.get(VIEW_AS_KEY)
    if not contact_id or not staff.can(Capability.MANAGE_PORTAL_ACCESS):
        return None
    contact = db.session.get(
        Contact, contact_id, options=[joinedload(Contact.customer), selectinload(Contact.sites)]
    )
    if contact is None or contact.company_id != staff.company_id or contact.removed_at:
        return None
    return contact
