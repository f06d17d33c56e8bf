"""Who may see which portal tab, and customer-scoped loading."""

from functools import wraps

from flask import abort, g

from ...extensions import db
from ...models import PortalPermission

# A company can hide these features from its portal altogether.
COMPANY_SWITCHES = {
    PortalPermission.QUOTES: "show_quotes",
    PortalPermission.INVOICES: "show_invoices",
    PortalPermission.REPORTS: "show_reports",
}


def allowed(principal, permission: PortalPermission) -> bool:
    """The company shows the feature and the contact has the permission."""
    switch = COMPANY_SWITCHES.get(permission)
    company = principal.company
    if switch and not getattr(company, switch):
        return False
    return principal.may(permission)


def require_permission(permission: PortalPermission):
    """404 unless the signed-in customer may use this tab (the page does not exist)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not allowed(g.principal, permission):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_for_customer_or_404(model, object_id):
    """The object if it belongs to the signed-in customer of this company; else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.company_id != g.company.id or obj.customer_id != g.customer.id:
        abort(404)
    return obj
