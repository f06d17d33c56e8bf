"""One structured log line per request or background task, with no secret in it
(QUALITY.md 45); log_config.py turns each into one JSON line on stdout.

Every request gets an id: the trusted proxy's ``X-Request-ID`` when ``PROXY_COUNT`` says
there is one (the proxy must set or overwrite the header), else a new one. It is sent back
as ``X-Request-ID`` and carried by every line about the request, the unhandled-error line
included. The path logged is the route's pattern (``/portal/t/<token>``), never the
concrete URL: secrets in URLs and query strings cannot reach the logs, and no header,
cookie or form value is logged either.
"""

import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request, request_started
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from . import htmx

logger = logging.getLogger("fieldportal.requests")
error_logger = logging.getLogger("fieldportal.errors")
task_logger = logging.getLogger("fieldportal.tasks")

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id looks like (uuid, hex, Amazon's Root=1-…); anything else is replaced.
_PROXY_REQUEST_ID = re.compile(r"[A-Za-z0-9._:;=+/-]{1,200}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _begin_request(sender, **_):
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    trusted = current_app.config["PROXY_COUNT"] and _PROXY_REQUEST_ID.fullmatch(incoming)
    g.request_id = incoming if trusted else new_request_id()


def principal_kind(principal) -> str:
    """staff, contact, fleet_token or anonymous."""
    if principal is None or not principal.is_authenticated:
        return "anonymous"
    if principal.is_staff:
        return "staff"
    return "contact" if principal.is_contact else "fleet_token"


def note_principal(kind: str, company_id: int | None) -> None:
    """For answers given before the principal is loaded (the portal page cache)."""
    g.request_principal = (kind, company_id)


def _principal_and_company() -> tuple[str, int | None]:
    if "request_principal" in g:
        return g.request_principal
    # Only the principal this request already loaded: asking current_user here would load
    # one for requests that never needed it (health checks, static files).
    principal = g.get("_login_user")
    company = g.get("company")
    try:
        if company is not None:
            company_id = inspect(company).identity[0]
        elif principal is not None and principal.is_authenticated:
            company_id = principal.company_id
        else:
            company_id = None
    except SQLAlchemyError:  # reloading after a failed transaction: the line still goes out
        company_id = None
    return principal_kind(principal), company_id


def request_fields() -> dict:
    """What every line about the current request carries."""
    kind, company_id = _principal_and_company()
    return {
        "request_id": g.get("request_id"),
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else "<unmatched>",
        "endpoint": request.endpoint,
        "principal": kind,
        "company_id": company_id,
    }


def _log_request(response):
    if "request_started" not in g:
        return response
    fields = {
        **request_fields(),
        "status": response.status_code,
        "duration_ms": _ms_since(g.request_started),
        "htmx": htmx.is_htmx_request(),
    }
    logger.info("%s %s %s", fields["method"], fields["route"], fields["status"], extra=fields)
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def log_unhandled_error(error: BaseException) -> None:
    """One line with the traceback and the request's id (and route, never its URL)."""
    error_logger.error(
        "unhandled error: %s", type(error).__name__, exc_info=error, extra=request_fields()
    )


def log_task(task: str, started: float, **fields) -> None:
    """One line for one background task (an email sent, …): its own id, its duration."""
    task_logger.info(
        "%s %s",
        task,
        fields.get("outcome", ""),
        extra={
            "request_id": new_request_id(),
            "task": task,
            **fields,
            "duration_ms": _ms_since(started),
        },
    )


def init_app(app: Flask) -> None:
    # request_started comes before every before_request function, so a request one of
    # them refuses (a NUL byte, a disabled portal) is timed and logged too.
    request_started.connect(_begin_request, app)
    app.after_request(_log_request)
