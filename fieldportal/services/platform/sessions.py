"""Platform admins' server-side sessions, in a cookie of their own (path /platform).

Like staff and contact sessions (services/auth/auth_sessions.py) the cookie holds a random
token and the table its SHA-256; unlike them, Flask-Login is not involved, so no staff or
contact session can ever stand for a platform admin, nor a platform session for them. A
session opened by the password grants only the second-factor step; ``two_factor_at``
marks the second factor checked. Idle and absolute limits are PLATFORM_IDLE_TIMEOUT and
PLATFORM_ABSOLUTE_TIMEOUT.
"""

from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import PlatformAdmin, PlatformSession, utcnow
from ..auth.tokens import new_token, token_hash

COOKIE_NAME = "fieldportal_platform"
COOKIE_PATH = "/platform"
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def start(admin: PlatformAdmin, *, via_link: bool = False) -> PlatformSession:
    """A new session for ``admin`` (the password checked, or a set-password link used; not
    yet the second factor); its raw token is ``cookie_token``, for the response's cookie
    only."""
    token = new_token()
    now = utcnow()
    row = PlatformSession(
        token_hash=token_hash(token),
        platform_admin_id=admin.id,
        admin=admin,
        via_link=via_link,
        last_seen_at=now,
        expires_at=now + current_app.config["PLATFORM_ABSOLUTE_TIMEOUT"],
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(row)
    db.session.flush()
    row.cookie_token = token
    return row


def load(cookie_token: str | None) -> PlatformSession | None:
    """The live session of this cookie with its admin (one query), or None: unknown,
    expired (deleted), idle too long (deleted) or of a deactivated admin."""
    if not cookie_token:
        return None
    row = db.session.scalar(
        select(PlatformSession)
        .where(PlatformSession.token_hash == token_hash(cookie_token))
        .options(joinedload(PlatformSession.admin))
    )
    if row is None:
        return None
    now = utcnow()
    idle = current_app.config["PLATFORM_IDLE_TIMEOUT"]
    if now >= row.expires_at or now - row.last_seen_at > idle:
        db.session.delete(row)  # committed with the response (the sign-in page it leads to)
        return None
    if not row.admin.active:
        return None
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now  # committed with a successful response
    row.cookie_token = cookie_token
    return row


def passed_two_factor(row: PlatformSession) -> None:
    row.two_factor_at = utcnow()


def end(row: PlatformSession) -> None:
    """Sign out: the row goes, so a replayed cookie is signed out too."""
    db.session.execute(delete(PlatformSession).where(PlatformSession.id == row.id))


def end_all(admin: PlatformAdmin, *, keep: PlatformSession | None = None) -> int:
    """End every session of ``admin`` but ``keep``; how many ended."""
    statement = delete(PlatformSession).where(PlatformSession.platform_admin_id == admin.id)
    if keep is not None:
        statement = statement.where(PlatformSession.id != keep.id)
    return db.session.execute(statement).rowcount
