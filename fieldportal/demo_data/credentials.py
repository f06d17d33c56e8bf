"""The demo's sign-in secrets, printed by ``flask demo-data`` and listed in the README."""

from ..services.auth.passwords import hash_secret

STAFF_PASSWORD = "demo-password-1"
PORTAL_PASSWORD = "demo-portal-1"
PORTAL_PIN = "246810"

DEMO_CREDENTIALS_TEXT = f"""
Demo sign-in (http://127.0.0.1:5000):
  Staff (operator app, /login), password {STAFF_PASSWORD}:
    owner@acme.example       owner of Acme Mobile Mechanics (Chicago, USD)
    dispatcher@acme.example  dispatcher;  tech1@acme.example  technician
    owner@northwind.example  owner of Northwind Fleet Services (London, GBP)
  Portal contacts, password {PORTAL_PASSWORD}, PIN {PORTAL_PIN}:
    /portal/acme       fleet@acme.example (+1 312 555 0101), consumer@acme.example
                       (+1 312 555 0102), account@acme.example (+1 312 555 0103)
    /portal/northwind  fleet@northwind.example (+44 20 7946 0101), consumer@northwind.example
                       (+44 20 7946 0102), account@northwind.example (+44 20 7946 0103)
"""


def secret_hashes() -> dict[str, str]:
    """Each secret hashed once (a slow hash), shared by every row that uses it."""
    return {
        "staff": hash_secret(STAFF_PASSWORD),
        "portal": hash_secret(PORTAL_PASSWORD),
        "pin": hash_secret(PORTAL_PIN),
    }
