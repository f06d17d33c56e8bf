"""The portal's tabs: shown only where the company and the principal's permissions allow."""

from dataclasses import dataclass

from flask import current_app, g

from ...models import Company, PortalPermission


@dataclass(frozen=True)
class Tab:
    endpoint: str
    label: str
    permission: PortalPermission | None = None
    company_setting: str | None = None


TABS = [
    Tab("portal.dashboard", "Dashboard"),
    Tab("portal.jobs", "Jobs", PortalPermission.JOBS),
    Tab("portal.history", "History", PortalPermission.HISTORY),
    Tab("portal.vehicles", "Vehicles", PortalPermission.VEHICLES),
    Tab("portal.assets", "Assets", PortalPermission.ASSETS),
    Tab("portal.quotes", "Quotes", PortalPermission.QUOTES, "show_quotes"),
    Tab("portal.invoices", "Invoices", PortalPermission.INVOICES, "show_invoices"),
    Tab("portal.reports", "Reports", PortalPermission.REPORTS, "show_reports"),
    Tab("portal.requests", "Requests", PortalPermission.REQUESTS),
    Tab("portal.account", "Account"),
]


def tab_allowed(tab: Tab, company: Company, principal) -> bool:
    if tab.endpoint not in current_app.view_functions:
        return False
    if tab.company_setting and not getattr(company, tab.company_setting):
        return False
    return tab.permission is None or principal.may(tab.permission)


def visible_tabs(company: Company, principal) -> list[Tab]:
    return [tab for tab in TABS if tab_allowed(tab, company, principal)]


def may_see_tab(endpoint: str) -> bool:
    """Whether the signed-in principal sees this tab (and so its figures elsewhere)."""
    tab = next(tab for tab in TABS if tab.endpoint == endpoint)
    return tab_allowed(tab, g.company, g.principal)
