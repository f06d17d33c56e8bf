"""The platform admins' second factor, required: a TOTP code from an authenticator app, or
one of ten single-use recovery codes (services/auth/two_factor.py does both, for staff
and platform admins alike).

Two-factor can be set up only in a session opened by a set-password link (``via_link``):
a link only someone with the installation's command line can make. Knowing the password
alone is therefore never enough to enrol an authenticator of one's own. A lost device is
a new link (`flask platform-admin-link EMAIL`): using it turns the old second factor off
and asks for a new one."""

from ...models import PlatformAdmin, PlatformRecoveryCode, PlatformSession, utcnow
from ..auth import lockout, two_factor
from ..errors import Conflict
from . import audit, sessions

ISSUER = "fieldportal platform"
NOT_VIA_LINK = (
    "Two-factor is not set up for this account yet, and it can only be set up from a "
    "set-password link. Ask whoever runs the installation for one: "
    "flask platform-admin-link EMAIL."
)


def _locked_out(admin: PlatformAdmin) -> None:
    audit.record("platform_admin.locked_out", admin=admin, summary=f"{admin.email} locked out")


def may_enrol(row: PlatformSession) -> bool:
    return row.via_link and not row.admin.has_two_factor


def pending_enrolment(row: PlatformSession) -> two_factor.Enrolment | None:
    """The QR code and secret of an enrolment started in this session, or None."""
    if not may_enrol(row):
        return None
    return two_factor.pending_enrolment(row.admin, account_name=row.admin.email, issuer=ISSUER)


def start_enrolment(row: PlatformSession) -> None:
    """A new secret for the admin (not in force until a code confirms it). Conflict unless
    the session was opened by a set-password link and two-factor is not on yet."""
    if not may_enrol(row):
        raise Conflict(NOT_VIA_LINK)
    two_factor.start_enrolment(row.admin, account_name=row.admin.email, issuer=ISSUER)


def confirm_enrolment(row: PlatformSession, code: str) -> list[str]:
    """Turn two-factor on with the app's first code (Invalid on ``code`` for a wrong one),
    pass this session's second factor, and return ten new recovery codes to show once."""
    if not may_enrol(row):
        raise Conflict(NOT_VIA_LINK)
    admin = row.admin
    two_factor.confirm_enrolment(admin, code)
    codes = two_factor.issue_recovery_codes(admin, PlatformRecoveryCode)
    _passed(row, how="two_factor.enrolled")
    return codes


def forget(admin: PlatformAdmin) -> None:
    """A new set-password link was used: the old authenticator and recovery codes go."""
    two_factor.turn_off(admin, PlatformRecoveryCode)


def check_code(row: PlatformSession, code: str) -> bool:
    """Whether ``code`` (TOTP, not reused, or an unused recovery code) lets this session in.
    A wrong one counts towards the account's lockout, which refuses even a right one; the
    caller keeps the count (``transaction.keep_changes_on_refusal()``)."""
    admin = row.admin
    if not admin.has_two_factor:
        return False
    if lockout.is_locked(admin):
        return False
    if two_factor.accept_code(admin, code):
        _passed(row, how="totp")
        return True
    if two_factor.use_recovery_code(admin, PlatformRecoveryCode, code):
        _passed(row, how="recovery_code")
        return True
    lockout.count_failure(admin, on_lock=_locked_out)
    return False


def recovery_codes_left(admin: PlatformAdmin) -> int:
    return two_factor.recovery_codes_left(admin, PlatformRecoveryCode)


def _passed(row: PlatformSession, *, how: str) -> None:
    admin = row.admin
    sessions.passed_two_factor(row)
    lockout.clear(admin)
    admin.last_login_at = utcnow()
    audit.record(
        "platform_admin.signed_in",
        admin=admin,
        summary=f"{admin.email} signed in",
        second_factor=how,
    )
