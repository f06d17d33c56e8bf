"""Throttles for requests that send email (QUALITY.md 8), on the app's limiter storage
(memory by default, Redis when RATELIMIT_STORAGE_URI says so)."""

import math

from flask import current_app
from limits import parse

from ...extensions import limiter

LINKS_PER_ADDRESS = parse("5 per hour")
LINKS_PER_IP = parse("20 per hour")


def link_request_allowed(
    email: str, ip_address: str | None, strategy=None, *, scope: str = "link"
) -> bool:
    """Count one request for an emailed link; False once the address or the IP is over its
    limit. ``scope`` keeps each kind of link apart (portal sign-in links, staff password
    resets). The caller answers the same way either way. ``strategy`` defaults to the
    app's limiter; with RATELIMIT_ENABLED off that has no storage at all, and every request
    is allowed."""
    if strategy is None:
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return True
        strategy = limiter.limiter
    address_ok = strategy.hit(LINKS_PER_ADDRESS, f"{scope}-address", email.strip().lower())
    ip_ok = strategy.hit(LINKS_PER_IP, f"{scope}-ip", ip_address or "unknown")
    return address_ok and ip_ok


def wait_phrase(seconds: float) -> str:
    """How long a wait is, as people say it, rounded up: "a minute", "7 minutes", "an
    hour", "3 hours"."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes == 1:
        return "a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = math.ceil(minutes / 60)
    return "an hour" if hours == 1 else f"{hours} hours"


def too_many_attempts(seconds: float) -> str:
    """The answer to a throttled request, instead of the limit it crossed."""
    return f"Too many attempts. Try again in {wait_phrase(seconds)}."
