"""Role rules and tenant-scoped loading for operator views."""

from functools import wraps

from flask import abort, g

from ...extensions import db
from ...models import StaffRole


def require_roles(*roles: StaffRole):
    """Only these roles may use the view; others get 404 (the page does not exist for them)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.staff.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_for_company_or_404(model, object_id, *options):
    """The object with this id if it belongs to the signed-in staff's company, else 404."""
    if not 0 < object_id < 2**31:  # PostgreSQL's INTEGER would raise on a larger id
        abort(404)
    obj = (
        db.session.get(model, object_id, options=options)
        if options
        else db.session.get(model, object_id)
    )
    if obj is None or obj.company_id != g.company.id:
        abort(404)
    return obj
