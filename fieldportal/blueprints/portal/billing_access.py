"""Helpers the billing tabs share: who may act (pay, answer), and site scoping."""

from flask import g

from ...services.portal.site_scope import scoped_site_ids


def acting_contact():
    """The contact who may answer quotes and pay: None for a fleet token (read-only) and
    in staff's read-only "view as customer" preview."""
    principal = g.principal
    if not getattr(principal, "is_contact", False) or g.get("view_as"):
        return None
    return principal


def site_ids():
    """None when the principal sees every site, else the ids of its sites."""
    return scoped_site_ids(g.principal)
