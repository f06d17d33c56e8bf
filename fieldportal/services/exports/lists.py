"""What each operator list's CSV holds: its columns, and its rows read from the same
filtered, sorted statement as the page, without the page cut.

Statuses are written as stored (``in_progress``), so a file can be read back by a
program; an invoice's and a quote's status is the one its badge shows (overdue,
partially paid, expired). Money columns appear only where the list shows money.
"""

from ...csv_export import Column, Export, rows_of
from ...models import Company, Customer
from ...models.fleet import vehicle_label
from .. import audit_trail, customers
from ..billing import ageing, invoices, payment_list, quotes
from ..clock import company_today
from ..fleet import fleets
from ..fleet.fleets import FleetQuery, FleetRow
from ..work import jobs, requests


def _name(record) -> str | None:
    return record.name if record is not None else None


def customers_list(company: Company, query: customers.CustomerQuery) -> Export:
    """The customer list (search and kind), by name."""
    columns = [
        Column("ID", lambda c: c.id),
        Column("Name", lambda c: c.name),
        Column("Kind", lambda c: c.kind),
        Column("Email", lambda c: c.email),
        Column("Phone", lambda c: c.phone),
        Column("Billing address", lambda c: c.billing_address),
        Column("Billing terms", lambda c: c.billing_terms),
        Column("Interval (miles)", lambda c: c.interval_miles),
        Column("Interval (days)", lambda c: c.interval_days),
        Column("Portal on", lambda c: c.portal_enabled),
        Column("Notes", lambda c: c.notes),
        Column("Created", lambda c: c.created_at),
    ]
    statement = customers.customer_select(company.id, query)
    return Export("customers", columns, lambda: rows_of(statement))


def fleets_list(company: Company, query: FleetQuery, *, money: bool) -> Export:
    """The fleet accounts index (search, overdue filter, sort) with its figures."""
    columns = [
        Column("ID", lambda r: r.id),
        Column("Fleet", lambda r: r.name),
        Column("Active vehicles", lambda r: r.vehicles),
        Column("Overdue vehicles", lambda r: r.overdue),
        Column("Next job", lambda r: r.next_job_at),
    ]
    if money:
        columns += [
            Column("Invoiced this month", lambda r: r.mtd_cents, money=True),
            Column("Open A/R", lambda r: r.open_ar_cents, money=True),
        ]
    statement = fleets.fleet_select(company, query)
    return Export("fleets", columns, lambda: (FleetRow(*row) for row in rows_of(statement)))


def fleet_vehicles(company: Company, fleet: Customer) -> Export:
    """A fleet's active vehicles as its page lists them, each with its service status."""
    columns = [
        Column("ID", lambda v: v.vehicle.id),
        Column("Year", lambda v: v.vehicle.year),
        Column("Make", lambda v: v.vehicle.make),
        Column("Model", lambda v: v.vehicle.model),
        Column("Plate", lambda v: v.vehicle.plate),
        Column("VIN", lambda v: v.vehicle.vin),
        Column("Odometer", lambda v: v.vehicle.odometer),
        Column("Oil spec", lambda v: v.vehicle.oil_spec),
        Column("Last service", lambda v: v.vehicle.last_service_on),
        Column("Last service odometer", lambda v: v.vehicle.last_service_odometer),
        Column("Interval (miles)", lambda v: v.status.interval_miles),
        Column("Interval (days)", lambda v: v.status.interval_days),
        Column("Service status", lambda v: v.status.state),
        Column("Due at odometer", lambda v: v.status.due_odometer),
        Column("Due on", lambda v: v.status.due_date),
    ]
    vehicles = fleets.vehicles_with_status(company, fleet)
    return Export.of_items(f"fleet-{fleet.id}-vehicles", columns, vehicles)


def jobs_list(company: Company, query: jobs.JobQuery) -> Export:
    """The jobs list (status, dates, technician, customer, site), in its sort."""
    columns = [
        Column("Number", lambda j: j.number),
        Column("Title", lambda j: j.title),
        Column("Status", lambda j: j.status),
        Column("Customer", lambda j: j.customer),
        Column("Site", lambda j: j.site),
        Column("Vehicle", lambda j: vehicle_label(j.year, j.make, j.model, j.plate) or None),
        Column("Technician", lambda j: j.technician),
        Column("Window start", lambda j: j.window_start),
        Column("Window end", lambda j: j.window_end),
        Column("PO number", lambda j: j.po_number),
        Column("Completed", lambda j: j.completed_at),
        Column("Created", lambda j: j.created_at),
    ]
    statement = jobs.job_rows_select(company, query)
    return Export("jobs", columns, lambda: rows_of(statement))


def quotes_list(company: Company, query: quotes.QuoteQuery) -> Export:
    """The quote list (status filter, number order), each with the status it shows."""
    today = company_today(company)
    columns = [
        Column("Number", lambda q: q.number),
        Column("Title", lambda q: q.title),
        Column("Customer", lambda q: q.customer.name),
        Column("Status", lambda q: quotes.effective_status(q, today)),
        Column("Revision", lambda q: q.revision),
        Column("Valid until", lambda q: q.valid_until),
        Column("Subtotal", lambda q: q.subtotal_cents, money=True),
        Column("Tax", lambda q: q.tax_cents, money=True),
        Column("Total", lambda q: q.total_cents, money=True),
        Column("Sent", lambda q: q.sent_at),
        Column("Created", lambda q: q.created_at),
    ]
    statement = quotes.quote_select(company, query, today)
    return Export("quotes", columns, lambda: rows_of(statement))


def invoices_list(company: Company, query: invoices.InvoiceQuery) -> Export:
    """The invoice list (status filter, number order), each with the badge it shows."""
    today = company_today(company)
    columns = [
        Column("Number", lambda i: i.number),
        Column("Customer", lambda i: i.customer.name),
        Column("Status", lambda i: invoices.shown_status(i, today)),
        Column("Issued", lambda i: i.issued_on),
        Column("Due", lambda i: i.due_on),
        Column("Terms", lambda i: i.billing_terms),
        Column("PO number", lambda i: i.po_number),
        Column("Subtotal", lambda i: i.subtotal_cents, money=True),
        Column("Tax", lambda i: i.tax_cents, money=True),
        Column("Total", lambda i: i.total_cents, money=True),
        Column("Paid", lambda i: i.amount_paid_cents, money=True),
        Column("Balance", lambda i: i.balance_cents, money=True),
        Column("Sent", lambda i: i.sent_at),
        Column("Paid in full", lambda i: i.paid_at),
        Column("Voided", lambda i: i.voided_at),
        Column("Void reason", lambda i: i.void_reason),
    ]
    statement = invoices.invoice_select(company, query, today)
    return Export("invoices", columns, lambda: rows_of(statement))


def payments_list(company: Company, query: payment_list.PaymentQuery) -> Export:
    """The payments received (method filter), in the list's order, with the invoice and
    customer each paid."""
    columns = [
        Column("ID", lambda p: p.id),
        Column("Received", lambda p: p.received_at),
        Column("Invoice", lambda p: p.invoice.number),
        Column("Customer", lambda p: p.invoice.customer.name),
        Column("Method", lambda p: p.method),
        Column("Reference", lambda p: p.reference),
        Column("Amount", lambda p: p.amount_cents, money=True),
        Column("Refunded", lambda p: p.refunded_cents, money=True),
        Column("Recorded by", lambda p: _name(p.recorded_by)),
    ]
    statement = payment_list.payment_select(company, query)
    return Export("payments", columns, lambda: rows_of(statement))


def requests_inbox(company: Company, **filters) -> Export:
    """The request inbox (``requests.inbox_select``'s filters), newest first."""
    columns = [
        Column("ID", lambda r: r.id),
        Column("Received", lambda r: r.created_at),
        Column("Status", lambda r: r.status),
        Column("Urgency", lambda r: r.urgency),
        Column("Customer", lambda r: r.customer.name),
        Column("Contact", lambda r: _name(r.contact)),
        Column("Site", lambda r: _name(r.site)),
        Column("Vehicle", lambda r: r.vehicle.label if r.vehicle else None),
        Column("Asset", lambda r: r.asset.asset_code if r.asset else None),
        Column("Job type", lambda r: _name(r.job_type)),
        Column("Preferred date", lambda r: r.preferred_date),
        Column("Description", lambda r: r.description),
        Column("Decided", lambda r: r.decided_at),
        Column("Decided by", lambda r: _name(r.decided_by)),
        Column("Decline reason", lambda r: r.decline_reason),
        Column("Job number", lambda r: r.job.number if r.job else None),
    ]
    statement = requests.inbox_select(company.id, **filters).options(*requests.export_options())
    return Export("requests", columns, lambda: rows_of(statement))


def ar_ageing(company: Company, query: ageing.AgeingQuery) -> Export:
    """The A/R ageing report: each customer owing money with its balance by bucket, in
    the report's order, then the company's totals on a last line with no customer ID."""
    today = company_today(company)
    columns = [
        Column("Customer ID", lambda r: r.customer_id),
        Column("Customer", lambda r: r.customer_name),
        *(
            Column(bucket.label, lambda r, i=index: r.bucket_cents[i], money=True)
            for index, bucket in enumerate(ageing.BUCKETS)
        ),
        Column("Total", lambda r: r.total_cents, money=True),
    ]
    statement = ageing.ageing_select(company, query, today)
    company_id = company.id  # the file is written after the view's session ended

    def rows():
        yield from (ageing.AgeingRow.of(row) for row in rows_of(statement))
        yield ageing.totals(company_id, today)

    return Export("ar-ageing", columns, rows)


def audit_log(company: Company, query: audit_trail.AuditQuery) -> Export:
    """The audit log (kind, person and date filters), newest first, one sentence a row."""
    columns = [
        Column("When", lambda e: e.at),
        Column("Who", lambda e: e.who),
        Column("Kind", lambda e: e.kind),
        Column("What", lambda e: e.sentence),
        Column("Record", lambda e: e.record_label),
        Column("From", lambda e: e.ip_address),
    ]
    return Export("audit-log", columns, audit_trail.every_entry(company, query))
