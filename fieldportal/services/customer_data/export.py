"""Everything held about one customer, as one zip a person can read and a program can load.

``customer.json``   the customer, its contacts (never a password, PIN or token hash) and sites
``*.csv``           one file per kind of record: contacts, sites, vehicles, assets, jobs,
                    service requests, quotes, invoices, payments, reports, emails sent to
                    the customer's addresses, and the customer's audit trail
``invoices/``, ``quotes/``, ``reports/``   the PDFs the customer was (or can be) sent:
                    every invoice and quote past draft, every approved report
``photos/``         the photos attached to its service requests

CSV cells follow the export rule of every list (csv_export: formulas inert, money as
decimals, times in the company's zone). The zip is written to a spooled temporary file, so
a customer with years of history does not sit in memory whole.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ... import csv_export
from ...csv_export import Column, Export
from ...extensions import db
from ...models import (
    AuditEvent,
    Company,
    Contact,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    OutboxEmail,
    Payment,
    Quote,
    QuoteStatus,
    Report,
    ReportStatus,
    RequestPhoto,
    ServiceRequest,
    Site,
    StaffUser,
    Vehicle,
)
from ...models.asset import Asset
from .. import audit
from ..billing import documents
from ..clock import company_today, company_zone
from ..work import request_photos

SPOOL_BYTES = 16 * 1024 * 1024  # kept in memory up to this, then on disk
FORMAT = "fieldportal customer data 1"


@dataclass(frozen=True)
class Archive:
    """The zip (a file positioned at its start), its download name and what it holds."""

    file: object
    filename: str
    counts: dict[str, int]


def _name(record) -> str | None:
    return record.name if record is not None else None


def customer_addresses(customer: Customer, contacts: list[Contact]) -> set[str]:
    """The email addresses held for the customer and its contacts, lower-cased."""
    found = {customer.email, *(contact.email for contact in contacts)}
    return {address.lower() for address in found if address}


def _rows(statement) -> list:
    return list(db.session.scalars(statement).unique())


@dataclass
class _Held:
    contacts: list[Contact]
    sites: list[Site]
    vehicles: list[Vehicle]
    assets: list[Asset]
    jobs: list[Job]
    requests: list[ServiceRequest]
    quotes: list[Quote]
    invoices: list[Invoice]
    reports: list[Report]
    emails: list[OutboxEmail]
    events: list[AuditEvent]


def _held(customer: Customer) -> _Held:
    """Every record of the customer, loaded with what its files show."""
    of_customer = customer.id
    contacts = _rows(
        select(Contact)
        .where(Contact.customer_id == of_customer)
        .options(selectinload(Contact.sites))
        .order_by(Contact.id)
    )
    addresses = customer_addresses(customer, contacts)
    return _Held(
        contacts=contacts,
        sites=_rows(select(Site).where(Site.customer_id == of_customer).order_by(Site.id)),
        vehicles=_rows(
            select(Vehicle).where(Vehicle.customer_id == of_customer).order_by(Vehicle.id)
        ),
        assets=_rows(select(Asset).where(Asset.customer_id == of_customer).order_by(Asset.id)),
        jobs=_rows(
            select(Job)
            .where(Job.customer_id == of_customer)
            .options(
                joinedload(Job.site),
                joinedload(Job.vehicle),
                joinedload(Job.asset),
                joinedload(Job.technician),
            )
            .order_by(Job.number)
        ),
        requests=_rows(
            select(ServiceRequest)
            .where(ServiceRequest.customer_id == of_customer)
            .options(
                joinedload(ServiceRequest.contact),
                joinedload(ServiceRequest.job),
                selectinload(ServiceRequest.photos),
            )
            .order_by(ServiceRequest.id)
        ),
        quotes=_rows(
            select(Quote)
            .where(Quote.customer_id == of_customer)
            .options(
                joinedload(Quote.customer),
                selectinload(Quote.lines),
                selectinload(Quote.decisions),
            )
            .order_by(Quote.number)
        ),
        invoices=_rows(
            select(Invoice)
            .where(Invoice.customer_id == of_customer)
            .options(
                joinedload(Invoice.customer),
                selectinload(Invoice.lines),
                selectinload(Invoice.payments),
            )
            .order_by(Invoice.number)
        ),
        reports=_rows(
            select(Report)
            .where(Report.customer_id == of_customer)
            .options(
                joinedload(Report.customer),
                joinedload(Report.job),
                joinedload(Report.site),
                joinedload(Report.vehicle),
                joinedload(Report.asset),
                joinedload(Report.approved_by),
            )
            .order_by(Report.number)
        ),
        emails=_rows(
            select(OutboxEmail)
            .where(
                OutboxEmail.company_id == customer.company_id,
                func.lower(OutboxEmail.to_address).in_(addresses or {""}),
            )
            .order_by(OutboxEmail.id)
        ),
        events=_rows(
            select(AuditEvent)
            .where(AuditEvent.customer_id == of_customer)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ),
    )


def _sheets(held: _Held) -> dict[str, Export]:
    """The CSV files: name → an export of the records in hand."""
    payments = [(invoice, p) for invoice in held.invoices for p in invoice.payments]
    sheets = {
        "contacts": (
            [
                Column("ID", lambda c: c.id),
                Column("Name", lambda c: c.name),
                Column("Email", lambda c: c.email),
                Column("Phone", lambda c: c.phone),
                Column("Admin", lambda c: c.is_admin),
                Column("Permissions", lambda c: " ".join(c.permissions or [])),
                Column("All sites", lambda c: c.all_sites),
                Column("Sites", lambda c: " ".join(str(s.id) for s in c.sites)),
                Column("Portal access", lambda c: c.portal_access),
                Column("Invited", lambda c: c.invited_at),
                Column("Last sign-in", lambda c: c.last_login_at),
                Column("Removed", lambda c: c.removed_at),
                Column("Created", lambda c: c.created_at),
            ],
            held.contacts,
        ),
        "sites": (
            [
                Column("ID", lambda s: s.id),
                Column("Name", lambda s: s.name),
                Column("Address", lambda s: s.one_line_address),
                Column("Country", lambda s: s.country),
            ],
            held.sites,
        ),
        "vehicles": (
            [
                Column("ID", lambda v: v.id),
                Column("Year", lambda v: v.year),
                Column("Make", lambda v: v.make),
                Column("Model", lambda v: v.model),
                Column("Plate", lambda v: v.plate),
                Column("VIN", lambda v: v.vin),
                Column("Odometer", lambda v: v.odometer),
                Column("Last service", lambda v: v.last_service_on),
                Column("Active", lambda v: v.active),
            ],
            held.vehicles,
        ),
        "assets": (
            [
                Column("ID", lambda a: a.id),
                Column("Asset ID", lambda a: a.asset_code),
                Column("Type", lambda a: a.asset_type),
                Column("Model number", lambda a: a.model_number),
                Column("Serial number", lambda a: a.serial_number),
                Column("Your reference", lambda a: a.customer_ref),
                Column("Description", lambda a: a.description),
                Column("Active", lambda a: a.active),
            ],
            held.assets,
        ),
        "jobs": (
            [
                Column("Number", lambda j: j.number),
                Column("Title", lambda j: j.title),
                Column("Status", lambda j: j.status),
                Column("Site", lambda j: _name(j.site)),
                Column("Vehicle", lambda j: j.vehicle.label if j.vehicle else None),
                Column("Asset", lambda j: j.asset.asset_code if j.asset else None),
                Column("Technician", lambda j: _name(j.technician)),
                Column("Window start", lambda j: j.window_start),
                Column("Window end", lambda j: j.window_end),
                Column("Description", lambda j: j.description),
                Column("Notes for the customer", lambda j: j.customer_notes),
                Column("Services performed", lambda j: j.services_performed),
                Column("Odometer", lambda j: j.odometer_at_service),
                Column("PO number", lambda j: j.po_number),
                Column("Completed", lambda j: j.completed_at),
                Column("Created", lambda j: j.created_at),
            ],
            held.jobs,
        ),
        "service-requests": (
            [
                Column("ID", lambda r: r.id),
                Column("Received", lambda r: r.created_at),
                Column("Contact", lambda r: _name(r.contact)),
                Column("Status", lambda r: r.status),
                Column("Urgency", lambda r: r.urgency),
                Column("Preferred date", lambda r: r.preferred_date),
                Column("Description", lambda r: r.description),
                Column("Decline reason", lambda r: r.decline_reason),
                Column("Job number", lambda r: r.job.number if r.job else None),
                Column("Photos", lambda r: len(r.photos)),
            ],
            held.requests,
        ),
        "quotes": (
            [
                Column("Number", lambda q: q.number),
                Column("Title", lambda q: q.title),
                Column("Status", lambda q: q.status),
                Column("Revision", lambda q: q.revision),
                Column("Valid until", lambda q: q.valid_until),
                Column("Total", lambda q: q.total_cents, money=True),
                Column("Sent", lambda q: q.sent_at),
                Column(
                    "Decisions",
                    lambda q: "; ".join(
                        f"{d.decision.value} {d.decided_at.date().isoformat()}" for d in q.decisions
                    ),
                ),
            ],
            held.quotes,
        ),
        "invoices": (
            [
                Column("Number", lambda i: i.number),
                Column("Status", lambda i: i.status),
                Column("Issued", lambda i: i.issued_on),
                Column("Due", lambda i: i.due_on),
                Column("PO number", lambda i: i.po_number),
                Column("Subtotal", lambda i: i.subtotal_cents, money=True),
                Column("Tax", lambda i: i.tax_cents, money=True),
                Column("Total", lambda i: i.total_cents, money=True),
                Column("Paid", lambda i: i.amount_paid_cents, money=True),
                Column("Balance", lambda i: i.balance_cents, money=True),
                Column("Voided", lambda i: i.voided_at),
            ],
            held.invoices,
        ),
        "payments": (
            [
                Column("ID", lambda ip: ip[1].id),
                Column("Invoice", lambda ip: ip[0].number),
                Column("Received", lambda ip: ip[1].received_at),
                Column("Method", lambda ip: ip[1].method),
                Column("Reference", lambda ip: ip[1].reference),
                Column("Amount", lambda ip: ip[1].amount_cents, money=True),
                Column("Refunded", lambda ip: ip[1].refunded_cents, money=True),
            ],
            payments,
        ),
        "reports": (
            [
                Column("Number", lambda r: r.number),
                Column("Kind", lambda r: r.kind),
                Column("Title", lambda r: r.title),
                Column("Status", lambda r: r.status),
                Column("Body", lambda r: r.body),
                Column("Approved", lambda r: r.approved_at),
            ],
            held.reports,
        ),
        "emails": (
            [
                Column("ID", lambda e: e.id),
                Column("Queued", lambda e: e.created_at),
                Column("To", lambda e: e.to_address),
                Column("Subject", lambda e: e.subject),
                Column("Status", lambda e: e.status),
                Column("Sent", lambda e: e.sent_at),
                Column("Text", lambda e: e.text_for_staff),
            ],
            held.emails,
        ),
        "audit": (
            [
                Column("When", lambda e: e.created_at),
                Column("Action", lambda e: e.action),
                Column("Summary", lambda e: e.summary),
                Column(
                    "Record", lambda e: f"{e.object_type} {e.object_id}" if e.object_type else None
                ),
                Column("By staff", lambda e: e.staff_user_id),
                Column("By contact", lambda e: e.contact_id),
            ],
            held.events,
        ),
    }
    return {
        name: Export.of_items(name, columns, items) for name, (columns, items) in sheets.items()
    }


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _profile(customer: Customer, company: Company, held: _Held, today: date) -> dict:
    customer_fields = (
        "id", "kind", "external_ref", "name", "email", "phone", "billing_address",
        "billing_terms", "interval_miles", "interval_days", "notes", "portal_enabled",
        "archived_at", "created_at",
    )  # fmt: skip
    contact_fields = (
        "id", "name", "email", "phone", "is_admin", "permissions", "all_sites",
        "portal_access", "invited_at", "last_login_at", "removed_at", "created_at",
    )  # fmt: skip
    site_fields = ("id", "name", "address_line1", "address_line2", "city", "region")
    site_fields += ("postal_code", "country")
    return {
        "format": FORMAT,
        "company": company.name,
        "exported_on": today.isoformat(),
        "customer": {name: _value(getattr(customer, name)) for name in customer_fields},
        "contacts": [
            {name: _value(getattr(contact, name)) for name in contact_fields}
            | {"site_ids": [site.id for site in contact.sites]}
            for contact in held.contacts
        ],
        "sites": [
            {name: _value(getattr(site, name)) for name in site_fields} for site in held.sites
        ],
    }


def _documents(held: _Held, today: date):
    """(path in the zip, PDF bytes) of what the customer was or can be sent."""
    for invoice in held.invoices:
        if invoice.status != InvoiceStatus.DRAFT:
            yield f"invoices/invoice-{invoice.number}.pdf", documents.invoice_pdf(invoice).content
    for quote in held.quotes:
        if quote.status != QuoteStatus.DRAFT:
            yield f"quotes/quote-{quote.number}.pdf", documents.quote_pdf(quote, today).content
    for report in held.reports:
        if report.status == ReportStatus.APPROVED:
            yield f"reports/report-{report.number}.pdf", documents.report_pdf(report).content


def _photos(held: _Held):
    folder = request_photos.photo_folder()
    for service_request in held.requests:
        for photo in service_request.photos:
            path = folder / photo.filename
            if path.is_file():
                yield f"photos/request-{service_request.id}-{photo.filename}", path.read_bytes()


README = """Everything {company} holds about {customer}, exported on {day}.

customer.json  the customer, its contacts and sites
*.csv          one file per kind of record (UTF-8; times in {zone})
invoices/, quotes/, reports/  the documents as PDF
photos/        photos sent with service requests
"""


def customer_archive(customer: Customer, company: Company, *, by: StaffUser) -> Archive:
    """The zip of everything held about ``customer`` (see the module's docstring), audited
    as customer.exported with what it holds."""
    today = company_today(company)
    zone = company_zone(company)
    held = _held(customer)
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        readme = README.format(
            company=company.name, customer=customer.name, day=today, zone=company.time_zone
        )
        archive.writestr("README.txt", readme)
        profile = _profile(customer, company, held, today)
        archive.writestr("customer.json", json.dumps(profile, indent=2, ensure_ascii=False))
        for name, sheet in _sheets(held).items():
            archive.writestr(f"{name}.csv", b"".join(csv_export.lines(sheet, zone)))
            counts[name] = len(sheet.rows())
        for kind, files in (("documents", _documents(held, today)), ("photos", _photos(held))):
            counts[kind] = 0
            for path, content in files:
                archive.writestr(path, content)
                counts[kind] += 1
    spooled.seek(0)
    audit.record(
        company.id, "customer.exported", actor=by, subject=customer, customer_id=customer.id,
        summary="Exported everything held about the customer", **counts,
    )  # fmt: skip
    filename = f"{company.slug}-customer-{customer.id}-{today.isoformat()}.zip"
    return Archive(spooled, filename, counts)


def held_counts(customer: Customer) -> dict[str, int]:
    """How many records of each kind are held about the customer (its data page)."""
    of_customer = customer.id
    contacts = list(db.session.scalars(select(Contact).where(Contact.customer_id == of_customer)))
    addresses = customer_addresses(customer, contacts)
    requests = select(ServiceRequest.id).where(ServiceRequest.customer_id == of_customer)
    invoices = select(Invoice.id).where(Invoice.customer_id == of_customer)

    def count(model, *conditions) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))

    return {
        "Contacts": len(contacts),
        "Sites": count(Site, Site.customer_id == of_customer),
        "Vehicles": count(Vehicle, Vehicle.customer_id == of_customer),
        "Assets": count(Asset, Asset.customer_id == of_customer),
        "Jobs": count(Job, Job.customer_id == of_customer),
        "Service requests": count(ServiceRequest, ServiceRequest.customer_id == of_customer),
        "Request photos": count(RequestPhoto, RequestPhoto.request_id.in_(requests)),
        "Quotes": count(Quote, Quote.customer_id == of_customer),
        "Invoices": count(Invoice, Invoice.customer_id == of_customer),
        "Payments": count(Payment, Payment.invoice_id.in_(invoices)),
        "Reports": count(Report, Report.customer_id == of_customer),
        "Emails": count(
            OutboxEmail,
            OutboxEmail.company_id == customer.company_id,
            func.lower(OutboxEmail.to_address).in_(addresses or {""}),
        ),
        "Audit events": count(AuditEvent, AuditEvent.customer_id == of_customer),
    }
