"""Optional error reports to Sentry (``SENTRY_DSN``), with nothing secret in them.

An unhandled error is logged once, at ERROR, by ``web.handle_unexpected_error``; Sentry's
logging integration turns that line into one event and its Flask integration adds the
request. ``scrub`` then keeps of the request only what cannot carry a secret: the method,
the route's pattern (tokens travel in URLs), a few plain headers. Cookies, the
Authorization header, query strings and form bodies never leave, and neither do the local
variables of the stack frames or breadcrumbs; the request id ties an event to the log.
"""

import sentry_sdk
from flask import Flask, g, has_request_context, request
from sentry_sdk.integrations.flask import FlaskIntegration

SAFE_HEADERS = frozenset(
    {"accept", "accept-language", "content-length", "content-type", "hx-request", "user-agent"}
)


def scrub(event: dict, hint: dict) -> dict:
    """Sentry's before_send: the event with its request reduced to what holds no secret."""
    for name in ("breadcrumbs", "user"):
        event.pop(name, None)
    if "request" in event:
        headers = event["request"].get("headers") or {}
        event["request"] = {
            "method": event["request"].get("method"),
            "headers": {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS},
        }
        if has_request_context():
            event["request"]["url"] = request.url_rule.rule if request.url_rule else None
    if has_request_context() and "request_id" in g:
        event.setdefault("tags", {})["request_id"] = g.request_id
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event


def init_app(app: Flask) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config["ENV_NAME"],
        integrations=[FlaskIntegration(transaction_style="url")],
        before_send=scrub,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        max_breadcrumbs=0,
    )
