"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238, through pyotp) and
single-use recovery codes, for any kind of account.

The functions take the account itself (the *holder*: any model with
``models.two_factor.TwoFactorMixin``'s columns and an ``id``) and, for recovery codes, the
model that holds them (a ``models.two_factor.RecoveryCodeMixin``), so staff and platform
admins share them. They flush and never commit; when a code is asked for is the caller's.

- The secret is kept sealed (services/sealing.py), never in the clear.
- A code is accepted one 30-second step either side of now (clocks drift), and each time
  step once: the step of the last accepted code is stored with one atomic UPDATE, so the
  same code, or an older one, is refused afterwards, even to two requests racing.
- Ten recovery codes of 16 characters (79 random bits), only their SHA-256 kept; each works
  once (an atomic ``UPDATE ... WHERE used_at IS NULL``). Their hash is not keyed by
  SECRET_KEY on purpose: they are the way back in when a key rotation left the sealed secret
  unreadable.
"""

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from ...extensions import db
from ...models import utcnow
from ..errors import Conflict, Invalid
from ..sealing import Unreadable, open_sealed, seal
from .tokens import token_hash

SEAL_PURPOSE = b"fieldportal two-factor secrets v1"
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # steps either side of now a code is still accepted for
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 16
# Letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

WRONG_CODE = "That code is not right, or was already used. Enter the newest one your app shows."
UNREADABLE = (
    "The two-factor secret of this account cannot be read any more (the server's key changed). "
    "Sign in with a recovery code, then set two-factor up again."
)


@dataclass(frozen=True)
class Enrolment:
    """What a person needs to add the account to an authenticator app."""

    secret: str  # base32, for typing in by hand
    uri: str  # otpauth://, what the QR code holds
    qr_svg: Markup  # the QR code as inline SVG

    @property
    def secret_in_groups(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _secret(holder) -> str:
    if holder.totp_secret_sealed is None:
        raise Conflict("Two-factor is not set up for this account.")
    try:
        return open_sealed(SEAL_PURPOSE, holder.totp_secret_sealed)
    except Unreadable:
        raise Conflict(UNREADABLE) from None


def qr_svg(uri: str, *, label: str) -> Markup:
    """``uri`` as a QR code in inline SVG (dark on white, so it scans in any theme), an image
    named ``label`` for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="qr-code", lineclass=None, omitsize=False
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1))


def start_enrolment(holder, *, account_name: str, issuer: str) -> Enrolment:
    """A new secret for ``holder``, sealed on it but not yet in force: sign-in does not ask
    for codes until ``confirm_enrolment`` accepted one. Conflict when two-factor is on
    already (it is turned off first, with the account's password and a code)."""
    if holder.has_two_factor:
        raise Conflict("Two-factor is already on for this account.")
    secret = pyotp.random_base32()
    holder.totp_secret_sealed = seal(SEAL_PURPOSE, secret)
    holder.totp_last_step = None
    return _enrolment(secret, account_name=account_name, issuer=issuer)


def pending_enrolment(holder, *, account_name: str, issuer: str) -> Enrolment | None:
    """The enrolment started and not yet confirmed (to show its QR code again), or None."""
    if holder.has_two_factor or holder.totp_secret_sealed is None:
        return None
    try:
        secret = open_sealed(SEAL_PURPOSE, holder.totp_secret_sealed)
    except Unreadable:
        return None
    return _enrolment(secret, account_name=account_name, issuer=issuer)


def _enrolment(secret: str, *, account_name: str, issuer: str) -> Enrolment:
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account_name, issuer_name=issuer
    )
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg(uri, label=f"QR code for {issuer}"))


def _normalised_code(code: str) -> str | None:
    code = re.sub(r"[\s-]", "", code or "")
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = totp.timecode(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(holder, code: str, *, at: datetime | None = None) -> bool:
    """Whether ``code`` is a right code for ``holder``'s secret at ``at`` (now) for a time
    step later than the last one accepted; accepting it stores its step (atomically: of
    two requests with one code, one wins). Conflict when the secret cannot be read."""
    code = _normalised_code(code)
    if code is None:
        return False
    step = _matching_step(_secret(holder), code, at or utcnow())
    if step is None:
        return False
    model = holder.__class__  # the model, also through a proxy (flask_login.current_user)
    taken = db.session.execute(
        update(model)
        .where(
            model.id == holder.id,
            or_(model.totp_last_step.is_(None), model.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    return taken == 1


def confirm_enrolment(holder, code: str, *, at: datetime | None = None) -> None:
    """Turn two-factor on with the first code from the app, which proves it holds the
    secret. Invalid on ``code`` for a wrong one; Conflict when no enrolment was started."""
    if holder.has_two_factor:
        raise Conflict("Two-factor is already on for this account.")
    if not accept_code(holder, code, at=at):
        raise Invalid(errors={"code": [WRONG_CODE]})
    holder.two_factor_enabled_at = utcnow()


def turn_off(holder, codes_model) -> None:
    """Forget the secret and the recovery codes: sign-in asks for the password only. (The
    caller checks that the person may: password and a code.)"""
    holder.totp_secret_sealed = None
    holder.two_factor_enabled_at = None
    holder.totp_last_step = None
    db.session.execute(delete(codes_model).where(codes_model.of_holder(holder)))


def _normalised_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _recovery_code_hash(code: str) -> str:
    return token_hash(_normalised_recovery_code(code))


def issue_recovery_codes(holder, codes_model) -> list[str]:
    """Ten new recovery codes for ``holder``, replacing any earlier ones: returned once, to
    be shown once, and kept only hashed."""
    db.session.execute(delete(codes_model).where(codes_model.of_holder(holder)))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(
        codes_model(code_hash=_recovery_code_hash(code), **codes_model.values_for(holder))
        for code in codes
    )
    db.session.flush()
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)) for code in codes]


def use_recovery_code(holder, codes_model, code: str) -> bool:
    """Whether ``code`` is one of ``holder``'s unused recovery codes; using it marks it used
    with one atomic UPDATE, so it never works again (of two racing requests, one wins).
    Dashes, spaces and case do not matter."""
    if len(_normalised_recovery_code(code)) != RECOVERY_CODE_LENGTH:
        return False
    used = db.session.execute(
        update(codes_model)
        .where(
            codes_model.of_holder(holder),
            codes_model.code_hash == _recovery_code_hash(code),
            codes_model.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return used == 1


def recovery_codes_left(holder, codes_model) -> int:
    """How many of ``holder``'s recovery codes are still unused."""
    return db.session.scalar(
        select(func.count(codes_model.id)).where(
            codes_model.of_holder(holder), codes_model.used_at.is_(None)
        )
    )
