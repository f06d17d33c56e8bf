"""Staff sign-in rules: the password check, under the lockout rule contacts have too."""

from sqlalchemy import func, select

from ...extensions import db
from ...models import SignInMethod, StaffUser, utcnow
from .. import audit
from . import lockout
from .auth_sessions import end_current_session, start_session


def staff_for_email(email: str) -> StaffUser | None:
    """The staff account (at any company) with this address, case-insensitively."""
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    )


def audit_lockout(staff: StaffUser) -> None:
    """Record that ``staff``'s account was just locked (lockout.check_secret's on_lock)."""
    audit.record(staff.company_id, "staff.locked_out", subject=staff, summary=staff.email)


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """The active staff user with this email and password, or None (services/auth/lockout:
    ten wrong passwords lock the account for 15 minutes). A refusal may have counted a
    failed attempt, which the caller keeps (``transaction.keep_changes_on_refusal()``)."""
    staff = staff_for_email(email)
    if staff is not None and not staff.active:
        staff = None
    password_hash = staff.password_hash if staff is not None else None
    if not lockout.check_secret(staff, password_hash, password, on_lock=audit_lockout):
        return None
    staff.last_login_at = utcnow()
    audit.record(staff.company_id, "staff.signed_in", actor=staff, subject=staff)
    return staff


def sign_in_with_password(email: str, password: str, *, remember: bool) -> StaffUser | None:
    """Check the password and start the staff user's session (the cookie goes with the
    response): the staff user, or None when refused."""
    staff = authenticate_staff(email, password)
    if staff is not None:
        start_session(staff, SignInMethod.STAFF_PASSWORD, remember=remember)
    return staff


def sign_out(principal) -> None:
    """End the signed-in session (staff sign-out is audited; a contact's is not)."""
    if principal.is_staff:
        audit.record(principal.company_id, "staff.signed_out", actor=principal, subject=principal)
    end_current_session(principal)
