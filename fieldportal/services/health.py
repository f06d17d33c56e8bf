"""What ``/healthz`` reports: every service this process is configured to use, checked
now, each on its own line, so an operator sees which one is down."""

import redis
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import transaction
from ..extensions import db, limiter

OK = "ok"
UNREACHABLE = "unreachable"


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        transaction.discard()
        return False
    return True


def _page_cache_answers() -> bool:
    try:
        return bool(current_app.extensions["page_cache"].redis.ping())
    except redis.RedisError:
        return False


def health_report() -> tuple[dict, bool]:
    """``({"status": …, "database": "ok" | "unreachable", …}, healthy)``: the page cache's
    Redis and the rate limits' storage are listed when configured (memory:// is not)."""
    checks = {"database": _database_answers}
    if "page_cache" in current_app.extensions:
        checks["page_cache_redis"] = _page_cache_answers
    if not current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        checks["rate_limit_storage"] = limiter.storage.check  # never raises
    results = {name: OK if answers() else UNREACHABLE for name, answers in checks.items()}
    healthy = all(result == OK for result in results.values())
    return {"status": "ok" if healthy else "unavailable", **results}, healthy
