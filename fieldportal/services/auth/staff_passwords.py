"""A staff member's password: chosen through a set-up link (the first owner's, a reset),
or changed on the profile page. Whoever sets one ends the account's other sessions
(QUALITY.md 15) and any lockout.

Forgot password answers every address alike (QUALITY.md 7): an account gets a 30-minute
single-use link, an address without an active account an email saying so; either way one
email is rendered and queued, and the page says the same."""

from ...models import AuthSession, SetupPurpose, StaffUser
from .. import audit
from ..companies import links
from ..errors import Invalid, NotFound
from ..mail import mailer
from . import lockout
from .auth_sessions import end_sessions
from .passwords import hash_secret, password_problem
from .staff_auth import audit_lockout, staff_for_email
from .throttle import link_request_allowed

RESET_LIFETIME = links.LIFETIMES[SetupPurpose.PASSWORD_RESET]
WRONG_CURRENT = "That is not your current password, or the account is locked for a while."
SAME_PASSWORD = "That is your current password. Choose a new one."


def set_password(staff: StaffUser, password: str, *, keep: AuthSession | None = None) -> int:
    """Store a new password: the lockout count starts again and every session of the
    account ends but ``keep`` (the one that changed it). Returns how many ended."""
    staff.password_hash = hash_secret(password)
    lockout.clear(staff)
    return end_sessions(staff_user_id=staff.id, keep=keep)


def change_password(staff: StaffUser, *, current: str, new: str) -> int:
    """Change the signed-in ``staff``'s password on the profile page: every other session
    of the account ends, the one making the change goes on. Returns how many ended.
    Invalid on ``current_password`` when ``current`` is wrong (it counts towards the
    lockout, which the caller keeps with ``transaction.keep_changes_on_refusal()``, and a
    locked account is refused alike), on ``password`` when ``new`` is refused."""
    if not lockout.check_secret(staff, staff.password_hash, current, on_lock=audit_lockout):
        raise Invalid(errors={"current_password": [WRONG_CURRENT]})
    if new == current:
        raise Invalid(errors={"password": [SAME_PASSWORD]})
    refuse_weak(new)
    ended = set_password(staff, new, keep=staff.auth_session)
    audit.record(
        staff.company_id,
        "staff.password_changed",
        actor=staff,
        subject=staff,
        summary=f"Changed their password; {ended} other session(s) ended",
    )
    return ended


def refuse_weak(password: str, field: str = "password") -> None:
    """Invalid on ``field`` when the password rules refuse ``password``."""
    problem = password_problem(password)
    if problem:
        raise Invalid(errors={field: [problem]})


def redeem_link(purpose: SetupPurpose, token: str, password: str) -> StaffUser:
    """Use a set-up link to set the password of the staff member it was made for. Invalid
    on ``password`` for a weak one (the link stays usable), NotFound when the link is
    expired, used, replaced or unknown; of two requests racing with one link, one wins."""
    refuse_weak(password)
    staff = links.consume(purpose, token)
    if staff is None:
        raise NotFound("This link has expired or was already used.")
    set_password(staff, password)
    return staff


def request_reset(email: str, *, ip_address: str | None) -> None:
    """Answer "Forgot password" for ``email``: an active staff account gets a reset link
    (earlier ones stop working), any other address an email saying no account uses it.
    Over the per-address or per-IP limit nothing is sent; the caller's answer is the same."""
    email = email.strip().lower()
    if not link_request_allowed(email, ip_address, scope="password-reset"):
        return
    staff = staff_for_email(email)
    if staff is None or not staff.active:
        mailer.queue(
            to=email,
            kind="password_reset_no_account",
            subject="Resetting a fieldportal password",
            template="password_reset_no_account",
            email=email,
            link=mailer.absolute_url("auth.forgot_password"),
        )
        return
    token = links.issue(SetupPurpose.PASSWORD_RESET, staff)
    company = staff.company
    mailer.queue(
        to=staff.email,
        kind="password_reset",
        subject=f"Choose a new password for {company.name}",
        template="password_reset",
        company=company,
        related=staff,
        staff=staff,
        link=links.url_for_token(SetupPurpose.PASSWORD_RESET, token),
        link_lifetime=RESET_LIFETIME,
        secrets_expire_at=links.expiry(SetupPurpose.PASSWORD_RESET),
    )
    audit.record(
        staff.company_id,
        "staff.password_reset_requested",
        subject=staff,
        summary=f"Password reset link sent to {staff.email}",
    )


def reset_password(token: str, password: str) -> StaffUser:
    """Choose a new password through a reset link: every session of the account ends
    (whoever held it is signed out everywhere). Invalid / NotFound as ``redeem_link``."""
    staff = redeem_link(SetupPurpose.PASSWORD_RESET, token, password)
    audit.record(
        staff.company_id,
        "staff.password_reset",
        actor=staff,
        subject=staff,
        summary="Chose a new password through a reset link",
    )
    return staff
