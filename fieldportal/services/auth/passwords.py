"""Password and PIN hashing (scrypt, through Werkzeug) and password rules."""

from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 8
_COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# A well-formed hash of nothing, checked when no account matches so that timing is alike.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method="scrypt")


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    if not secret_hash:
        check_password_hash(_DUMMY_HASH, secret)
        return False
    return check_password_hash(secret_hash, secret)


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in _COMMON_PASSWORDS_FILE.read_text().splitlines()
        if line.strip()
    )


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.lower() in _common_passwords():
        return "That password is too common. Choose one that is harder to guess."
    return None
