"""Secrets an email carries (sign-in links, fleet links, temporary passwords, PINs) are
never stored in the clear, before sending, after sending or after a failure.

The email is rendered once with a random marker in place of each secret (``new_marker``);
``seal`` keeps the secrets only encrypted (services/sealing.py: Fernet, with a key derived
from SECRET_KEY for this one purpose) together with the moment they stop being any use.
The worker fills them in at send time (``reveal``) and ``erase``s them as soon as the
message is sent; ``erase_expired`` drops expired ones and fails their unsent messages
instead of mailing a dead link. After a SECRET_KEY rotation old ciphertexts cannot be
read: those messages fail with a reason saying so.
"""

import json
import secrets
from datetime import datetime

from markupsafe import escape
from sqlalchemy import update

from ...extensions import db
from ...models import OutboxEmail, OutboxStatus, SecretKind, utcnow
from ...models.outbox import SECRET_MARKER
from ..errors import Conflict
from ..sealing import Unreadable, open_sealed
from ..sealing import seal as seal_text

HKDF_INFO = b"fieldportal outbox email secrets v1"
EXPIRED = "not sent: its secret expired before it could be delivered; send a new one"
PORTAL_OFF = "not sent: the customer portal was switched off; send a new one once it is on"


class SecretUnavailable(Conflict):
    """The email's secrets are gone (sent, expired or sealed under another SECRET_KEY), so
    it cannot be sent (409); the message says where staff make a new one."""

    def __init__(self, email: OutboxEmail, why: str):
        kinds = email.secret_kinds
        what = " and ".join(kind.label for kind in kinds)
        renew = "; ".join(kind.renewal for kind in kinds)
        super().__init__(f"The {what} in this email {why}, so it cannot be sent: {renew}.")


def new_marker(kind: SecretKind) -> str:
    return f"fp-secret-{kind}-{secrets.token_hex(16)}"


def seal(email: OutboxEmail, values: dict[str, str], *, expires_at: datetime) -> None:
    """Keep ``{marker: secret}`` encrypted on the email until ``expires_at``."""
    email.secrets_ciphertext = seal_text(HKDF_INFO, json.dumps(values))
    email.secrets_expire_at = expires_at


def _open(email: OutboxEmail) -> dict[str, str]:
    if email.secrets_ciphertext is None:
        raise SecretUnavailable(email, "is no longer kept (it is erased once sent or expired)")
    if email.secrets_expire_at <= utcnow():
        raise SecretUnavailable(email, "has expired")
    try:
        return json.loads(open_sealed(HKDF_INFO, email.secrets_ciphertext))
    except Unreadable:
        raise SecretUnavailable(
            email, "was encrypted with an earlier SECRET_KEY and cannot be read"
        ) from None


def ensure_available(email: OutboxEmail) -> None:
    """Raise SecretUnavailable unless every secret of the email can still be sent."""
    if email.secret_kinds:
        _open(email)


def _fill(body: str, values: dict[str, str], quote) -> str:
    # Only this email's own markers are replaced: one a user typed stays as it is.
    return SECRET_MARKER.sub(lambda m: quote(values[m[0]]) if m[0] in values else m[0], body)


def reveal(email: OutboxEmail) -> tuple[str, str | None]:
    """The text and HTML bodies as the recipient gets them, secrets in place (escaped in
    the HTML); raises SecretUnavailable when they are gone."""
    if not email.secret_kinds:
        return email.text_body, email.html_body
    values = _open(email)
    html = email.html_body and _fill(email.html_body, values, lambda value: str(escape(value)))
    return _fill(email.text_body, values, str), html


def erase(email: OutboxEmail) -> None:
    email.secrets_ciphertext = None
    email.secrets_expire_at = None


def _drop_secrets(which, reason: str) -> int:
    """Erase the secrets of the messages ``which`` selects; the queued ones among them fail
    with ``reason`` instead of carrying a dead secret. Returns how many failed."""
    failed = db.session.execute(
        update(OutboxEmail)
        .where(which, OutboxEmail.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.FAILED, last_error=reason)
    ).rowcount
    db.session.execute(
        update(OutboxEmail).where(which).values(secrets_ciphertext=None, secrets_expire_at=None)
    )
    return failed


def erase_expired() -> int:
    """Drop every expired secret; a queued message that needed one fails instead of
    carrying a dead link. Returns how many messages failed that way."""
    return _drop_secrets(OutboxEmail.secrets_expire_at <= utcnow(), EXPIRED)


def withdraw_company_secrets(company_id: int) -> int:
    """The company's portal was switched off: no secret of its emails is sent any more.
    Returns how many queued messages failed."""
    return _drop_secrets(
        (OutboxEmail.company_id == company_id) & OutboxEmail.secrets_ciphertext.is_not(None),
        PORTAL_OFF,
    )


def withdraw_secrets_of(kind: str, related, reason: str) -> int:
    """The secrets of ``related``'s emails of ``kind`` no longer work (a newer invitation
    replaced them, or it was withdrawn): none of them is sent any more. Returns how many
    queued messages failed with ``reason``."""
    return _drop_secrets(
        (OutboxEmail.company_id == related.company_id)
        & (OutboxEmail.kind == kind)
        & (OutboxEmail.related_type == type(related).__name__)
        & (OutboxEmail.related_id == related.id)
        & OutboxEmail.secrets_ciphertext.is_not(None),
        reason,
    )
