"""fieldportal: the operator app and customer portal of a field-service company."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import load_config
from .extensions import compress, csrf, db, htmx_ext, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder="../static",
        static_url_path="/static",
    )
    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.from_mapping(config)

    from . import (
        database,
        error_reporting,
        request_log,
        static_files,
        task_queue,
        transaction,
        web,
    )
    from .services.portal import page_cache

    database.init_app(app)
    db.init_app(app)
    transaction.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx_ext.init_app(app)
    limiter.init_app(app)
    page_cache.init_app(app)
    compress.init_app(app)
    web.init_app(app)
    static_files.init_app(app)
    request_log.init_app(app)
    error_reporting.init_app(app)
    task_queue.init_app(app)

    from . import cli
    from .blueprints import register_blueprints

    register_blueprints(app)
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Outermost, so that static files (WhiteNoise) and the app both see the client's
    scheme, host and address."""
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=app.config["PROXY_COUNT"],
            x_proto=app.config["PROXY_COUNT"],
            x_host=app.config["PROXY_COUNT"],
        )
