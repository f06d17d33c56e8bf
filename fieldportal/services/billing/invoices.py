"""Invoice rules: authoring, sending, manual payments, voiding, applying money.

Statuses: draft → sent → paid, and draft/sent → void. "Partially paid" is not a status:
it is a sent invoice with 0 < amount paid < total (Invoice.is_partially_paid). Nor is
"overdue": a sent invoice past its due date (``is_overdue``, SQL twin ``overdue_clause``);
``shown_status`` is the one badge every page shows.
Every change of amount_paid_cents is one guarded UPDATE, so two payments racing each
other can never overpay (the CHECK amount_paid_cents <= total_cents backs this up).
"""

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Select, case, literal, select, update
from sqlalchemy.orm import joinedload, selectinload

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
    StaffUser,
    utcnow,
)
from ...models.base import UTCDateTime
from ...pagination import COUNT_LIMIT, Page, StatusListQuery, paginate
from .. import audit, customers, recipients
from ..clock import company_today
from ..errors import Conflict, Invalid
from ..mail import mailer
from ..portal import portal_auth
from .money import (
    LineInput,
    due_date,
    invoiced_cents,
    month_to_date_bounds,
    open_ar_cents,
    replace_lines,
)
from .numbering import next_number

MANUAL_METHODS = (PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.BANK_TRANSFER)
INVOICES_PER_PAGE = 50
# The list's filters: a stored status, or "open" (sent, money owed) and "overdue".
STATUS_FILTERS = ("all", "draft", "open", "overdue", "paid", "void")


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


def is_editable(invoice: Invoice) -> bool:
    """Only a draft's lines, terms and notes can change."""
    return invoice.status == InvoiceStatus.DRAFT


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
    """A draft invoice for a customer (from a job when given: a job of another customer
    is not linked), with its lines and totals; its terms are the customer's (fleet
    settings) unless others are given."""
    company = Company.owning(customer)
    if job is not None and job.customer_id != customer.id:
        job = None
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
        lines=[],
        payments=[],
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
    """Change a draft's lines, tax rate, PO and notes; only drafts can change (Conflict)."""
    if not is_editable(invoice):
        raise Conflict("Only a draft invoice can be edited.")
    invoice.tax_rate_ppm = tax_rate_ppm
    invoice.po_number = po_number
    invoice.notes = notes
    if billing_terms is not None:
        invoice.billing_terms = billing_terms
    replace_lines(invoice, lines)
    return invoice


def _first_contact(customer: Customer, address: str, *, by: StaffUser | None) -> Contact | None:
    """A customer with an email and no contact yet gets its first contact from that email
    (an admin, as every first contact is, named as the customer), so the invoice email can
    carry a sign-in link instead of a portal address nobody can get into. None when the
    customer has contacts, or another contact of the company already has that address."""
    if customers.has_contacts(customer):
        return None
    try:
        return customers.add_contact(
            customer, by=by, name=customer.name, email=address.lower(), is_admin=True
        )
    except Invalid:
        return None


def _needs_portal_access(contact: Contact) -> bool:
    return not contact.portal_access or (
        contact.invited_at is None and contact.last_login_at is None
    )


def _provision_login_url(contact: Contact, company: Company, invoice: Invoice) -> str | None:
    """Give a contact who has never been into the portal access and a sign-in link (the
    portal's own single-use magic link) that leads on to the invoice, or None when that is
    not needed, the portal is not open, or the company does not let customers sign in by
    emailed link."""
    if not (
        _needs_portal_access(contact)
        and company.portal_open
        and company.allows_login(LoginMethod.MAGIC_LINK)
    ):
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

    A customer with an email and no contact gets its first contact from that email. Where
    the recipient is a contact without portal access yet (and the company allows
    sign-in by emailed link), access is provisioned and the email carries a single-use
    login link from the portal's sign-in service. While the portal is not open (the Free
    plan, switched off) the email carries the invoice's lines and how to pay instead of a
    portal address that answers "unavailable". No email on file → Invalid and nothing
    changes; an invoice that is neither draft nor sent → Conflict.
    """
    from .payments import online_payments_enabled

    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.SENT):
        raise Conflict(f"A {invoice.status.value} invoice cannot be sent.")
    if invoice.status == InvoiceStatus.DRAFT and not invoice.lines:
        raise Invalid("Add at least one line before sending.")
    customer = invoice.customer
    company = Company.owning(customer)
    address, contact = recipients.invoice_recipient(customer)
    if address is None:
        raise Invalid(
            f"No email on file for {customer.name}: add one to the customer or a contact. "
            "Nothing was sent."
        )
    if invoice.status == InvoiceStatus.DRAFT:
        today = company_today(company)
        invoice.status = InvoiceStatus.SENT
        invoice.issued_on = today
        invoice.due_on = due_date(invoice.billing_terms, today)
    invoice.sent_at = utcnow()
    if contact is None:
        contact = _first_contact(customer, address, by=by)
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
        )
        if company.portal_open
        else None,
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
    """Record cash, a check or a bank transfer received by staff (amount ≤ balance).
    Invalid (on ``method`` or ``amount``) for a wrong method or amount, Conflict for an
    invoice that is not open."""
    if method not in MANUAL_METHODS:
        raise Invalid(
            errors={"method": ["Record cash, check or bank transfer here; cards pay online."]}
        )
    if invoice.status != InvoiceStatus.SENT:
        raise Conflict(f"A {invoice.status.value} invoice takes no payments.")
    if amount_cents <= 0:
        raise Invalid(errors={"amount": ["The amount must be more than zero."]})
    if amount_cents > invoice.balance_cents or not apply_payment(invoice.id, amount_cents):
        raise Invalid(errors={"amount": ["The amount is more than the balance due."]})
    payment = Payment(
        company_id=invoice.company_id,
        invoice=invoice,
        method=method,
        amount_cents=amount_cents,
        reference=reference or None,
        recorded_by_id=by.id,
    )
    if received_on is not None:
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
    first, so a void never hides received payments (Invalid, as is a missing reason);
    Conflict for a paid or void invoice, or one that changed meanwhile."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": ["Give a reason for voiding."]})
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.SENT):
        raise Conflict(f"A {invoice.status.value} invoice cannot be voided.")
    if invoice.amount_paid_cents:
        raise Invalid("This invoice has payments; refund them before voiding.")
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
        raise Conflict("The invoice changed meanwhile; reload and try again.")
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


def detail_options() -> tuple:
    """Loader options for an invoice page: its customer, lines and payments (with who
    recorded each), so that rendering it reads nothing more."""
    return (
        joinedload(Invoice.customer),
        selectinload(Invoice.lines),
        selectinload(Invoice.payments).joinedload(Payment.recorded_by),
    )


@dataclass(frozen=True, kw_only=True)
class InvoiceQuery(StatusListQuery):
    """The invoice list: a status filter, newest number first."""

    SORTS = ("number",)
    DEFAULT_DIRECTION = "desc"
    STATUS_FILTERS = STATUS_FILTERS


def invoice_select(company: Company, query: InvoiceQuery, today: date) -> Select:
    """The company's invoices as the list shows them, filtered and sorted, with their
    customer: the list pages it, the CSV export reads it whole."""
    statement = select(Invoice).where(Invoice.company_id == company.id)
    if query.status == "open":
        statement = statement.where(Invoice.status == InvoiceStatus.SENT)
    elif query.status == "overdue":
        statement = statement.where(overdue_clause(today))
    elif query.status != "all":
        statement = statement.where(Invoice.status == InvoiceStatus(query.status))
    number = Invoice.number.desc() if query.descending else Invoice.number.asc()
    return statement.options(joinedload(Invoice.customer)).order_by(number)


def invoice_list(company: Company, query: InvoiceQuery) -> Page[tuple[Invoice, ShownStatus]]:
    """One page of the company's invoices, filtered, each with the badge it shows."""
    today = company_today(company)
    page = paginate(
        invoice_select(company, query, today),
        query,
        per_page=INVOICES_PER_PAGE,
        count_limit=COUNT_LIMIT,
    )
    return page.map(lambda invoice: (invoice, shown_status(invoice, today)))


@dataclass(frozen=True)
class InvoiceListView:
    """The invoices page: one page of the list and, above it, the company's open A/R and
    this month's revenue (None for a fragment, which shows only the table)."""

    result: Page
    query: InvoiceQuery
    open_ar_cents: int | None
    mtd_revenue_cents: int | None


def list_view(company: Company, query: InvoiceQuery, *, with_figures: bool) -> InvoiceListView:
    result = invoice_list(company, query)
    if not with_figures:
        return InvoiceListView(result, query, None, None)
    month = month_to_date_bounds(company_today(company))
    return InvoiceListView(
        result, query, open_ar_cents(company.id), invoiced_cents(company.id, *month)
    )
