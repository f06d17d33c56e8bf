"""Customer-scoped loading for portal views: another customer's or company's id is a 404."""

from functools import wraps

from flask import abort, g

from ...extensions import db
from ...models import PortalPermission
from ...services.portal import site_scope


def customer_scope(query, model):
    """Limit a select() over ``model`` to the signed-in customer and the sites its
    principal sees (services/site_scope.py)."""
    return site_scope.customer_records(g.principal, model, query)


def get_for_customer_or_404(model, object_id, *options):
    """The object if it belongs to the signed-in customer and its principal sees it
    (services/site_scope.py); otherwise 404, never 403 and never the object."""
    obj = (
        db.session.get(model, object_id, options=options)
        if options
        else db.session.get(model, object_id)
    )
    if obj is None or obj.company_id != g.company.id or obj.customer_id != g.customer.id:
        abort(404)
    if site_scope.is_site_scoped(model) and not site_scope.visible(
        obj, site_scope.scoped_site_ids(g.principal)
    ):
        abort(404)
    return obj


def require_permission(permission: PortalPermission):
    """A view only for principals with this permission; others get 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not g.principal.may(permission):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_company_setting(setting: str):
    """A view only while the company shows this part of the portal (e.g. show_quotes)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not getattr(g.company, setting):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator
