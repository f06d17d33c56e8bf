"""Set-up links: single use, expiring, 256-bit tokens stored as SHA-256 only (QUALITY.md
1-6), the way portal sign-in links work. Opening one consumes nothing; one atomic UPDATE
consumes it; a new link for the same person and purpose ends the earlier ones."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import SetupLink, SetupPurpose, StaffUser, utcnow
from ..auth.tokens import new_token, token_hash
from ..mail import mailer

LIFETIMES = {
    # Long enough to confirm tomorrow morning; after it the sign-up is released.
    SetupPurpose.CONFIRM_SIGNUP: timedelta(hours=48),
    # A self-hoster hands the printed link on; as long as a staff invitation lasts.
    SetupPurpose.OWNER_PASSWORD: timedelta(days=7),
    # Forgot password: long enough to find the email, short as a key under a doormat.
    SetupPurpose.PASSWORD_RESET: timedelta(minutes=30),
    # A staff invitation: a week to find the email and say yes.
    SetupPurpose.STAFF_INVITE: timedelta(days=7),
}
ENDPOINTS = {
    SetupPurpose.CONFIRM_SIGNUP: "signup.confirm",
    SetupPurpose.OWNER_PASSWORD: "signup.welcome",
    SetupPurpose.PASSWORD_RESET: "auth.reset_password",
    SetupPurpose.STAFF_INVITE: "auth.invitation",
}


class LinkState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # expired, used or replaced by a newer link
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkLookup:
    state: LinkState
    link: SetupLink | None = None


def expiry(purpose: SetupPurpose) -> datetime:
    return utcnow() + LIFETIMES[purpose]


def issue(purpose: SetupPurpose, staff: StaffUser) -> str:
    """A new link for ``staff``; every earlier unused one of that purpose stops working.
    Returns the raw token (shown or emailed once); only its hash is stored."""
    db.session.execute(
        update(SetupLink)
        .where(
            SetupLink.staff_user_id == staff.id,
            SetupLink.purpose == purpose,
            SetupLink.used_at.is_(None),
            SetupLink.invalidated_at.is_(None),
        )
        .values(invalidated_at=utcnow())
    )
    token = new_token()
    db.session.add(
        SetupLink(
            token_hash=token_hash(token),
            purpose=purpose,
            company_id=staff.company_id,
            staff_user_id=staff.id,
            expires_at=expiry(purpose),
        )
    )
    return token


def url_for_token(purpose: SetupPurpose, token: str) -> str:
    """The link as emailed or printed, from BASE_URL (never the Host header)."""
    return mailer.absolute_url(ENDPOINTS[purpose], token=token)


def look_up(purpose: SetupPurpose, token: str) -> LinkLookup:
    """What a link is, without consuming it (GET and HEAD are scanner-safe)."""
    link = db.session.scalar(
        select(SetupLink)
        .where(SetupLink.token_hash == token_hash(token), SetupLink.purpose == purpose)
        .options(joinedload(SetupLink.staff_user), joinedload(SetupLink.company))
    )
    if link is None:
        return LinkLookup(LinkState.UNKNOWN)
    if link.used_at or link.invalidated_at or link.expires_at <= utcnow():
        return LinkLookup(LinkState.EXPIRED, link)
    return LinkLookup(LinkState.VALID, link)


def consume(purpose: SetupPurpose, token: str) -> StaffUser | None:
    """Use a link: one atomic UPDATE … WHERE unused, not replaced, not expired, so of two
    requests racing with one link exactly one wins. The staff user it was for, or None."""
    now = utcnow()
    staff_id = db.session.execute(
        update(SetupLink)
        .where(
            SetupLink.token_hash == token_hash(token),
            SetupLink.purpose == purpose,
            SetupLink.used_at.is_(None),
            SetupLink.invalidated_at.is_(None),
            SetupLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(SetupLink.staff_user_id)
    ).scalar_one_or_none()
    return db.session.get(StaffUser, staff_id) if staff_id is not None else None
