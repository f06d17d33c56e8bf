"""The operator navigation: a link appears only when its page exists and the role may see it."""

from flask import current_app

from ...models import StaffRole

EVERYONE = (StaffRole.OWNER, StaffRole.DISPATCHER, StaffRole.TECHNICIAN)
OFFICE = (StaffRole.OWNER, StaffRole.DISPATCHER)

# (endpoint, label, roles allowed)
NAV_ITEMS = [
    ("operator.home", "Home", EVERYONE),
    ("operator.fleets", "Fleet accounts", OFFICE),
    ("operator.customers", "Customers", OFFICE),
    ("operator.jobs", "Jobs", EVERYONE),
    ("operator.inbox", "Requests", OFFICE),
    ("operator.quotes", "Quotes", OFFICE),
    ("operator.invoices", "Invoices", OFFICE),
    ("operator.reports", "Reports", EVERYONE),
    ("operator.outbox", "Outbox", OFFICE),
    ("operator.settings", "Settings", (StaffRole.OWNER,)),
]


def nav_items_for(role: StaffRole) -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label, roles in NAV_ITEMS
        if role in roles and endpoint in current_app.view_functions
    ]
