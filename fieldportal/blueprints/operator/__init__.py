"""The operator app: the back office staff use all day. One module per feature."""

from flask import Blueprint, g, request, url_for
from flask_login import current_user

from ...htmx import current_path, redirect_signed_out

bp = Blueprint("operator", __name__)


@bp.url_value_preprocessor
def load_staff(endpoint, values):
    """g.staff and g.company (theirs) for a signed-in staff user. Set before any hook runs,
    so an error answered before the view (a body over the limit, an expired form) still
    shows the operator app around it."""
    if current_user.is_authenticated and current_user.is_staff:
        g.company = current_user.company
        g.staff = current_user


@bp.before_request
def require_staff():
    """Every operator page needs a signed-in staff user."""
    if "staff" not in g:
        return redirect_signed_out(url_for("auth.login", next=_return_path()))


def _return_path() -> str | None:
    """Where signing in leads back to: this page, or for a form post the page the form was
    on (the post's own URL would answer 405 to a GET). The sign-in view keeps only our own
    paths, whatever this returns."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    return current_path()


@bp.context_processor
def navigation():
    from .navigation import nav_items_for

    return {"operator_nav": nav_items_for(g.staff) if "staff" in g else []}


def _import_feature_modules() -> None:
    """Each module of this package is one feature whose routes attach to ``bp``."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_feature_modules()
