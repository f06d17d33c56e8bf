"""Two-factor for staff (the rules are services/auth/two_factor.py): the second step of
signing in, setting it up (at sign-in when the company requires it, or on the profile
page) and turning it off.

Between a right password and the second step the browser is *half signed in*: an
auth_sessions row with ``awaiting`` set, its token under its own key of the signed Flask
session (never the sign-in key), which the user loader never takes for a session. So that
state reaches its own step's pages and nothing else. Wrong codes count towards the
account's lockout like wrong passwords (services/auth/lockout.py)."""

from dataclasses import dataclass
from datetime import datetime

from flask import session

from ...extensions import db
from ...models import AuthSession, SignInStep, StaffRecoveryCode, StaffUser
from .. import audit
from ..errors import Conflict, Invalid
from . import lockout, two_factor
from .auth_sessions import end_sessions, load_half_signed_in
from .staff_auth import PasswordAccepted, audit_lockout, enrolment_of, signed_in, start_enrolment
from .staff_passwords import WRONG_CURRENT

HALF_SIGNED_IN_KEY = "half_signed_in"
WRONG_CODE = "That code is not right or was already used, or the account is locked for a while."
REQUIRED = "Your company requires two-factor sign-in for you, so it stays on."


def keep_half_signed_in(accepted: PasswordAccepted) -> None:
    """Remember in this browser the half-signed-in row a right password started."""
    session[HALF_SIGNED_IN_KEY] = accepted.half_signed_in_token


def half_signed_in(step: SignInStep) -> AuthSession | None:
    """This browser's half-signed-in row waiting for ``step``, with its staff member; None
    when there is none (or it expired, or waits for the other step)."""
    token = session.get(HALF_SIGNED_IN_KEY)
    row = load_half_signed_in(token) if token else None
    return row if row is not None and row.awaiting is step else None


def _finish(row: AuthSession, summary: str) -> None:
    lockout.clear(row.staff_user)
    session.pop(HALF_SIGNED_IN_KEY, None)
    db.session.delete(row)
    signed_in(row.staff_user, remember=row.remember, summary=summary)


def _refuse_code(staff: StaffUser, message: str = WRONG_CODE):
    lockout.count_failure(staff, on_lock=audit_lockout)
    return Invalid(errors={"code": [message]})


@dataclass(frozen=True)
class CodeAccepted:
    staff: StaffUser
    recovery_codes_left: int | None  # None: an authenticator code was used


def _check_code(staff: StaffUser, code: str) -> int | None:
    """Raise Invalid on ``code`` unless it is a right authenticator or recovery code (a
    wrong one counts towards the lockout, a locked account is refused alike); returns
    how many recovery codes are left when one was used."""
    if lockout.is_locked(staff):
        raise Invalid(errors={"code": [WRONG_CODE]})
    try:
        if two_factor.accept_code(staff, code):
            return None
    except Conflict as unreadable:  # sealed under another SECRET_KEY: a recovery code helps
        if not two_factor.use_recovery_code(staff, StaffRecoveryCode, code):
            raise _refuse_code(staff, unreadable.message) from None
        return two_factor.recovery_codes_left(staff, StaffRecoveryCode)
    if two_factor.use_recovery_code(staff, StaffRecoveryCode, code):
        return two_factor.recovery_codes_left(staff, StaffRecoveryCode)
    raise _refuse_code(staff)


def sign_in_with_code(row: AuthSession, code: str) -> CodeAccepted:
    """The second step: an authenticator code or a recovery code signs the half-signed-in
    staff member in (a new session; the half-signed-in row is gone). Invalid on ``code``
    otherwise (counted towards the lockout: the caller keeps it)."""
    staff = row.staff_user
    left = _check_code(staff, code)
    _finish(row, "with a recovery code" if left is not None else "with a two-factor code")
    return CodeAccepted(staff, left)


def _turned_on(staff: StaffUser) -> list[str]:
    codes = two_factor.issue_recovery_codes(staff, StaffRecoveryCode)
    audit.record(
        staff.company_id,
        "staff.two_factor_on",
        actor=staff,
        subject=staff,
        summary="Turned two-factor sign-in on",
    )
    return codes


def sign_in_by_enrolling(row: AuthSession, code: str) -> list[str]:
    """The company requires two-factor and the half-signed-in staff member set it up: the
    first code from their app turns it on and signs them in. Returns the ten recovery
    codes, to be shown once. Invalid on ``code`` when it is wrong (nothing counted: the
    password was right and there is no factor yet to guess)."""
    staff = row.staff_user
    two_factor.confirm_enrolment(staff, code)
    codes = _turned_on(staff)
    _finish(row, "after setting two-factor up")
    return codes


def start_from_profile(staff: StaffUser) -> None:
    """Start setting two-factor up (the QR code and secret are shown until confirmed).
    Conflict when it is on already."""
    start_enrolment(staff)


def confirm_from_profile(staff: StaffUser, code: str) -> list[str]:
    """The first code from the app turns two-factor on; the account's other sessions end
    (they were opened without it). Returns the ten recovery codes, to be shown once.
    Invalid on ``code`` when wrong; Conflict when no set-up was started or it is on."""
    if enrolment_of(staff) is None and not staff.has_two_factor:
        raise Conflict("Start setting two-factor up first.")
    two_factor.confirm_enrolment(staff, code)
    end_sessions(staff_user_id=staff.id, keep=staff.auth_session)
    return _turned_on(staff)


def _check_password(staff: StaffUser, password: str, *, clears: bool = True) -> None:
    if not lockout.check_secret(
        staff, staff.password_hash, password, on_lock=audit_lockout, clears=clears
    ):
        raise Invalid(errors={"password": [WRONG_CURRENT]})


def turn_off(staff: StaffUser, *, password: str, code: str) -> None:
    """Turn two-factor off with the password and a code (authenticator or recovery).
    Conflict when the company requires it for them; Invalid on ``password`` or ``code``
    (counted towards the lockout: the caller keeps it)."""
    if staff.must_use_two_factor:
        raise Conflict(REQUIRED)
    if not staff.has_two_factor:
        raise Conflict("Two-factor sign-in is not on.")
    _check_password(staff, password, clears=False)
    _check_code(staff, code)
    lockout.clear(staff)
    two_factor.turn_off(staff, StaffRecoveryCode)
    audit.record(
        staff.company_id,
        "staff.two_factor_off",
        actor=staff,
        subject=staff,
        summary="Turned two-factor sign-in off",
    )


def new_recovery_codes(staff: StaffUser, *, password: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), with the password. Invalid on
    ``password``; Conflict when two-factor is not on."""
    if not staff.has_two_factor:
        raise Conflict("Two-factor sign-in is not on.")
    _check_password(staff, password)
    codes = two_factor.issue_recovery_codes(staff, StaffRecoveryCode)
    audit.record(
        staff.company_id,
        "staff.recovery_codes_renewed",
        actor=staff,
        subject=staff,
        summary="Made new recovery codes",
    )
    return codes


def recovery_codes_left(staff: StaffUser) -> int:
    return two_factor.recovery_codes_left(staff, StaffRecoveryCode)


@dataclass(frozen=True)
class TwoFactorStatus:
    """What the profile page says about a staff member's two-factor sign-in."""

    on: bool
    since: datetime | None
    required: bool
    recovery_codes_left: int


def status(staff: StaffUser) -> TwoFactorStatus:
    return TwoFactorStatus(
        on=staff.has_two_factor,
        since=staff.two_factor_enabled_at,
        required=staff.must_use_two_factor,
        recovery_codes_left=recovery_codes_left(staff) if staff.has_two_factor else 0,
    )
