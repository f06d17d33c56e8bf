"""A stand-in for the portal skeleton (branch ``portal``) while it is not merged: the same
API its brief promises — blueprint ``portal`` at /portal/<company_slug>, g.company,
g.customer, g.principal, 404 for anyone not signed in to that company's portal — so the
request views can be tested now. Unused as soon as the real blueprint exists."""

import sys
from pathlib import Path

from flask import Blueprint, abort, g
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy import select

from fieldportal import create_app
from fieldportal.extensions import db
from fieldportal.models import Company

STUB_TEMPLATES = Path(__file__).parent / "stub_templates"


def _stub_blueprint() -> Blueprint:
    bp = Blueprint("portal", __name__, url_prefix="/portal/<company_slug>")

    @bp.url_value_preprocessor
    def load_company(endpoint, values):
        slug = values.pop("company_slug")
        g.company = db.session.scalar(select(Company).where(Company.slug == slug))
        if g.company is None:
            abort(404)

    @bp.url_defaults
    def add_company(endpoint, values):
        if "company_slug" not in values and "company" in g:
            values["company_slug"] = g.company.slug

    @bp.before_request
    def require_portal_principal():
        if not current_user.is_authenticated or current_user.is_staff:
            abort(404)
        if current_user.company_id != g.company.id:
            abort(404)
        g.principal = current_user
        g.customer = current_user.customer

    return bp


def app_with_stub_portal(config: dict):
    """A fresh app whose portal blueprint is the stand-in plus the real requests module."""
    import fieldportal.blueprints.portal as portal_package

    portal_package.bp = _stub_blueprint()
    sys.modules.pop("fieldportal.blueprints.portal.requests", None)
    import fieldportal.blueprints.portal.requests  # noqa: F401  (attaches the routes)

    app = create_app(config)
    app.register_blueprint(portal_package.bp)
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(str(STUB_TEMPLATES))])
    return app
