"""Who gets an email about a customer's invoice, quote or job: one rule per kind of
document, used by whatever sends it (the document itself, its reminders, notifications).
Reads models only, so every service may import it."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Contact, Customer, Job, PortalPermission
from .portal.site_scope import scoped_site_ids, visible


def invoice_recipient(customer: Customer) -> tuple[str | None, Contact | None]:
    """Who gets the invoice: the first contact with an email who may see invoices, else
    the customer's own billing email. (None, None) when no email is on file."""
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.customer_id == customer.id, Contact.removed_at.is_(None))
        .order_by(Contact.id)
    )
    for contact in contacts:
        if contact.email and contact.may(PortalPermission.INVOICES):
            return contact.email, contact
    if customer.email:
        return customer.email, None
    return None, None


def appointment_recipient(job: Job) -> tuple[str | None, Contact | None]:
    """The first contact who may see jobs and sees this job's site, else the customer's
    own email."""
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.customer_id == job.customer_id, Contact.removed_at.is_(None))
        .options(selectinload(Contact.sites))
        .order_by(Contact.id)
    )
    for contact in contacts:
        if (
            contact.email
            and contact.may(PortalPermission.JOBS)
            and visible(job, scoped_site_ids(contact))
        ):
            return contact.email, contact
    return (job.customer.email, None) if job.customer.email else (None, None)
