"""Invoice rules: authoring, sending, manual payments, voiding, applying money.

Statuses: draft → sent → paid, and draft/sent → void. "Partially paid" is not a status:
it is a sent invoice with 0 < amount paid < total (Invoice.is_partially_paid). Nor is
"overdue": a sent invoice past its due date (``is_overdue``, SQL twin ``overdue_clause``);
``shown_status`` is the one badge every page shows.
Every change of amount_paid_cents is one guarded UPDATE, so two payments racing each
other can never overpay (the CHECK amount_paid_cents <= total_cents backs this up).
"""

import enum
from datetime import date

from sqlalchemy import case, literal, select, update

from ...extensions import db
from ...models import (
    BillingTerms,
    Company,
    Contact,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    LoginMethod,
    Payment,
    PaymentMethod,
    PortalPermission,
    StaffUser,
    utcnow,
)
from ...models.base import UTCDateTime
from .. import audit
from ..clock import company_today
from ..mail import mailer
from ..portal import portal_auth
from .money import LineInput, due_date, replace_lines
from .numbering import next_number

MANUAL_METHODS = (PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.BANK_TRANSFER)


class InvoiceError(Exception):
    """A rule refused the change; the message is shown to the person as is."""


class ShownStatus(enum.StrEnum):
    """What an invoice's badge says, on every page that shows one."""

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    OVERDUE = "overdue"
    PAID = "paid"
    VOID = "void"


def is_overdue(invoice: Invoice, today: date) -> bool:
    """Sent (so money is still owed) and its due date has passed."""
    return (
        invoice.status == InvoiceStatus.SENT
        and invoice.due_on is not None
        and invoice.due_on < today
    )


def overdue_clause(today: date):
    """SQL condition: the same rule as ``is_overdue``."""
    return (Invoice.status == InvoiceStatus.SENT) & (Invoice.due_on < today)


def shown_status(invoice: Invoice, today: date) -> ShownStatus:
    """The badge: the stored status, except that a sent invoice shows partially paid
    (some money received) or else overdue (past its due date) or open."""
    if invoice.status != InvoiceStatus.SENT:
        return ShownStatus(invoice.status.value)
    if invoice.is_partially_paid:
        return ShownStatus.PARTIALLY_PAID
    return ShownStatus.OVERDUE if is_overdue(invoice, today) else ShownStatus.OPEN


def with_shown_status(rows, today: date) -> list[tuple[Invoice, ShownStatus]]:
    """Each invoice of a list with its badge, for the list templates."""
    return [(invoice, shown_status(invoice, today)) for invoice in rows]


def create_invoice(
    customer: Customer,
    *,
    by: StaffUser | None = None,
    job: Job | None = None,
    lines: list[LineInput] = (),
    tax_rate_ppm: int | None = None,
    po_number: str | None = None,
    notes: str | None = None,
    billing_terms: BillingTerms | None = None,
) -> Invoice:
    """A draft invoice for a customer (from a job when given), with its lines and totals;
    its terms are the customer's (fleet settings) unless others are given."""
    company = customer.company
    invoice = Invoice(
        company_id=customer.company_id,
        customer_id=customer.id,
        number=next_number(customer.company_id, "invoice"),
        status=InvoiceStatus.DRAFT,
        billing_terms=billing_terms or customer.billing_terms,
        tax_rate_ppm=company.tax_rate_ppm if tax_rate_ppm is None else tax_rate_ppm,
        job_id=job.id if job else None,
        site_id=job.site_id if job else None,
        po_number=po_number or (job.po_number if job else None),
        notes=notes,
    )
    db.session.add(invoice)
    db.session.flush()
    replace_lines(invoice, list(lines))
    audit.record(invoice.company_id, "invoice.created", actor=by, subject=invoice)
    return invoice


def update_draft(
    invoice: Invoice,
    *,
    lines: list[LineInput],
    tax_rate_ppm: int,
    po_number: str | None,
    notes: str | None,
    billing_terms=None,
) -> Invoice:
    """Change a draft's lines, tax rate, PO and notes; only drafts can change."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvoiceError("Only a draft invoice can be edited.")
    invoice.tax_rate_ppm = tax_rate_ppm
    invoice.po_number = po_number
    invoice.notes = notes
    if billing_terms is not None:
        invoice.billing_terms = billing_terms
    replace_lines(invoice, lines)
    return invoice


def invoice_recipient(customer: Customer) -> tuple[str | None, Contact | None]:
    """Who gets the invoice: the first contact with an email who may see invoices, else
    the customer's own billing email. (None, None) when no email is on file."""
    for contact in customer.contacts:
        if contact.removed_at is None and contact.email and contact.may(PortalPermission.INVOICES):
            return contact.email, contact
    if customer.email:
        return customer.email, None
    return None, None


def _needs_portal_access(contact: Contact) -> bool:
    return not contact.portal_access or (
        contact.invited_at is None and contact.last_login_at is None
    )


def _provision_login_url(contact: Contact, company: Company, invoice: Invoice) -> str | None:
    """Give a contact who has never been into the portal access and a sign-in link (the
    portal's own single-use magic link) that leads on to the invoice, or None when that is
    not needed or the company does not let customers sign in by emailed link."""
    if not _needs_portal_access(contact) or not company.allows_login(LoginMethod.MAGIC_LINK):
        return None
    contact.portal_access = True
    token = portal_auth.issue_login_link(contact)
    return portal_auth.sign_in_url(
        company,
        token,
        mailer.site_path("portal.invoice_detail", company_slug=company.slug, invoice_id=invoice.id),
    )


def send_invoice(invoice: Invoice, *, by: StaffUser | None) -> str:
    """Issue a draft (issue date today, due date from its terms) or re-send a sent invoice
    by email through the outbox; returns the address it went to.

    Where the recipient is a contact without portal access yet (and the company allows
    sign-in by emailed link), access is provisioned and the email carries a single-use
    login link from the portal's sign-in service. No email on file → InvoiceError and
    nothing changes.
    """
    from .payments import online_payments_enabled

    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.SENT):
        raise InvoiceError(f"A {invoice.status.value} invoice cannot be sent.")
    if invoice.status == InvoiceStatus.DRAFT and not invoice.lines:
        raise InvoiceError("Add at least one line before sending.")
    customer = invoice.customer
    company = customer.company
    address, contact = invoice_recipient(customer)
    if address is None:
        raise InvoiceError(
            f"No email on file for {customer.name}: add one to the customer or a contact. "
            "Nothing was sent."
        )
    if invoice.status == InvoiceStatus.DRAFT:
        today = company_today(company)
        invoice.status = InvoiceStatus.SENT
        invoice.issued_on = today
        invoice.due_on = due_date(invoice.billing_terms, today)
    invoice.sent_at = utcnow()
    login_url = _provision_login_url(contact, company, invoice) if contact is not None else None
    mailer.queue(
        to=address,
        kind="invoice_sent",
        subject=f"Invoice #{invoice.number} from {company.name}",
        template="invoice_sent",
        company=company,
        related=invoice,
        invoice=invoice,
        customer=customer,
        contact=contact,
        login_url=login_url,
        link_lifetime=portal_auth.login_link_lifetime(),
        can_pay_online=online_payments_enabled(),
        secrets_expire_at=portal_auth.login_link_expiry(),
        portal_url=mailer.absolute_url(
            "portal.invoice_detail", company_slug=company.slug, invoice_id=invoice.id
        ),
    )
    audit.record(invoice.company_id, "invoice.sent", actor=by, subject=invoice, to=address)
    db.session.flush()
    return address


def apply_payment(invoice_id: int, amount_cents: int) -> bool:
    """Add money to an invoice's paid total in one guarded UPDATE.

    True if applied; False when the invoice is not open (draft, void, paid) or the amount
    exceeds its balance. The invoice becomes paid when its balance reaches zero.
    """
    new_paid = Invoice.amount_paid_cents + amount_cents
    result = db.session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice_id,
            Invoice.status == InvoiceStatus.SENT,
            new_paid <= Invoice.total_cents,
        )
        .values(
            amount_paid_cents=new_paid,
            status=case(
                (new_paid == Invoice.total_cents, InvoiceStatus.PAID.value), else_=Invoice.status
            ),
            paid_at=case(
                (new_paid == Invoice.total_cents, literal(utcnow(), UTCDateTime())),
                else_=Invoice.paid_at,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    _expire(invoice_id)
    return result.rowcount == 1


def reverse_payment(invoice_id: int, amount_cents: int) -> None:
    """Take refunded money off an invoice's paid total; a paid invoice reopens."""
    db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.amount_paid_cents >= amount_cents)
        .values(
            amount_paid_cents=Invoice.amount_paid_cents - amount_cents,
            status=case(
                (Invoice.status == InvoiceStatus.PAID.value, InvoiceStatus.SENT.value),
                else_=Invoice.status,
            ),
            paid_at=case(
                (Invoice.status == InvoiceStatus.PAID.value, literal(None, UTCDateTime())),
                else_=Invoice.paid_at,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    _expire(invoice_id)


def _expire(invoice_id: int) -> None:
    invoice = db.session.identity_map.get((Invoice, (invoice_id,), None))
    if invoice is not None:
        db.session.expire(invoice, ["amount_paid_cents", "status", "paid_at", "updated_at"])


def record_payment(
    invoice: Invoice,
    *,
    amount_cents: int,
    method: PaymentMethod,
    by: StaffUser,
    reference: str | None = None,
    received_on: date | None = None,
) -> Payment:
    """Record cash, a check or a bank transfer received by staff (amount ≤ balance)."""
    if method not in MANUAL_METHODS:
        raise InvoiceError("Record cash, check or bank transfer here; cards pay online.")
    if invoice.status != InvoiceStatus.SENT:
        raise InvoiceError(f"A {invoice.status.value} invoice takes no payments.")
    if amount_cents <= 0:
        raise InvoiceError("The amount must be more than zero.")
    if amount_cents > invoice.balance_cents or not apply_payment(invoice.id, amount_cents):
        raise InvoiceError("The amount is more than the balance due.")
    payment = Payment(
        company_id=invoice.company_id,
        invoice_id=invoice.id,
        method=method,
        amount_cents=amount_cents,
        reference=reference or None,
        recorded_by_id=by.id,
    )
    if received_on is not None:
        from datetime import UTC, datetime, time

        payment.received_at = datetime.combine(received_on, time(12), tzinfo=UTC)
    db.session.add(payment)
    db.session.flush()
    audit.record(
        invoice.company_id,
        "invoice.payment_recorded",
        actor=by,
        subject=invoice,
        amount_cents=amount_cents,
        method=method.value,
    )
    return payment


def void_invoice(invoice: Invoice, *, reason: str, by: StaffUser) -> Invoice:
    """Void a draft or an unpaid sent invoice, with a reason. Paid money must be refunded
    first, so a void never hides received payments."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError("Give a reason for voiding.")
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.SENT):
        raise InvoiceError(f"A {invoice.status.value} invoice cannot be voided.")
    if invoice.amount_paid_cents:
        raise InvoiceError("This invoice has payments; refund them before voiding.")
    result = db.session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status.in_((InvoiceStatus.DRAFT, InvoiceStatus.SENT)),
            Invoice.amount_paid_cents == 0,
        )
        .values(status=InvoiceStatus.VOID.value, voided_at=utcnow(), void_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(invoice)
    if result.rowcount != 1:
        raise InvoiceError("The invoice changed meanwhile; reload and try again.")
    audit.record(invoice.company_id, "invoice.voided", actor=by, subject=invoice, reason=reason)
    return invoice


def open_invoices(customer_id: int) -> list[Invoice]:
    """Sent invoices with a balance, oldest due first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.customer_id == customer_id, Invoice.status == InvoiceStatus.SENT)
            .order_by(Invoice.due_on, Invoice.number)
        )
    )
