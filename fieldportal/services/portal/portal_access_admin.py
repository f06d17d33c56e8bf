"""What staff see and do about a contact's portal access: status, live sessions,
outstanding links, sending sign-in details, ending them, and previewing the portal as
the contact."""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import AuthSession, Company, Contact, LoginLink, StaffUser, utcnow
from .. import audit
from ..auth.auth_sessions import end_sessions
from ..errors import Invalid
from ..mail import outbox_secrets
from ..tenancy import company_record
from . import portal_auth
from .portal_auth import cancel_outstanding_links

NO_EMAIL = "This contact has no email address on file; add one first. Nothing was sent."
NO_PHONE = "Add a phone number first: customers sign in with phone and PIN."
NO_EMAIL_FOR_PIN = "No email address on file to send it to."


@dataclass(frozen=True)
class AccessOverview:
    sessions: list[AuthSession]
    links: list[LoginLink]


def access_overview(contact: Contact) -> AccessOverview:
    """The contact's live sessions and its links that can still be used."""
    now = utcnow()
    sessions = db.session.scalars(
        select(AuthSession)
        .where(AuthSession.contact_id == contact.id, AuthSession.expires_at > now)
        .order_by(AuthSession.last_seen_at.desc())
    ).all()
    links = db.session.scalars(
        select(LoginLink)
        .where(
            LoginLink.contact_id == contact.id,
            LoginLink.used_at.is_(None),
            LoginLink.invalidated_at.is_(None),
            LoginLink.expires_at > now,
        )
        .order_by(LoginLink.created_at.desc())
    ).all()
    return AccessOverview(list(sessions), list(links))


def end_all_access(contact: Contact, *, by) -> int:
    """End every session and cancel every outstanding link of the contact."""
    ended = end_sessions(contact_id=contact.id)
    cancel_outstanding_links(LoginLink.contact_id == contact.id)
    audit.record(
        contact.company_id, "portal.access_ended", actor=by, subject=contact, sessions=ended
    )
    return ended


def end_company_portal_access(company: Company, *, by) -> int:
    """The company's portal is switched off: every portal session ends and every secret
    still out stops working — sign-in links, temporary passwords not yet used, and the
    secrets of emails not yet sent (those emails fail). Switching the portal on again
    brings none of them back; passwords, PINs and fleet links chosen for good, and every
    setting, stay. Returns how many sessions ended."""
    now = utcnow()
    ended = end_sessions(portal_of_company_id=company.id)
    cancel_outstanding_links(LoginLink.company_id == company.id)
    db.session.execute(
        update(Contact)
        .where(
            Contact.company_id == company.id,
            Contact.password_is_temporary.is_(True),
            Contact.temporary_password_expires_at > now,
        )
        .values(temporary_password_expires_at=now)
    )
    withheld = outbox_secrets.withdraw_company_secrets(company.id)
    audit.record(
        company.id,
        "portal.company_access_ended",
        actor=by,
        subject=company,
        summary=f"Portal switched off: {ended} session(s) ended, outstanding links cancelled",
        sessions=ended,
        emails_withheld=withheld,
    )
    return ended


def detail_options() -> tuple:
    """What the access page shows with the contact."""
    return (joinedload(Contact.customer),)


def send_sign_in_link(contact: Contact) -> None:
    """Email the contact a sign-in link; refused (Invalid) without an email address."""
    if not contact.email:
        raise Invalid(NO_EMAIL)
    portal_auth.send_login_link(contact)


def send_activation_email(contact: Contact, *, by: StaffUser) -> None:
    """Email the contact a temporary password; refused (Invalid) without an email address."""
    if not contact.email:
        raise Invalid(NO_EMAIL)
    portal_auth.send_activation(contact, by=by)


def give_pin(contact: Contact, pin: str, *, send: bool, message: str, by: StaffUser) -> None:
    """Set the contact's PIN and, when ``send``, email it. A PIN needs a phone number to
    sign in with, and sending it an email address (Invalid on ``pin`` / ``send``)."""
    if not contact.phone:
        raise Invalid(errors={"pin": [NO_PHONE]})
    if send and not contact.email:
        raise Invalid(errors={"send": [NO_EMAIL_FOR_PIN]})
    portal_auth.set_pin(contact, pin, by=by)
    if send:
        portal_auth.email_pin(contact, pin, message=message)


def start_view_as(contact: Contact, *, by: StaffUser) -> None:
    """Staff open the portal as this contact sees it (audited; the preview is read-only)."""
    audit.record(contact.company_id, "portal.viewed_as", actor=by, subject=contact)


def previewed_contact(staff: StaffUser, contact_id: int) -> Contact | None:
    """The contact of the staff member's company with this id, with what the portal's
    pages read of a signed-in contact (customer, sites); None when removed or unknown."""
    contact = company_record(
        staff.company_id,
        Contact,
        contact_id,
        joinedload(Contact.customer),
        selectinload(Contact.sites),
    )
    if contact is None or contact.removed_at:
        return None
    return contact
