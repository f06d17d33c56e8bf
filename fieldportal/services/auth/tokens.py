"""Random tokens for links and sessions; only their SHA-256 is ever stored."""

import hashlib
import secrets


def new_token() -> str:
    """A 256-bit URL-safe random token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
