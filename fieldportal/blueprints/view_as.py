"""Staff's read-only "view as customer" preview of the portal, kept in the staff session."""

from flask import session

from ..extensions import db
from ..models import Contact

VIEW_AS_KEY = "view_as_contact_id"


def view_as_contact_for(company_id: int) -> Contact | None:
    """The contact a signed-in staff member of this company is previewing, if any."""
    contact_id = session.get(VIEW_AS_KEY)
    if not contact_id:
        return None
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.company_id != company_id or contact.removed_at:
        return None
    return contact
