"""Blueprints by audience: auth (staff sign-in), operator (back office), portal, signup,
unsubscribe (reminder emails), webhooks, platform (the installation's own administration)."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from .auth import bp as auth_bp
    from .operator import bp as operator_bp
    from .platform import bp as platform_bp
    from .portal import bp as portal_bp
    from .portal.fleet_token import token_bp
    from .signup import bp as signup_bp
    from .system import bp as system_bp
    from .unsubscribe import bp as unsubscribe_bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(operator_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(token_bp)
    app.register_blueprint(system_bp)
    app.register_blueprint(signup_bp)
    app.register_blueprint(unsubscribe_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(platform_bp)
