"""Settings, read from the environment with safe defaults for development."""

import os
import secrets
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

MEGABYTE = 1024 * 1024
DEVELOPMENT_MAIL_FROM = "fieldportal <no-reply@fieldportal.local>"
# The one limit on request bodies (QUALITY.md 31): the whole body, any one text field of a
# form, and a cap on the number of parts of a multipart form. Over it: 413 on every route.
BODY_LIMIT = 10 * MEGABYTE
FORM_PARTS_LIMIT = 1000


class ConfigurationError(RuntimeError):
    """The app cannot start with the environment it was given."""


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key(environment: str, instance_path: Path) -> str:
    """SECRET_KEY from the environment; in development, one generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if environment == "production":
        raise ConfigurationError("SECRET_KEY must be set in production.")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _mail_from(environment: str) -> str:
    """MAIL_FROM; in production it must be an address on a real domain the operator
    controls (SPF, DKIM and DMARC are set up for it), never the development default."""
    mail_from = os.environ.get("MAIL_FROM", "").strip()
    if environment != "production":
        return mail_from or DEVELOPMENT_MAIL_FROM
    address = parseaddr(mail_from)[1]
    if not address or address.lower().endswith("@fieldportal.local"):
        raise ConfigurationError(
            "MAIL_FROM must be set in production to an address on a domain you control, "
            'e.g. MAIL_FROM="Service portal <no-reply@mail.example.com>" (see README, '
            "Mail deployment)."
        )
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as problem:
        raise ConfigurationError(f"MAIL_FROM is not a usable address: {problem}") from None
    return mail_from


SMTP_SECURITY_CHOICES = ("none", "starttls", "ssl")


def _smtp_security() -> str:
    """How the connection to the relay is protected; anything else is refused rather than
    read as "none", so a typo never sends credentials and sign-in links in the clear."""
    security = os.environ.get("SMTP_SECURITY", "none").strip().lower() or "none"
    if security not in SMTP_SECURITY_CHOICES:
        raise ConfigurationError(
            f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}, not {security!r}."
        )
    return security


def _signup_plan() -> str:
    """The plan self-serve sign-ups start on: free (the portal is Pro) unless set."""
    plan = os.environ.get("SIGNUP_PLAN", "free").strip().lower() or "free"
    if plan not in ("free", "pro"):
        raise ConfigurationError(f"SIGNUP_PLAN must be free or pro, not {plan!r}.")
    return plan


def load_config(instance_path: str) -> dict:
    """Every setting the app reads, as a dict for app.config.from_mapping."""
    instance = Path(instance_path)
    environment = os.environ.get("FIELDPORTAL_ENV", "development")
    default_db = f"sqlite:///{instance / 'fieldportal.db'}"
    return {
        "ENV_NAME": environment,
        "SECRET_KEY": _secret_key(environment, instance),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAX_CONTENT_LENGTH": BODY_LIMIT,
        "MAX_FORM_MEMORY_SIZE": BODY_LIMIT,
        "MAX_FORM_PARTS": FORM_PARTS_LIMIT,
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance / "uploads")),
        # Hashed, compressed copies of static/ that WhiteNoise serves (static_files.py).
        "STATIC_BUILD_FOLDER": os.environ.get("STATIC_BUILD_FOLDER", str(instance / "static")),
        # HTML, JSON and text responses compressed (Flask-Compress); static files come
        # compressed already.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        # Mail
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": _int("SMTP_PORT", 25),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_SECURITY": _smtp_security(),
        # CA bundle for a relay whose certificate a private CA signed; unset = system CAs.
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE") or None,
        "MAIL_FROM": _mail_from(environment),
        # Envelope sender (Return-Path), where bounces go; unset = MAIL_FROM's address.
        "MAIL_BOUNCE_ADDRESS": os.environ.get("MAIL_BOUNCE_ADDRESS", ""),
        # Payments
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        # Background work (task_queue.py): sqlite:///… for one machine, redis://… for several.
        "TASK_QUEUE_URL": os.environ.get("TASK_QUEUE_URL", f"sqlite:///{instance / 'tasks.db'}"),
        # Throttles
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Redis shared by every app process; unset = portal dashboards are not cached.
        "PAGE_CACHE_URL": os.environ.get("PAGE_CACHE_URL"),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Sessions (QUALITY.md 14-16)
        "STAFF_IDLE_TIMEOUT": timedelta(hours=8),
        "STAFF_ABSOLUTE_TIMEOUT": timedelta(days=7),
        "PORTAL_IDLE_TIMEOUT": timedelta(minutes=30),
        "PORTAL_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        # The installation's keys: signed out sooner than staff.
        "PLATFORM_IDLE_TIMEOUT": timedelta(minutes=30),
        "PLATFORM_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "LOGIN_LINK_LIFETIME": timedelta(minutes=_int("LOGIN_LINK_MINUTES", 30)),
        # Companies
        "SIGNUP_ENABLED": _flag("SIGNUP_ENABLED", True),  # off: only flask create-company
        "SIGNUP_PLAN": _signup_plan(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SECURE_COOKIES", environment == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SECURE_COOKIES", environment == "production"),
        "REMEMBER_COOKIE_DURATION": timedelta(days=7),
        "PROXY_COUNT": _int("PROXY_COUNT", 0),
        # Unhandled errors also go to Sentry (or a Sentry-compatible server); unset = off.
        "SENTRY_DSN": os.environ.get("SENTRY_DSN", ""),
        "WTF_CSRF_TIME_LIMIT": None,
        # Token pages send Referrer-Policy: no-referrer, so their HTTPS POSTs carry no
        # Referer; the CSRF token alone protects them.
        "WTF_CSRF_SSL_STRICT": False,
        # A failed statement's message (in tracebacks, logs and error reports) shows its SQL
        # but not the values bound to it, which can be what a user typed.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    }
