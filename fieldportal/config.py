"""Settings, read from the environment with safe defaults for development."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

MEGABYTE = 1024 * 1024


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
        "MAX_CONTENT_LENGTH": 10 * MEGABYTE,
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance / "uploads")),
        # Mail
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": _int("SMTP_PORT", 25),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_SECURITY": os.environ.get("SMTP_SECURITY", "none"),  # none | starttls | ssl
        "MAIL_FROM": os.environ.get("MAIL_FROM", "fieldportal <no-reply@fieldportal.local>"),
        # Payments
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
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
        "LOGIN_LINK_LIFETIME": timedelta(minutes=_int("LOGIN_LINK_MINUTES", 30)),
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
