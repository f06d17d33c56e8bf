"""What staff see and do about a contact's portal access: status, live sessions,
outstanding links, ending them."""

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import AuthSession, Contact, LoginLink, utcnow
from . import audit


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
    ended = db.session.execute(
        delete(AuthSession).where(AuthSession.contact_id == contact.id)
    ).rowcount
    db.session.execute(
        update(LoginLink)
        .where(
            LoginLink.contact_id == contact.id,
            LoginLink.used_at.is_(None),
            LoginLink.invalidated_at.is_(None),
        )
        .values(invalidated_at=utcnow())
    )
    audit.record(
        contact.company_id, "portal.access_ended", actor=by, subject=contact, sessions=ended
    )
    return ended
