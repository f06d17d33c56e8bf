"""One structured (JSON) log line per request, with no tokens in it.

The path logged is the route's pattern (``/portal/t/<token>``), never the concrete URL,
so secrets carried in URLs or query strings cannot reach the logs.
"""

import json
import logging
import time

from flask import Flask, g, request

logger = logging.getLogger("fieldportal.requests")


def _start_timer():
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.pop("request_started", None)
    if started is None:
        return response
    record = {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else "<unmatched>",
        "endpoint": request.endpoint,
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "htmx": bool(request.headers.get("HX-Request")),
    }
    logger.info(json.dumps(record))
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_log_request)
