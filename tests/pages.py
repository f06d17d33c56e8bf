"""The pages a person opens, over the demo data: the operator app's and a portal contact's,
with the filters and sorts the browser journeys use. The HTML checker and the no-SQL-while-
rendering walk both open these."""

from sqlalchemy import select

from fieldportal.models import (
    Company,
    Contact,
    Customer,
    CustomerKind,
    Invoice,
    InvoiceStatus,
    Job,
    OutboxEmail,
    Quote,
    QuoteStatus,
    Vehicle,
)


def _first(db, query):
    return db.session.scalars(query.limit(1)).one()


def operator_pages(db, company: Company) -> list[str]:
    fleet = _first(
        db,
        select(Customer)
        .where(Customer.company_id == company.id, Customer.kind == CustomerKind.FLEET)
        .order_by(Customer.id),
    )
    contact = _first(db, select(Contact).where(Contact.customer_id == fleet.id))
    job = _first(db, select(Job).where(Job.company_id == company.id).order_by(Job.id))
    invoice = _first(
        db,
        select(Invoice).where(
            Invoice.company_id == company.id, Invoice.status == InvoiceStatus.SENT
        ),
    )
    quote = _first(db, select(Quote).where(Quote.company_id == company.id))
    email = _first(db, select(OutboxEmail).where(OutboxEmail.company_id == company.id))
    return [
        "/",
        "/fleets",
        "/fleets?sort=vehicles&dir=desc",
        f"/fleets/{fleet.id}",
        "/customers",
        "/customers/new",
        f"/customers/{fleet.id}",
        f"/customers/{fleet.id}/contacts/{contact.id}/access",
        "/jobs",
        f"/jobs/{job.id}",
        "/requests",
        "/invoices?status=open",
        "/invoices/new",
        f"/invoices/{invoice.id}",
        "/quotes",
        f"/quotes/{quote.id}",
        "/reports",
        "/outbox",
        f"/outbox/{email.id}",
        "/settings",
        "/import",
    ]


def portal_pages(db, company: Company, contact: Contact) -> list[str]:
    base = f"/portal/{company.slug}"
    customer_id = contact.customer_id
    invoice = _first(
        db,
        select(Invoice).where(
            Invoice.customer_id == customer_id, Invoice.status == InvoiceStatus.SENT
        ),
    )
    quote = _first(
        db, select(Quote).where(Quote.customer_id == customer_id, Quote.status == QuoteStatus.SENT)
    )
    vehicle = _first(db, select(Vehicle).where(Vehicle.customer_id == customer_id))
    tabs = ["jobs", "history", "vehicles", "quotes", "invoices", "requests", "reports", "account"]
    return [
        f"{base}/",
        *(f"{base}/{tab}" for tab in tabs),
        f"{base}/invoices/{invoice.id}",
        f"{base}/quotes/{quote.id}",
        f"{base}/vehicles/{vehicle.id}",
        f"{base}/requests/new",
    ]
