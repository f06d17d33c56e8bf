"""Signing a test client in to /platform, and the codes of an authenticator app."""

from datetime import UTC, datetime, timedelta

import pyotp

from fieldportal.extensions import db
from fieldportal.models import PlatformAdmin, PlatformSession, utcnow
from fieldportal.services.auth import two_factor
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.platform import sessions
from fieldportal.services.sealing import open_sealed


def platform_sign_in(
    client, admin: PlatformAdmin, *, two_factor_passed: bool = True, via_link: bool = False
) -> PlatformSession:
    """Give the client a platform session (its cookie, path /platform)."""
    token = new_token()
    now = utcnow()
    row = PlatformSession(
        token_hash=token_hash(token),
        platform_admin_id=admin.id,
        via_link=via_link,
        two_factor_at=now if two_factor_passed else None,
        last_seen_at=now,
        expires_at=now + client.application.config["PLATFORM_ABSOLUTE_TIMEOUT"],
    )
    db.session.add(row)
    db.session.flush()
    client.set_cookie(sessions.COOKIE_NAME, token, path=sessions.COOKIE_PATH)
    return row


def enrol(admin: PlatformAdmin) -> str:
    """Turn two-factor on for ``admin`` as the pages would; returns the base32 secret."""
    enrolment = two_factor.start_enrolment(admin, account_name=admin.email, issuer="test")
    two_factor.confirm_enrolment(
        admin,
        code_for(enrolment.secret, at=utcnow() - timedelta(seconds=60)),
        at=utcnow() - timedelta(seconds=60),
    )
    db.session.flush()
    return enrolment.secret


def secret_of(admin: PlatformAdmin) -> str:
    return open_sealed(two_factor.SEAL_PURPOSE, admin.totp_secret_sealed)


def code_for(secret: str, *, at: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(at or datetime.now(UTC))
