"""Quote rules: authoring, sending, the customer's decision, expiry, conversion to a job.

Statuses: draft → sent → accepted / rejected / changes_requested / expired.
A sent quote whose validity date has passed is expired: ``effective_status`` shows it so
at once, ``expire_overdue_quotes`` stores it (``flask quotes expire``), and a decision on
it is refused either way. Exactly one decision per revision: the status moves with one
``UPDATE … WHERE status = 'sent'`` and QuoteDecision is unique on (quote, revision).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from huey import crontab
from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ... import task_queue
from ...extensions import db
from ...models import (
    Company,
    Contact,
    Customer,
    Job,
    JobStatus,
    Quote,
    QuoteDecision,
    QuoteDecisionKind,
    QuoteStatus,
    StaffUser,
    utcnow,
)
from ...models.billing import SIGNED_NAME_MAX
from ...pagination import COUNT_LIMIT, Page, StatusListQuery, paginate
from .. import audit, recipients
from ..clock import company_today
from ..errors import Conflict, Invalid
from ..mail import mailer
from .money import LineInput, replace_lines
from .numbering import next_number

QUOTES_PER_PAGE = 50
# The list's filters: every status ("sent" meaning still awaiting an answer, "expired"
# also a sent quote past its date).
STATUS_FILTERS = ("all", *[status.value for status in QuoteStatus])
ALREADY_ANSWERED = "This quote has already been answered."


def create_quote(
    customer: Customer,
    *,
    title: str,
    by: StaffUser | None = None,
    lines: list[LineInput] = (),
    valid_until: date | None = None,
    tax_rate_ppm: int | None = None,
    notes: str | None = None,
    site_id: int | None = None,
    vehicle_id: int | None = None,
) -> Quote:
    """A draft quote with its lines and totals."""
    quote = Quote(
        company_id=customer.company_id,
        customer_id=customer.id,
        number=next_number(customer.company_id, "quote"),
        title=title,
        status=QuoteStatus.DRAFT,
        valid_until=valid_until,
        tax_rate_ppm=Company.owning(customer).tax_rate_ppm
        if tax_rate_ppm is None
        else tax_rate_ppm,
        notes=notes,
        site_id=site_id,
        vehicle_id=vehicle_id,
        lines=[],
        decisions=[],
    )
    db.session.add(quote)
    db.session.flush()
    replace_lines(quote, list(lines))
    audit.record(quote.company_id, "quote.created", actor=by, subject=quote)
    return quote


def is_editable(quote: Quote) -> bool:
    """A draft, or a quote the customer asked to change, can be edited."""
    return quote.status in (QuoteStatus.DRAFT, QuoteStatus.CHANGES_REQUESTED)


def update_quote(
    quote: Quote,
    *,
    title: str,
    lines: list[LineInput],
    valid_until: date | None,
    tax_rate_ppm: int,
    notes: str | None,
) -> Quote:
    """Edit a draft, or a quote the customer asked to change (it then needs re-sending);
    Conflict for any other."""
    if not is_editable(quote):
        raise Conflict(f"A {quote.status.value.replace('_', ' ')} quote cannot be edited.")
    quote.title = title
    quote.valid_until = valid_until
    quote.tax_rate_ppm = tax_rate_ppm
    quote.notes = notes
    replace_lines(quote, lines)
    return quote


def send_quote(quote: Quote, *, by: StaffUser | None = None) -> str:
    """Send a draft (or re-send after requested changes, as a new revision) by email.

    Returns the address used. Invalid when it has no lines, its validity date has passed
    or no email is on file; Conflict when it was answered already (nothing is sent). While
    the company's portal is not open (the Free plan, switched off) the email carries the
    quote's lines and how to answer it instead of a portal address that answers
    "unavailable".
    """
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.CHANGES_REQUESTED, QuoteStatus.SENT):
        raise Conflict(f"A {quote.status.value.replace('_', ' ')} quote cannot be sent.")
    if not quote.lines:
        raise Invalid("Add at least one line before sending.")
    company = Company.owning(quote)
    if quote.valid_until is not None and quote.valid_until < company_today(company):
        raise Invalid("The validity date has passed; set a new one before sending.")
    address, contact = recipients.invoice_recipient(quote.customer)
    if address is None:
        raise Invalid(f"No email on file for {quote.customer.name}. Nothing was sent.")
    if quote.status == QuoteStatus.CHANGES_REQUESTED:
        quote.revision += 1
    quote.status = QuoteStatus.SENT
    quote.sent_at = utcnow()
    mailer.queue(
        to=address,
        kind="quote_sent",
        subject=f"Quote #{quote.number} from {company.name}",
        template="quote_sent",
        company=company,
        related=quote,
        quote=quote,
        customer=quote.customer,
        contact=contact,
        portal_url=mailer.absolute_url(
            "portal.quote_detail", company_slug=company.slug, quote_id=quote.id
        )
        if company.portal_open
        else None,
    )
    audit.record(quote.company_id, "quote.sent", actor=by, subject=quote, to=address)
    db.session.flush()
    return address


def is_expired(quote: Quote, today: date) -> bool:
    return quote.status == QuoteStatus.EXPIRED or (
        quote.status == QuoteStatus.SENT
        and quote.valid_until is not None
        and quote.valid_until < today
    )


def effective_status(quote: Quote, today: date) -> QuoteStatus:
    """The status to show: a sent quote past its validity date is expired."""
    return QuoteStatus.EXPIRED if is_expired(quote, today) else quote.status


def lapsed_clause(today: date):
    """SQL condition: sent, but the validity date has passed (expired, not yet stored)."""
    return (Quote.status == QuoteStatus.SENT) & (Quote.valid_until < today)


def awaiting_clause(today: date):
    """SQL condition: sent and still valid, so waiting for the customer's answer."""
    return (Quote.status == QuoteStatus.SENT) & or_(
        Quote.valid_until.is_(None), Quote.valid_until >= today
    )


def expired_clause(today: date):
    """SQL condition: expired, stored or by date (the same rule as ``is_expired``)."""
    return or_(Quote.status == QuoteStatus.EXPIRED, lapsed_clause(today))


def expire_overdue_quotes(company_id: int, today: date) -> int:
    """Store 'expired' on sent quotes whose validity date has passed; returns how many."""
    result = db.session.execute(
        update(Quote)
        .where(Quote.company_id == company_id, lapsed_clause(today))
        .values(status=QuoteStatus.EXPIRED.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def expire_all_overdue_quotes() -> int:
    """``expire_overdue_quotes`` for every company, each on its own local date."""
    return sum(
        expire_overdue_quotes(company.id, company_today(company))
        for company in db.session.scalars(select(Company))
    )


@task_queue.periodic(crontab(minute="*/15"), period=timedelta(minutes=15))
def expire_quotes() -> None:
    """Every quarter of an hour, so that each company's quotes expire soon after its own
    midnight (time zones are offset by whole quarters)."""
    expire_all_overdue_quotes()


def quote_fingerprint(quote: Quote) -> str:
    """SHA-256 of the quote as the customer sees it: every figure and word they agree to."""
    shown = {
        "company": quote.company_id,
        "number": quote.number,
        "revision": quote.revision,
        "title": quote.title,
        "notes": quote.notes or "",
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "currency": Company.owning(quote).currency,
        "lines": [
            [
                line.description,
                format(Decimal(line.quantity).quantize(Decimal("0.01")), "f"),
                line.unit_price_cents,
                line.taxable,
                line.amount_cents,
            ]
            for line in quote.lines
        ],
        # Rates that were storable in basis points keep their old key and value, so the
        # fingerprints recorded with decisions before rates moved to parts per million
        # (2026-12) still match; finer rates such as 8.875 % use the ppm key.
        **(
            {"tax_rate_bp": quote.tax_rate_ppm // 100}
            if quote.tax_rate_ppm % 100 == 0
            else {"tax_rate_ppm": quote.tax_rate_ppm}
        ),
        "subtotal": quote.subtotal_cents,
        "tax": quote.tax_cents,
        "total": quote.total_cents,
    }
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Evidence:
    ip_address: str | None
    user_agent: str | None


DECISION_STATUS = {
    QuoteDecisionKind.ACCEPTED: QuoteStatus.ACCEPTED,
    QuoteDecisionKind.REJECTED: QuoteStatus.REJECTED,
    QuoteDecisionKind.CHANGES_REQUESTED: QuoteStatus.CHANGES_REQUESTED,
}


def decide(
    quote: Quote,
    kind: QuoteDecisionKind,
    *,
    contact: Contact | None,
    evidence: Evidence,
    signed_name: str | None = None,
    message: str | None = None,
    shown_sha256: str | None = None,
) -> QuoteDecision:
    """Record the customer's answer to the current revision of a sent quote.

    Accepting needs the typed full name (the signature); requesting changes needs a
    message (Invalid, on ``signed_name`` or ``message``). Conflict when it has expired,
    changed since it was shown (the hash differs), or was answered already (another
    decision won the race).
    """
    signed_name = (signed_name or "").strip()
    message = (message or "").strip()
    if kind == QuoteDecisionKind.ACCEPTED and len(signed_name) < 2:
        raise Invalid(errors={"signed_name": ["Type your full name to accept."]})
    if len(signed_name) > SIGNED_NAME_MAX:
        raise Invalid(
            errors={"signed_name": [f"Your name can be at most {SIGNED_NAME_MAX} characters."]}
        )
    if kind == QuoteDecisionKind.CHANGES_REQUESTED and not message:
        raise Invalid(errors={"message": ["Tell us what you would like changed."]})
    company = Company.owning(quote)
    today = company_today(company)
    if quote.status != QuoteStatus.SENT:
        raise Conflict(ALREADY_ANSWERED)
    if is_expired(quote, today):
        raise Conflict("This quote has expired. Ask us for a new one.")
    fingerprint = quote_fingerprint(quote)
    if shown_sha256 is not None and shown_sha256 != fingerprint:
        raise Conflict("This quote changed since you opened it. Reload to see it.")
    revision = quote.revision
    moved = db.session.execute(
        update(Quote)
        .where(
            Quote.id == quote.id,
            Quote.status == QuoteStatus.SENT,
            Quote.revision == revision,
            or_(Quote.valid_until.is_(None), Quote.valid_until >= today),
        )
        .values(status=DECISION_STATUS[kind].value)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.expire(quote)
        raise Conflict(ALREADY_ANSWERED)
    decision = QuoteDecision(
        company_id=quote.company_id,
        quote_id=quote.id,
        revision=revision,
        decision=kind,
        contact_id=contact.id if contact else None,
        signed_name=signed_name or None,
        message=message or None,
        ip_address=(evidence.ip_address or "")[:45] or None,
        user_agent=(evidence.user_agent or "")[:300] or None,
        quote_sha256=fingerprint,
    )
    try:
        with db.session.begin_nested():
            db.session.add(decision)
    except IntegrityError as error:
        raise Conflict(ALREADY_ANSWERED) from error
    db.session.expire(quote, ["status", "decisions"])
    audit.record(
        quote.company_id,
        f"quote.{kind.value}",
        actor=contact,
        subject=quote,
        customer_id=quote.customer_id,
        revision=revision,
    )
    return decision


def convert_to_job(quote: Quote, *, by: StaffUser | None = None) -> Job:
    """An unscheduled job from an accepted quote (once: the quote then points at it);
    Conflict for a quote not accepted or already a job."""
    if quote.status != QuoteStatus.ACCEPTED:
        raise Conflict("Only an accepted quote can become a job.")
    if quote.job_id is not None:
        raise Conflict("This quote is already a job.")
    lines = "\n".join(f"{line.quantity:g} × {line.description}" for line in quote.lines)
    job = Job(
        company_id=quote.company_id,
        customer_id=quote.customer_id,
        number=next_number(quote.company_id, "job"),
        site_id=quote.site_id,
        vehicle_id=quote.vehicle_id,
        asset_id=quote.asset_id,
        title=quote.title,
        description=f"From quote #{quote.number}\n{lines}".strip(),
        status=JobStatus.UNSCHEDULED,
    )
    db.session.add(job)
    db.session.flush()
    linked = db.session.execute(
        update(Quote)
        .where(Quote.id == quote.id, Quote.job_id.is_(None))
        .values(job_id=job.id)
        .execution_options(synchronize_session=False)
    )
    if linked.rowcount != 1:
        raise Conflict("This quote is already a job.")
    db.session.expire(quote, ["job_id", "job"])
    audit.record(quote.company_id, "quote.converted", actor=by, subject=quote, job_id=job.id)
    return job


def detail_options() -> tuple:
    """Loader options for a quote page: its customer, lines and decisions (with the contact
    who made each) and its job, so that rendering it reads nothing more."""
    return (
        joinedload(Quote.customer),
        joinedload(Quote.job),
        selectinload(Quote.lines),
        selectinload(Quote.decisions).joinedload(QuoteDecision.contact),
    )


@dataclass(frozen=True, kw_only=True)
class QuoteQuery(StatusListQuery):
    """The quote list: a status filter, newest number first."""

    SORTS = ("number",)
    DEFAULT_DIRECTION = "desc"
    STATUS_FILTERS = STATUS_FILTERS


def quote_select(company: Company, query: QuoteQuery, today: date) -> Select:
    """The company's quotes as the list shows them, filtered and sorted, with their
    customer: the list pages it, the CSV export reads it whole."""
    statement = select(Quote).where(Quote.company_id == company.id)
    if query.status == QuoteStatus.EXPIRED.value:
        statement = statement.where(expired_clause(today))
    elif query.status == QuoteStatus.SENT.value:
        statement = statement.where(awaiting_clause(today))
    elif query.status != "all":
        statement = statement.where(Quote.status == QuoteStatus(query.status))
    number = Quote.number.desc() if query.descending else Quote.number.asc()
    return statement.options(joinedload(Quote.customer)).order_by(number)


def quote_list(company: Company, query: QuoteQuery) -> Page[tuple[Quote, QuoteStatus]]:
    """One page of the company's quotes, filtered, each with the status it shows."""
    today = company_today(company)
    page = paginate(
        quote_select(company, query, today),
        query,
        per_page=QUOTES_PER_PAGE,
        count_limit=COUNT_LIMIT,
    )
    return page.map(lambda quote: (quote, effective_status(quote, today)))
