"""Secrets kept at rest only encrypted (sealed), readable again by the app alone.

Fernet (AES-128-CBC with an HMAC), with a key derived by HKDF from SECRET_KEY for each
purpose: a ciphertext sealed for one purpose (an email's links, a two-factor secret) cannot
be opened as another. After a SECRET_KEY rotation old ciphertexts cannot be opened: ``open``
raises ``Unreadable`` and each caller says what that means for its secret.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class Unreadable(Exception):
    """The ciphertext was sealed under another key or purpose, or was changed."""


def _fernet(purpose: bytes) -> Fernet:
    secret_key = current_app.config["SECRET_KEY"]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(purpose: bytes, plaintext: str) -> str:
    """``plaintext`` encrypted for ``purpose``, as text for a column."""
    return _fernet(purpose).encrypt(plaintext.encode()).decode()


def open_sealed(purpose: bytes, ciphertext: str) -> str:
    """The plaintext ``seal(purpose, ...)`` made; Unreadable when it cannot be opened."""
    try:
        return _fernet(purpose).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise Unreadable from None
