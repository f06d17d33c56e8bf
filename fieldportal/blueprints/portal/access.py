"""Customer-scoped loading for portal views: another customer's or company's id is a 404."""

from functools import wraps

from flask import abort, g

from ...models import PortalPermission
from ...services.portal import site_scope


def get_for_customer_or_404(model, object_id, *options):
    """The object if it belongs to the signed-in customer and its principal sees it
    (services/portal/site_scope.py); otherwise 404, never 403 and never the object."""
    record = site_scope.customer_record(g.principal, model, object_id, *options)
    if record is None:
        abort(404)
    return record


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
