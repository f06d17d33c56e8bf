"""The customer portal: /portal/<company-slug>/…, one module per tab.

Minimal skeleton written on the billing branch because the portal branch did not exist
yet; the portal branch's own skeleton (sign-in, dashboard, other tabs) supersedes it on
merge. Tab modules here rely only on: ``bp``, ``g.company``, ``g.customer``,
``g.contact`` and ``access.require_permission`` / ``access.get_for_customer_or_404``.
"""

from flask import Blueprint, abort, g
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Company

bp = Blueprint("portal", __name__, url_prefix="/portal/<company_slug>")


@bp.url_value_preprocessor
def pull_company(endpoint, values):
    g.portal_slug = values.pop("company_slug", None) if values else None


@bp.url_defaults
def add_company(endpoint, values):
    if "company_slug" not in values and getattr(g, "company", None) is not None:
        values["company_slug"] = g.company.slug


@bp.before_request
def require_customer():
    """A signed-in contact (or fleet token) of this company; anyone else gets 404."""
    company = db.session.scalar(select(Company).where(Company.slug == g.portal_slug))
    if company is None:
        abort(404)
    if not company.portal_enabled:
        abort(503, "The customer portal is unavailable at the moment.")
    if (
        not current_user.is_authenticated
        or current_user.is_staff
        or current_user.company_id != company.id
    ):
        abort(404)
    g.company = company
    g.principal = current_user
    g.contact = current_user if current_user.is_contact else None
    g.customer = current_user.customer


@bp.context_processor
def portal_navigation():
    from .navigation import tabs_for

    principal = getattr(g, "principal", None)
    return {"portal_tabs": tabs_for(principal) if principal is not None else []}


def _import_feature_modules() -> None:
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_feature_modules()
