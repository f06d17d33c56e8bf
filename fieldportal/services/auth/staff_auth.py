"""Staff sign-in rules: the password check, under the lockout rule contacts have too, then
the second factor when the account has one or the company requires it
(services/auth/staff_two_factor.py)."""

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import SignInMethod, SignInStep, StaffUser, utcnow
from .. import audit
from ..errors import RuleError
from . import lockout, two_factor
from .auth_sessions import end_current_session, start_half_signed_in, start_session


@dataclass(frozen=True)
class PasswordAccepted:
    """A right password: the staff member, and the step still to do before they are signed
    in (None: they are), with the half-signed-in token to keep for it."""

    staff: StaffUser
    awaiting: SignInStep | None = None
    half_signed_in_token: str | None = None


class CompanySuspended(RuleError):
    """The right password, but the platform admins suspended the company: no session."""

    status = 403

    def __init__(self, company):
        self.company = company
        super().__init__(f"{company.name} is suspended.")


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
    failed attempt, which the caller keeps (``transaction.keep_changes_on_refusal()``); with
    a second factor to come, the count starts again only once that is right too.
    The right password of a suspended company's staff raises CompanySuspended (so only
    someone who knows it learns of the suspension)."""
    staff = staff_for_email(email)
    if staff is not None and not staff.active:
        staff = None
    password_hash = staff.password_hash if staff is not None else None
    second_factor = staff is not None and (staff.has_two_factor or staff.must_use_two_factor)
    if not lockout.check_secret(
        staff, password_hash, password, on_lock=audit_lockout, clears=not second_factor
    ):
        return None
    if staff.company.is_suspended:
        raise CompanySuspended(staff.company)
    return staff


def signed_in(staff: StaffUser, *, remember: bool, summary: str = "") -> None:
    """Start ``staff``'s session (the cookie goes with the response), noted and audited."""
    staff.last_login_at = utcnow()
    audit.record(staff.company_id, "staff.signed_in", actor=staff, subject=staff, summary=summary)
    start_session(staff, SignInMethod.STAFF_PASSWORD, remember=remember)


def sign_in_with_password(email: str, password: str, *, remember: bool) -> PasswordAccepted | None:
    """Check the password: None when refused. Right, the staff member is signed in, or, when
    the account has two-factor (or the company requires it and they have not set it up),
    half signed in: the answer says which step is left."""
    staff = authenticate_staff(email, password)
    if staff is None:
        return None
    return after_right_password(staff, remember=remember)


def after_right_password(staff: StaffUser, *, remember: bool) -> PasswordAccepted:
    """A right password — typed at sign-in, or just chosen through an invitation: signed
    in, or half signed in when a second factor is to come (theirs, or the one their
    company requires them to set up)."""
    if staff.has_two_factor or staff.must_use_two_factor:
        return _half_sign_in(staff, remember=remember)
    signed_in(staff, remember=remember)
    return PasswordAccepted(staff)


def enrolment_of(staff: StaffUser) -> two_factor.Enrolment | None:
    """The two-factor set-up ``staff`` started and has not confirmed, or None."""
    return two_factor.pending_enrolment(staff, account_name=staff.email, issuer=staff.company.name)


def start_enrolment(staff: StaffUser) -> two_factor.Enrolment:
    """The set-up already started (so an app that scanned it keeps working), else a new
    one. Conflict when two-factor is on already."""
    return enrolment_of(staff) or two_factor.start_enrolment(
        staff, account_name=staff.email, issuer=staff.company.name
    )


def _half_sign_in(staff: StaffUser, *, remember: bool) -> PasswordAccepted:
    step = SignInStep.CODE if staff.has_two_factor else SignInStep.ENROL
    if step is SignInStep.ENROL:
        start_enrolment(staff)
    row = start_half_signed_in(staff, step, remember)
    return PasswordAccepted(staff, awaiting=step, half_signed_in_token=row.cookie_token)


def sign_out(principal) -> None:
    """End the signed-in session (staff sign-out is audited; a contact's is not)."""
    if principal.is_staff:
        audit.record(principal.company_id, "staff.signed_out", actor=principal, subject=principal)
    end_current_session(principal)
