"""Every operator and portal page the benchmark opens, with the rows they show picked from
the database in hand (ids differ between SQLite and PostgreSQL, large and xl)."""

from dataclasses import dataclass

from sqlalchemy import func, select

OWNER = "owner@acme.example"
FLEET_CONTACT = "fleet@acme.example"
ACCOUNT_CONTACT = "account@acme.example"
CONSUMER_CONTACT = "consumer@acme.example"


@dataclass(frozen=True)
class Case:
    label: str
    url: str
    email: str = OWNER
    htmx: bool = False


def _ids(app) -> dict:
    """The rows the detail pages show: the largest fleet, and one of each record."""
    from fieldportal.extensions import db
    from fieldportal.models import (
        Asset,
        Company,
        Contact,
        Customer,
        CustomerKind,
        Invoice,
        InvoiceStatus,
        Job,
        JobStatus,
        Quote,
        QuoteStatus,
        Report,
        ServiceRequest,
        Vehicle,
    )

    def first(statement):
        return db.session.scalar(statement.limit(1))

    with app.app_context():
        company_id = db.session.scalar(select(Company.id).where(Company.slug == "acme"))
        fleet_id = db.session.execute(
            select(Vehicle.customer_id, func.count())
            .join(Customer, Customer.id == Vehicle.customer_id)
            .where(Customer.company_id == company_id, Customer.kind == CustomerKind.FLEET)
            .group_by(Vehicle.customer_id)
            .order_by(func.count().desc(), Vehicle.customer_id)
            .limit(1)
        ).first()[0]
        fleet_contact = db.session.scalar(select(Contact).where(Contact.email == FLEET_CONTACT))
        portal_customer = fleet_contact.customer_id
        of_company = {
            "job": first(
                select(Job.id)
                .where(Job.company_id == company_id, Job.status == JobStatus.COMPLETED)
                .order_by(Job.id.desc())
            ),
            "invoice": first(
                select(Invoice.id)
                .where(Invoice.company_id == company_id, Invoice.status == InvoiceStatus.SENT)
                .order_by(Invoice.id.desc())
            ),
            "quote": first(
                select(Quote.id)
                .where(Quote.company_id == company_id, Quote.status == QuoteStatus.SENT)
                .order_by(Quote.id.desc())
            ),
            "report": first(
                select(Report.id).where(Report.company_id == company_id).order_by(Report.id.desc())
            ),
            "request": first(
                select(ServiceRequest.id)
                .where(ServiceRequest.company_id == company_id)
                .order_by(ServiceRequest.id.desc())
            ),
            "vehicle": first(
                select(Vehicle.id).where(Vehicle.customer_id == fleet_id).order_by(Vehicle.id)
            ),
            "asset": first(
                select(Asset.id).where(Asset.company_id == company_id).order_by(Asset.id)
            ),
            "contact": first(
                select(Contact.id).where(Contact.customer_id == fleet_id).order_by(Contact.id)
            ),
        }
        portal = {
            "invoice": first(
                select(Invoice.id)
                .where(Invoice.customer_id == portal_customer, Invoice.status == InvoiceStatus.SENT)
                .order_by(Invoice.id)
            ),
            "quote": first(
                select(Quote.id)
                .where(Quote.customer_id == portal_customer, Quote.status == QuoteStatus.SENT)
                .order_by(Quote.id)
            ),
            "vehicle": first(
                select(Vehicle.id)
                .where(Vehicle.customer_id == portal_customer)
                .order_by(Vehicle.id)
            ),
        }
    return {"fleet": fleet_id, "company": of_company, "portal": portal}


def operator_cases(ids: dict) -> list[Case]:
    fleet, record = ids["fleet"], ids["company"]
    cases = [
        Case("Home", "/"),
        Case("Fleet index, default sort", "/fleets"),
    ]
    for column in ("name", "vehicles", "overdue", "next_job", "mtd", "ar"):
        for direction in ("asc", "desc"):
            cases.append(
                Case(
                    f"Fleet index, sort {column} {direction}",
                    f"/fleets?sort={column}&dir={direction}",
                )
            )
    cases += [
        Case("Fleet index, search 'tr'", "/fleets?q=tr"),
        Case("Fleet index, has overdue vehicles", "/fleets?overdue=1"),
        Case("Fleet index, page 40", "/fleets?page=40"),
        Case("Fleet index table (htmx)", "/fleets?sort=ar&dir=desc", htmx=True),
        Case("Fleet detail, largest fleet", f"/fleets/{fleet}"),
        Case("Fleet detail history page 2 (htmx)", f"/fleets/{fleet}?page=2", htmx=True),
        Case("Customers", "/customers"),
        Case("Customers, fleets only", "/customers?kind=fleet"),
        Case("Customers, search 'garcia'", "/customers?q=garcia"),
        Case("Customers, page 40", "/customers?page=40"),
        Case("Customer detail (largest fleet)", f"/customers/{fleet}"),
        Case("Contact portal access", f"/customers/{fleet}/contacts/{record['contact']}/access"),
        Case("Vehicle detail", f"/vehicles/{record['vehicle']}"),
        Case("Asset detail", f"/assets/{record['asset']}"),
        Case("New customer form", "/customers/new"),
        Case("Jobs, default", "/jobs"),
    ]
    for column in ("when", "number", "status", "customer"):
        for direction in ("asc", "desc"):
            cases.append(
                Case(f"Jobs, sort {column} {direction}", f"/jobs?sort={column}&dir={direction}")
            )
    cases += [
        Case("Jobs, status completed", "/jobs?status=completed"),
        Case("Jobs, status completed, page 20", "/jobs?status=completed&page=20"),
        Case("Jobs, page 200", "/jobs?page=200"),
        Case("Jobs, one customer", f"/jobs?customer={fleet}"),
        Case("Jobs table (htmx)", "/jobs?page=2", htmx=True),
        Case("Job detail", f"/jobs/{record['job']}"),
        Case("New job: pick a customer", "/jobs/new"),
        Case("New job for a fleet", f"/jobs/new?customer_id={fleet}"),
        Case("Requests inbox (pending)", "/requests"),
        Case("Requests inbox, all", "/requests?status=all"),
        Case("Request detail", f"/requests/{record['request']}"),
        Case("Pending-requests panel (htmx)", "/requests/panel", htmx=True),
        Case("Pending-requests count (htmx)", "/requests/pending-count", htmx=True),
        Case("Invoices, all", "/invoices"),
        Case("Invoices, open", "/invoices?status=open"),
        Case("Invoices, overdue", "/invoices?status=overdue"),
        Case("Invoices, paid", "/invoices?status=paid"),
        Case("Invoices, oldest first", "/invoices?sort=number&dir=asc"),
        Case("Invoices, page 100", "/invoices?page=100"),
        Case("Invoices table (htmx)", "/invoices?page=2", htmx=True),
        Case("Invoice detail", f"/invoices/{record['invoice']}"),
        Case("New invoice form", "/invoices/new"),
        Case("Quotes, all", "/quotes"),
        Case("Quotes, sent", "/quotes?status=sent"),
        Case("Quotes, oldest first", "/quotes?sort=number&dir=asc"),
        Case("Quote detail", f"/quotes/{record['quote']}"),
        Case("New quote form", "/quotes/new"),
        Case("Reports", "/reports"),
        Case("Report detail", f"/reports/{record['report']}"),
        Case("Outbox", "/outbox"),
        Case("Settings", "/settings"),
    ]
    return cases


def portal_cases(ids: dict) -> list[Case]:
    base, record = "/portal/acme", ids["portal"]
    cases = [
        Case("Portal dashboard (fleet)", f"{base}/", FLEET_CONTACT),
        Case("Portal active jobs (fleet)", f"{base}/jobs", FLEET_CONTACT),
        Case("Portal history (fleet)", f"{base}/history", FLEET_CONTACT),
        Case(
            "Portal history, Load more (htmx)", f"{base}/history?page=2&more=1", FLEET_CONTACT, True
        ),
        Case("Portal vehicles (fleet)", f"{base}/vehicles", FLEET_CONTACT),
        Case(
            "Portal vehicle detail (fleet)", f"{base}/vehicles/{record['vehicle']}", FLEET_CONTACT
        ),
        Case("Portal quotes (fleet)", f"{base}/quotes", FLEET_CONTACT),
        Case("Portal quote detail (fleet)", f"{base}/quotes/{record['quote']}", FLEET_CONTACT),
        Case("Portal invoices (fleet)", f"{base}/invoices", FLEET_CONTACT),
        Case(
            "Portal invoice detail (fleet)", f"{base}/invoices/{record['invoice']}", FLEET_CONTACT
        ),
        Case("Portal reports (fleet)", f"{base}/reports", FLEET_CONTACT),
        Case("Portal requests (fleet)", f"{base}/requests", FLEET_CONTACT),
        Case("Portal new request (fleet)", f"{base}/requests/new", FLEET_CONTACT),
        Case("Portal assets (account)", f"{base}/assets", ACCOUNT_CONTACT),
        Case("Portal account (consumer)", f"{base}/account", CONSUMER_CONTACT),
    ]
    return cases


def all_cases(app) -> list[Case]:
    ids = _ids(app)
    return operator_cases(ids) + portal_cases(ids)
