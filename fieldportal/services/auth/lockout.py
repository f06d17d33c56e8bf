"""One lockout rule for every account that signs in with a secret, staff and contacts
alike: ten wrong secrets in a row lock the account for 15 minutes, and while it is locked
even the right one is refused, with the same answer as a wrong one."""

from datetime import timedelta

from ...models import utcnow
from .passwords import verify_secret

MAX_FAILED_ATTEMPTS = 10
LOCKOUT = timedelta(minutes=15)


def is_locked(account) -> bool:
    return bool(account.locked_until and account.locked_until > utcnow())


def clear(account) -> None:
    """A right secret, or a new one set: the count starts again and any lock ends."""
    account.failed_attempts = 0
    account.locked_until = None


def check_secret(
    account, secret_hash: str | None, secret: str, *, on_lock, clears: bool = True
) -> bool:
    """Whether ``secret`` matches ``secret_hash`` for ``account`` (None: no account, checked
    against a dummy hash so the answer takes as long). A wrong one counts towards the
    lockout; the tenth locks the account and calls ``on_lock(account)`` (to audit it).
    The caller keeps the count with ``transaction.keep_changes_on_refusal()``. A right one
    starts the count again, unless ``clears`` is False: a second factor is still to come,
    and a right password must not wipe out the wrong codes counted before it."""
    if account is None or is_locked(account):
        verify_secret(None, secret)
        return False
    if not verify_secret(secret_hash, secret):
        count_failure(account, on_lock=on_lock)
        return False
    if clears:
        clear(account)
    return True


def count_failure(account, *, on_lock) -> None:
    """One more wrong secret (a password, or a two-factor code after it): the tenth locks
    the account and calls ``on_lock(account)``. The caller keeps the count."""
    account.failed_attempts += 1
    if account.failed_attempts >= MAX_FAILED_ATTEMPTS:
        account.locked_until = utcnow() + LOCKOUT
        account.failed_attempts = 0
        on_lock(account)
