"""What staff see and do about a contact's portal access: status, live sessions,
outstanding links, sending sign-in details, ending them, and previewing the portal as
the contact."""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...models import AuthSession, Company, Contact, LoginLink, LoginMethod, StaffUser, utcnow
from .. import audit
from ..auth.auth_sessions import end_sessions
from ..errors import Invalid
from ..mail import outbox_secrets
from ..tenancy import company_record
from . import portal_auth
from .contact_credentials import why_it_lets_no_one_in
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


def end_company_portal_access(company: Company, *, by, reason: str = "Portal switched off") -> int:
    """The company's portal is switched off: every portal session ends and every secret
    still out stops working — sign-in links, temporary passwords not yet used, and the
    secrets of emails not yet sent (those emails fail). Switching the portal on again
    brings none of them back; passwords, PINs and fleet links chosen for good, and every
    setting, stay. ``reason`` says why in the audit (the switch, a plan, a suspension).
    Returns how many sessions ended."""
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
        summary=f"{reason}: {ended} session(s) ended, outstanding links cancelled",
        sessions=ended,
        emails_withheld=withheld,
    )
    return ended


def detail_options() -> tuple:
    """What the access page shows with the contact."""
    return (joinedload(Contact.customer),)


def _refuse_a_dead_email(contact: Contact, method: LoginMethod, field: str | None = None):
    """Refuse (Invalid, nothing sent) an email whose secret would let no one in."""
    reason = why_it_lets_no_one_in(Company.owning(contact), method)
    if reason:
        message = f"Nothing was sent. {reason}"
        raise Invalid(message, errors={field: [message]} if field else None)


def send_sign_in_link(contact: Contact) -> None:
    """Email the contact a sign-in link; refused (Invalid) without an email address, or
    while the link would let no one in (plan, portal or method switched off)."""
    if not contact.email:
        raise Invalid(NO_EMAIL)
    _refuse_a_dead_email(contact, LoginMethod.MAGIC_LINK)
    portal_auth.send_login_link(contact)


def send_activation_email(contact: Contact, *, by: StaffUser) -> None:
    """Email the contact a temporary password; refused (Invalid) without an email
    address, or while it would let no one in (plan, portal or method switched off)."""
    if not contact.email:
        raise Invalid(NO_EMAIL)
    _refuse_a_dead_email(contact, LoginMethod.ACTIVATION)
    portal_auth.send_activation(contact, by=by)


def give_pin(contact: Contact, pin: str, *, send: bool, message: str, by: StaffUser) -> None:
    """Set the contact's PIN and, when ``send``, email it. A PIN needs a phone number to
    sign in with, and sending it an email address (Invalid on ``pin`` / ``send``). A PIN
    may be saved while PIN sign-in is closed (it works once it opens), but not emailed then.
    """
    if not contact.phone:
        raise Invalid(errors={"pin": [NO_PHONE]})
    if send and not contact.email:
        raise Invalid(errors={"send": [NO_EMAIL_FOR_PIN]})
    if send:
        _refuse_a_dead_email(contact, LoginMethod.PIN, field="send")
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
