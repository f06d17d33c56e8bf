"""Request-wide behaviour: security headers, error pages, template helpers."""

from flask import Flask, abort, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import formatting, transaction
from .htmx import add_vary_header, is_fragment_request
from .services.errors import RuleError

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)

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
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return add_vary_header(response)


def refuse_nul_bytes():
    """A NUL byte in any query or form value is a clear 400 (PostgreSQL cannot store it)."""
    values = [*request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description="The form contained a character that is not allowed (NUL).")


def render_error(status: int, message: str | None = None):
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, "Error"),
        "message": message,
    }
    template = "errors/_error.html" if is_fragment_request() else "errors/error.html"
    return render_template(template, **context), status


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    description = None if error.code in (404, 500) else error.description
    response = render_error(error.code, description)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return (*response, {"Allow": ", ".join(error.valid_methods)})
    return response


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
    from .extensions import db
    from .request_log import log_unhandled_error

    db.session.rollback()
    log_unhandled_error(error)
    return render_error(500)


def _configure_login(app: Flask) -> None:
    from .extensions import login_manager
    from .services.auth_sessions import load_principal

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # Sessions are server-side rows with their own limits; Flask-Login's IP/agent
    # fingerprinting would only sign people out when their phone changes network.
    login_manager.session_protection = None
    login_manager.user_loader(load_principal)


def init_app(app: Flask) -> None:
    formatting.init_app(app)
    _configure_login(app)
    app.before_request(refuse_nul_bytes)
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RuleError, handle_rule_error)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected_error)

    @app.template_global()
    def has_endpoint(endpoint: str) -> bool:
        """Whether a page exists, so templates link only to what works."""
        return endpoint in current_app.view_functions

    @app.template_filter()
    def reject_keys(mapping: dict, *keys: str) -> dict:
        return {key: value for key, value in mapping.items() if key not in keys}

    @app.context_processor
    def template_globals():
        return {"current_company": getattr(g, "company", None)}
