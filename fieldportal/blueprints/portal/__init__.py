"""The customer portal: ``/portal/<company_slug>/…`` (and the fleet token URL ``/portal/t/<token>``).

Skeleton API for feature modules (every module in this package is imported automatically;
add ``quotes.py`` etc. with ``from . import bp``):

- ``bp`` has url_prefix ``/portal/<company_slug>``; views never receive ``company_slug``
  (it is consumed into ``g.company``) and ``url_for("portal.x")`` fills it in.
- Before each view: ``g.company`` (404 for an unknown slug; a branded 503 "portal
  unavailable" page while the company's portal is off); then, unless the endpoint is
  marked ``@public``, a signed-in portal principal of this company is required (else the
  sign-in page, or 404 when none exists): ``g.principal`` (a Contact or a
  FleetTokenViewer — both have company_id, customer_id, may(), all_sites, sites) and
  ``g.customer``. ``g.view_as`` is True in staff's read-only "view as customer" preview.
- ``access.py``: ``get_for_customer_or_404(Model, id)`` (lists are scoped by the services,
  through services/portal/site_scope.py), ``require_permission(PortalPermission.X)`` (404 without it),
  ``require_company_setting("show_quotes")`` (404 when the company hides it).
- ``tabs.py``: TABS, the tab navigation; a tab shows when its endpoint exists, the company
  allows it and the principal may use it.
"""

import importlib
import pkgutil

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask import session as cookie_session  # the package has a session.py feature module
from flask_login import current_user

from ...htmx import is_fragment_request, redirect_signed_out
from ...services import tenancy
from ...services.portal import page_cache, portal_auth

bp = Blueprint("portal", __name__, url_prefix="/portal/<company_slug>")

# Endpoints anyone may open (sign-in pages); everything else needs a portal principal.
PUBLIC_ENDPOINTS: set[str] = set()


def public(view):
    """Mark a portal view as reachable without signing in."""
    PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


@bp.url_value_preprocessor
def load_company(endpoint, values):
    slug = values.pop("company_slug", "")
    cached = page_cache.try_cached(endpoint, slug)
    if cached is not None:
        g.page_cache_hit = cached  # answered by require_portal_principal, reading nothing
        return
    g.company = tenancy.company_by_slug(slug)
    if g.company is None:
        abort(404)
    page_cache.learn_company(slug, g.company.id)


@bp.url_defaults
def add_company_slug(endpoint, values):
    if "company_slug" not in values and "company" in g and g.company is not None:
        values["company_slug"] = g.company.slug


def portal_principal():
    """The signed-in contact or fleet viewer of g.company — or, for staff of g.company in
    "view as customer", the contact they preview (g.view_as) — else None."""
    if not current_user.is_authenticated or current_user.company_id != g.company.id:
        return None
    if current_user.is_staff:
        from ..view_as import view_as_contact_for

        contact = view_as_contact_for(current_user)
        g.view_as = contact is not None
        return contact
    return current_user


@bp.before_request
def require_portal_principal():
    from .unavailable import portal_unavailable_response

    if "page_cache_hit" in g:
        return g.pop("page_cache_hit")
    if not g.company.portal_open:
        return portal_unavailable_response()
    g.view_as = False
    principal = portal_principal()
    if principal is not None:
        g.principal = principal
        g.customer = principal.customer
    if g.view_as and request.method not in ("GET", "HEAD"):
        abort(403, "This is a read-only preview: nothing can be changed here.")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if principal is not None and getattr(principal, "password_is_temporary", False):
        if request.endpoint not in ("portal.choose_password", "portal.sign_out"):
            return redirect(url_for("portal.choose_password"))
    if principal is None:
        if "portal.sign_in" not in current_app.view_functions:
            abort(404)
        if request.method == "GET" and not is_fragment_request():
            remember_return_path(request.full_path.rstrip("?"))
        return redirect_signed_out(url_for("portal.sign_in"))
    return None


RETURN_PATH_KEY = "portal_return_path"


def portal_path_or_empty(path: str | None) -> str:
    """``path`` when it is a page of this company's portal, else ""."""
    return portal_auth.portal_page_or_none(g.company, path) or ""


def remember_return_path(path: str | None) -> None:
    """Where to go after signing in: a page of this company's portal, else nothing. Kept in
    the (signed) session cookie, so it survives the trip through the sign-in email."""
    target = portal_path_or_empty(path)
    if target:
        cookie_session[RETURN_PATH_KEY] = target


def remembered_return_path() -> str | None:
    """The page a signed-out customer was sent away from, still to be reached."""
    return cookie_session.get(RETURN_PATH_KEY)


def forget_return_path() -> None:
    """The remembered page has been reached (or replaced by a link's own): drop it."""
    cookie_session.pop(RETURN_PATH_KEY, None)


def return_path_after_sign_in() -> str:
    """The remembered page (used once), else the dashboard."""
    return portal_auth.after_sign_in_path(g.company, cookie_session.pop(RETURN_PATH_KEY, None))


@bp.context_processor
def portal_navigation():
    from .tabs import visible_tabs

    principal = g.get("principal")
    return {"portal_tabs": visible_tabs(g.company, principal) if principal else []}


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
