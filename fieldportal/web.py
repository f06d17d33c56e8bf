"""Request-wide behaviour: security headers, error pages, template helpers."""

import time

from flask import Flask, abort, current_app, g, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import formatting, transaction
from .config import MEGABYTE
from .htmx import add_vary_header, is_fragment_request, retarget
from .services.auth.throttle import too_many_attempts
from .services.errors import RuleError
from .services.settings import logo_size

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Sent with every response, static files included (static_files.py adds them there).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Already done",
    413: "Too large",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Unavailable",
}


def security_headers(response):
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return add_vary_header(response)


def refuse_nul_bytes():
    """A NUL byte in any query or form value is a clear 400 (PostgreSQL cannot store it)."""
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description="The form contained a character that is not allowed (NUL).")


def enforce_body_limit() -> None:
    """Every route answers 413 to a body over MAX_CONTENT_LENGTH, even a view that never
    reads its body. Werkzeug applies the same limit to multipart forms as it parses them
    (MAX_FORM_MEMORY_SIZE, MAX_FORM_PARTS in config.py)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None:
        if request.content_length > limit:
            abort(413)
    elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # A chunked body announces no length, so read it now. Werkzeug stops at its limit
        # without telling a longer body from one of exactly the limit: let it read one
        # byte past ours. What was read is kept for the form parser and the view.
        request.max_content_length = limit + 1
        if len(request.get_data()) > limit:
            abort(413)


def body_limit_mb() -> int:
    """The request body limit in MB, as pages and messages state it."""
    return current_app.config["MAX_CONTENT_LENGTH"] // MEGABYTE


def body_limit_message() -> str:
    return (
        f"What you sent is larger than {body_limit_mb()} MB, the most we accept at once. "
        "Send fewer or smaller files (photos taken on a phone can be made smaller "
        "first) and try again."
    )


def error_layout() -> str:
    """Errors keep the look of where they happen: the company's own look inside its
    portal, the operator app's for signed-in staff, the plain sign-in look elsewhere."""
    if request.blueprint == "portal" and g.get("company") is not None:
        return "layouts/portal.html"
    if "staff" in g:
        return "layouts/operator.html"
    if request.blueprint == "platform":
        return "layouts/platform.html"
    return "layouts/plain.html"


def render_error(status: int, message: str | None = None):
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, "Error"),
        "message": message,
        "layout": error_layout(),
    }
    template = "errors/_error.html" if is_fragment_request() else "errors/error.html"
    return render_template(template, **context), status


def handle_too_large(error: RequestEntityTooLarge):
    body, status = render_error(413, body_limit_message())
    if not is_fragment_request():
        return body, status
    # The form the person filled in stays as it is; the message shows above it.
    return retarget(current_app.make_response((body, status)), "#flash")


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    description = None if error.code in (404, 500) else error.description
    response = render_error(error.code, description)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return (*response, {"Allow": ", ".join(error.valid_methods)})
    return response


def handle_rate_limited(error: RateLimitExceeded):
    """A throttled request: how long to wait, in words and in Retry-After, rather than the
    limit it crossed ("30 per 10 minute")."""
    from .extensions import limiter

    current = limiter.current_limit
    if current is not None:
        seconds = max(1, current.reset_at - int(time.time()))
    else:
        seconds = error.limit.limit.get_expiry()
    body, status = render_error(429, too_many_attempts(seconds))
    return body, status, {"Retry-After": str(seconds)}


def handle_csrf_error(error: CSRFError):
    return render_error(
        400, "Your form expired or was sent from elsewhere. Reload the page and try again."
    )


def handle_rule_error(error: RuleError):
    """A rule error no view caught: its changes rolled back, its message shown."""
    transaction.discard()
    message = None if error.status == 404 else error.message
    return render_error(error.status, message or None)


def handle_unexpected_error(error: Exception):
    from .request_log import log_unhandled_error

    transaction.discard()
    log_unhandled_error(error)
    return render_error(500)


def _configure_login(app: Flask) -> None:
    from .extensions import login_manager
    from .services.auth.auth_sessions import load_principal

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # Sessions are server-side rows with their own limits; Flask-Login's IP/agent
    # fingerprinting would only sign people out when their phone changes network.
    login_manager.session_protection = None
    login_manager.user_loader(load_principal)


def init_app(app: Flask) -> None:
    formatting.init_app(app)
    _configure_login(app)
    # First of all hooks, so that nothing reads or answers a body over the limit.
    app.before_request_funcs.setdefault(None, []).insert(0, enforce_body_limit)
    app.before_request(refuse_nul_bytes)
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RequestEntityTooLarge, handle_too_large)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RuleError, handle_rule_error)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected_error)

    app.add_template_global(body_limit_mb)
    app.add_template_global(logo_size)

    @app.template_filter()
    def reject_keys(mapping: dict, *keys: str) -> dict:
        return {key: value for key, value in mapping.items() if key not in keys}

    @app.context_processor
    def template_globals():
        return {"current_company": getattr(g, "company", None)}
