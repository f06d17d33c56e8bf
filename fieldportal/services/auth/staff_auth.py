"""Staff sign-in rules: password check and per-account lockout."""

from datetime import timedelta

from sqlalchemy import func, select

from ...extensions import db
from ...models import StaffUser, utcnow
from .. import audit
from .passwords import verify_secret

MAX_FAILED_SIGN_INS = 10
LOCKOUT = timedelta(minutes=15)


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """The active staff user with this email and password, or None.

    Ten wrong passwords lock the account for 15 minutes; while locked even the right
    password is refused, with the same answer as a wrong one.
    """
    staff = db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    )
    now = utcnow()
    if staff is None or not staff.active:
        verify_secret(None, password)
        return None
    if staff.locked_until and staff.locked_until > now:
        verify_secret(None, password)
        return None
    if not verify_secret(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILED_SIGN_INS:
            staff.locked_until = now + LOCKOUT
            staff.failed_logins = 0
            audit.record(staff.company_id, "staff.locked_out", subject=staff, summary=staff.email)
        return None
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    audit.record(staff.company_id, "staff.signed_in", actor=staff, subject=staff)
    return staff
