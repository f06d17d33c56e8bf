"""Erasing a customer on request: what is personal goes for good, what the law requires
stays.

Removed: its contacts (with their sign-in links, PINs, passwords and site choices), every
session of the customer (contacts and fleet link), the fleet link itself, the emails sent
to its addresses (the outbox), the photos sent with its requests (rows and files, once
the erasure commits), the customer's email, phone, notes and external reference.
Anonymised: what its requests said, the signature, message, IP address and browser of
its quote decisions, and the summary, details and IP address of its audit events.
Kept: invoices and payments (the law requires them), and with them the name and billing
address they were issued to; without an issued invoice those go too. Jobs, vehicles,
assets, sites and reports stay as the company's record of work done.

The erasure is one transaction (the commit point's), audited as customer.erased with
what it removed, and cannot be undone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from ...extensions import db
from ...models import (
    AuditEvent,
    AuthSession,
    CheckoutPayment,
    Contact,
    Customer,
    Invoice,
    InvoiceStatus,
    LoginLink,
    OutboxEmail,
    Payment,
    Quote,
    QuoteDecision,
    RequestPhoto,
    ServiceRequest,
    StaffUser,
    utcnow,
)
from ...models.customer import contact_sites
from .. import audit, transaction_state
from ..errors import Conflict, Invalid
from ..work import request_photos
from .export import customer_addresses

ERASED_TEXT = "Erased on request"
# Session.info key: photo files to delete once the erasure has committed.
PHOTOS_TO_DELETE = "erased_photo_files"


def _delete_files(paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


transaction_state.track(PHOTOS_TO_DELETE, on_commit=_delete_files)


@dataclass(frozen=True)
class ErasureOutcome:
    """What an erasure removed and what it kept (the audit event holds the same)."""

    contacts: int
    sessions: int
    emails: int
    photos: int
    requests: int
    quote_decisions: int
    audit_events: int
    invoices_kept: int
    payments_kept: int

    def as_details(self) -> dict[str, int]:
        return dict(vars(self))


def matches_confirmation(customer: Customer, typed: str | None) -> bool:
    """Whether the person typed the customer's name (case and outer spaces aside)."""
    return (typed or "").strip().casefold() == customer.name.strip().casefold()


def has_issued_invoices(customer: Customer) -> bool:
    """An invoice past draft exists: the law keeps it, with the name it was issued to."""
    return (
        db.session.scalar(
            select(func.count(Invoice.id)).where(
                Invoice.customer_id == customer.id, Invoice.status != InvoiceStatus.DRAFT
            )
        )
        > 0
    )


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def erase_customer(
    customer: Customer, *, by: StaffUser, confirmation: str | None
) -> ErasureOutcome:
    """Erase the customer (see the module's docstring). Invalid (on ``confirmation``) unless
    the customer's name was typed; Conflict when it was erased already."""
    if customer.erased_at is not None:
        raise Conflict("This customer was erased already.")
    if not matches_confirmation(customer, confirmation):
        raise Invalid(
            errors={"confirmation": ["Type the customer's name exactly as shown to erase it."]}
        )
    contact_ids = select(Contact.id).where(Contact.customer_id == customer.id)
    contacts = list(db.session.scalars(select(Contact).where(Contact.customer_id == customer.id)))
    addresses = customer_addresses(customer, contacts)
    request_ids = select(ServiceRequest.id).where(ServiceRequest.customer_id == customer.id)
    quote_ids = select(Quote.id).where(Quote.customer_id == customer.id)
    invoice_ids = select(Invoice.id).where(Invoice.customer_id == customer.id)
    keep_identity = has_issued_invoices(customer)

    sessions = db.session.execute(
        delete(AuthSession).where(AuthSession.customer_id == customer.id)
    ).rowcount
    emails = 0
    if addresses:
        emails = db.session.execute(
            delete(OutboxEmail)
            .where(
                OutboxEmail.company_id == customer.company_id,
                func.lower(OutboxEmail.to_address).in_(addresses),
            )
            .execution_options(synchronize_session=False)
        ).rowcount

    photos = list(
        db.session.scalars(select(RequestPhoto).where(RequestPhoto.request_id.in_(request_ids)))
    )
    folder = request_photos.photo_folder()
    files = [folder / p.filename for p in photos]
    files += [folder / request_photos.thumb_name(p.filename) for p in photos]
    db.session.execute(
        delete(RequestPhoto)
        .where(RequestPhoto.request_id.in_(request_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.info.setdefault(PHOTOS_TO_DELETE, []).extend(files)
    requests = db.session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.customer_id == customer.id)
        .values(description=ERASED_TEXT, contact_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    decisions = db.session.execute(
        update(QuoteDecision)
        .where(QuoteDecision.quote_id.in_(quote_ids))
        .values(contact_id=None, signed_name=None, message=None, ip_address=None, user_agent=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(CheckoutPayment)
        .where(CheckoutPayment.customer_id == customer.id)
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    events = db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.customer_id == customer.id)
        .values(summary="", details={}, ip_address=None, contact_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(delete(LoginLink).where(LoginLink.contact_id.in_(contact_ids)))
    db.session.execute(delete(contact_sites).where(contact_sites.c.contact_id.in_(contact_ids)))
    removed_contacts = db.session.execute(
        delete(Contact)
        .where(Contact.customer_id == customer.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    for contact in contacts:
        db.session.expunge(contact)

    now = utcnow()
    customer.email = customer.phone = customer.notes = customer.external_ref = None
    customer.portal_enabled = False
    customer.portal_token_hash = customer.portal_token_created_at = None
    customer.archived_at = customer.archived_at or now
    customer.erased_at = now
    if not keep_identity:
        customer.name = f"Erased customer {customer.id}"
        customer.billing_address = None
    outcome = ErasureOutcome(
        contacts=removed_contacts,
        sessions=sessions,
        emails=emails,
        photos=len(photos),
        requests=requests,
        quote_decisions=decisions,
        audit_events=events,
        invoices_kept=_count(Invoice, Invoice.customer_id == customer.id),
        payments_kept=_count(Payment, Payment.invoice_id.in_(invoice_ids)),
    )
    db.session.flush()
    audit.record(
        customer.company_id,
        "customer.erased",
        actor=by,
        subject=customer,
        customer_id=customer.id,
        summary=f"Erased customer {customer.id} on request",
        **outcome.as_details(),
    )
    return outcome
