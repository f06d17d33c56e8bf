"""Who may open a view, and tenant-scoped loading, for operator views."""

from functools import wraps

from flask import abort, current_app, g

from ...models import Capability, StaffUser
from ...services.tenancy import company_record


def require(capability: Capability):
    """Only staff with this capability may use the view; others get 404 (the page does not
    exist for them). A view without it is open to every signed-in staff member."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not g.staff.can(capability):
                abort(404)
            return view(*args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


def may_open(staff: StaffUser, endpoint: str) -> bool:
    """Whether the view behind this endpoint exists and ``staff`` may open it."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    capability = getattr(view, "required_capability", None)
    return capability is None or staff.can(capability)


def get_for_company_or_404(model, object_id, *options):
    """The object with this id if it belongs to the signed-in staff's company, else 404."""
    record = company_record(g.company.id, model, object_id, *options)
    if record is None:
        abort(404)
    return record
