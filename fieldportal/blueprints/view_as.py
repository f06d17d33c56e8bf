"""Staff's read-only "view as customer" preview of the portal, kept in the staff session."""

from flask import session

from ..models import Capability, Contact, StaffUser
from ..services.portal.portal_access_admin import previewed_contact

VIEW_AS_KEY = "view_as_contact_id"


def view_as_contact_for(staff: StaffUser) -> Contact | None:
    """The contact of their company this signed-in staff member is previewing, if any. Only
    staff who may manage portal access preview (a role changed since the preview began
    ends it)."""
    contact_id = session.get(VIEW_AS_KEY)
    if not contact_id or not staff.can(Capability.MANAGE_PORTAL_ACCESS):
        return None
    return previewed_contact(staff, contact_id)
