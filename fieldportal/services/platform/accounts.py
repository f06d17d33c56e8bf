"""Platform admin accounts: created from the command line with a one-time set-password
link, signed in with a password under the lockout rule staff and contacts have, then a
second factor (the pages need both; see ``sessions``)."""

import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from ...extensions import db
from ...models import PlatformAdmin, PlatformLink, PlatformSession, utcnow
from ..auth import lockout
from ..auth.passwords import hash_secret, password_problem
from ..auth.tokens import new_token, token_hash
from ..companies.signup import email_problem
from ..errors import Invalid
from ..mail import mailer
from . import audit, second_factor, sessions

# Printed to whoever ran the command, who hands it on: a day is enough, and short.
LINK_LIFETIME = timedelta(hours=24)


class LinkState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # expired, used, or replaced by a newer link
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkLookup:
    state: LinkState
    link: PlatformLink | None = None


def admin_for_email(email: str) -> PlatformAdmin | None:
    return db.session.scalar(
        select(PlatformAdmin).where(func.lower(PlatformAdmin.email) == email.strip().lower())
    )


def create_admin(email: str) -> tuple[PlatformAdmin, str]:
    """A new platform admin without a password, and the link (absolute URL) that lets
    them choose one. Refused (Invalid, on ``email``) for an address that is not one or
    that is a platform admin already. Audited as done from the command line."""
    email = email.strip().lower()
    problem = email_problem(email)
    if problem is None and admin_for_email(email) is not None:
        problem = (
            "That address is a platform admin already; "
            "`flask platform-admin-link EMAIL` prints a new set-password link."
        )
    if problem:
        raise Invalid(errors={"email": [problem]})
    admin = PlatformAdmin(email=email, active=True, failed_attempts=0)
    db.session.add(admin)
    db.session.flush()
    audit.record("platform_admin.created", summary=f"Platform admin {email} created")
    return admin, password_link(admin)


def new_password_link(email: str) -> tuple[PlatformAdmin, str]:
    """A new set-password link for an existing admin (a lost password or device): the
    earlier links stop working; using it replaces the password and ends every session."""
    admin = admin_for_email(email)
    if admin is None:
        raise Invalid(errors={"email": ["No platform admin has that address."]})
    audit.record("platform_admin.link_issued", summary=f"New set-password link for {admin.email}")
    return admin, password_link(admin)


def password_link(admin: PlatformAdmin) -> str:
    """Issue a link (every earlier unused one of ``admin`` stops working); its URL."""
    db.session.execute(
        update(PlatformLink)
        .where(
            PlatformLink.platform_admin_id == admin.id,
            PlatformLink.used_at.is_(None),
            PlatformLink.invalidated_at.is_(None),
        )
        .values(invalidated_at=utcnow())
    )
    token = new_token()
    db.session.add(
        PlatformLink(
            token_hash=token_hash(token),
            platform_admin_id=admin.id,
            expires_at=utcnow() + LINK_LIFETIME,
        )
    )
    return mailer.absolute_url("platform.welcome", token=token)


def look_up_link(token: str) -> LinkLookup:
    """What a set-password link is, consuming nothing (GET and HEAD are scanner-safe)."""
    link = db.session.scalar(
        select(PlatformLink).where(PlatformLink.token_hash == token_hash(token))
    )
    if link is None:
        return LinkLookup(LinkState.UNKNOWN)
    if link.used_at or link.invalidated_at or link.expires_at <= utcnow():
        return LinkLookup(LinkState.EXPIRED, link)
    return LinkLookup(LinkState.VALID, link)


def _consume_link(token: str) -> PlatformAdmin | None:
    """One atomic UPDATE: of two requests racing with one link exactly one wins."""
    now = utcnow()
    admin_id = db.session.execute(
        update(PlatformLink)
        .where(
            PlatformLink.token_hash == token_hash(token),
            PlatformLink.used_at.is_(None),
            PlatformLink.invalidated_at.is_(None),
            PlatformLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(PlatformLink.platform_admin_id)
    ).scalar_one_or_none()
    return db.session.get(PlatformAdmin, admin_id) if admin_id is not None else None


def choose_password(token: str, password: str) -> PlatformSession | None:
    """Use a set-password link: the new password (Invalid on ``password`` when the rules
    refuse it, the link kept), every earlier session ended, the lockout cleared, and a new
    session that still needs the second factor: a second factor already on is turned off
    (the link is how a lost device is replaced), to be set up again in this session. None
    when the link is not valid."""
    problem = password_problem(password)
    if problem:
        raise Invalid(errors={"password": [problem]})
    admin = _consume_link(token)
    if admin is None or not admin.active:
        return None
    admin.password_hash = hash_secret(password)
    lockout.clear(admin)
    if admin.has_two_factor or admin.totp_secret_sealed:
        second_factor.forget(admin)
    sessions.end_all(admin)
    audit.record(
        "platform_admin.password_set", admin=admin, summary=f"{admin.email} chose a password"
    )
    return sessions.start(admin, via_link=True)


def _locked_out(admin: PlatformAdmin) -> None:
    audit.record("platform_admin.locked_out", admin=admin, summary=f"{admin.email} locked out")


def sign_in(
    email: str, password: str, *, replacing: PlatformSession | None = None
) -> PlatformSession | None:
    """The first step: a session that needs the second factor (ending ``replacing``, the
    browser's earlier one), or None (unknown address, wrong password, locked, deactivated;
    the caller keeps a counted failure with ``transaction.keep_changes_on_refusal()``)."""
    admin = admin_for_email(email)
    if admin is not None and not admin.active:
        admin = None
    password_hash = admin.password_hash if admin is not None else None
    # clears=False: the second factor is still to come, and a right password must not
    # wipe out the wrong codes counted before it (the count starts again after the code).
    if not lockout.check_secret(admin, password_hash, password, on_lock=_locked_out, clears=False):
        return None
    if replacing is not None:
        sessions.end(replacing)
    return sessions.start(admin)


def sign_out(row: PlatformSession) -> None:
    audit.record(
        "platform_admin.signed_out", admin=row.admin, summary=f"{row.admin.email} signed out"
    )
    sessions.end(row)
