"""What staff see and do about a contact's portal access: status, live sessions,
outstanding links, ending them."""

from dataclasses import dataclass

from sqlalchemy import select, update

from ...extensions import db
from ...models import AuthSession, Company, Contact, LoginLink, utcnow
from .. import audit
from ..auth.auth_sessions import end_sessions
from ..mail import outbox_secrets
from .portal_auth import cancel_outstanding_links


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
