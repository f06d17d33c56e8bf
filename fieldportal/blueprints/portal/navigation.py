"""Portal tabs: a tab shows when its page exists and the customer may use it."""

from flask import current_app

from ...models import PortalPermission
from .access import allowed

# (endpoint, label, permission)
PORTAL_TABS = [
    ("portal.quotes", "Quotes", PortalPermission.QUOTES),
    ("portal.invoices", "Invoices", PortalPermission.INVOICES),
    ("portal.reports", "Reports", PortalPermission.REPORTS),
]


def tabs_for(principal) -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label, permission in PORTAL_TABS
        if endpoint in current_app.view_functions and allowed(principal, permission)
    ]
