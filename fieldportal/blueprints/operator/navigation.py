"""The operator navigation: a link appears only when its page exists and the signed-in
staff member may open it (the capability its view requires, see access.require)."""

from ...models import StaffUser
from .access import may_open

# (endpoint, label)
NAV_ITEMS = [
    ("operator.home", "Home"),
    ("operator.my_day_page", "My day"),
    ("operator.fleet_list", "Fleet accounts"),
    ("operator.customer_list", "Customers"),
    ("operator.job_list", "Jobs"),
    ("operator.schedule_board", "Schedule"),
    ("operator.inbox", "Requests"),
    ("operator.quote_list", "Quotes"),
    ("operator.invoice_list", "Invoices"),
    ("operator.report_list", "Reports"),
    ("operator.outbox_list", "Outbox"),
    ("operator.import_page", "Import"),
    ("operator.settings", "Settings"),
    ("operator.audit_log", "Audit log"),
]


def nav_items_for(staff: StaffUser) -> list[tuple[str, str]]:
    return [(endpoint, label) for endpoint, label in NAV_ITEMS if may_open(staff, endpoint)]
