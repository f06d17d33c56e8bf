"""Quotes in every status (with the customer's answers) and invoices in every status,
with partial and full payments."""

from datetime import date, timedelta

from ..models import (
    BillingTerms,
    Invoice,
    InvoiceStatus,
    LineItem,
    Payment,
    PaymentMethod,
    Quote,
    QuoteDecision,
    QuoteDecisionKind,
    QuoteStatus,
)
from .catalog import PARTS, QUOTE_TITLES, UNIT_PRICES_CENTS
from .context import CompanyData

DECISIONS = {
    QuoteStatus.ACCEPTED: QuoteDecisionKind.ACCEPTED,
    QuoteStatus.REJECTED: QuoteDecisionKind.REJECTED,
    QuoteStatus.CHANGES_REQUESTED: QuoteDecisionKind.CHANGES_REQUESTED,
}
# An invoice's status by its index modulo 10; the SENT ones at 2 and 9 are part paid.
INVOICE_STATUSES = [
    InvoiceStatus.DRAFT,
    InvoiceStatus.SENT,
    InvoiceStatus.SENT,
    InvoiceStatus.SENT,
    InvoiceStatus.PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.VOID,
    InvoiceStatus.SENT,
]
PART_PAID_ROLLS = (2, 9)
TERM_DAYS = {BillingTerms.NET_15: 15, BillingTerms.NET_30: 30}
PAYMENT_METHODS = [
    PaymentMethod.CASH,
    PaymentMethod.CHECK,
    PaymentMethod.BANK_TRANSFER,
    PaymentMethod.CARD,
]


def add_line_items(data: CompanyData, parent: str, parent_id: int, count: int) -> tuple[int, int]:
    """Line items for a quote or invoice: labour first (untaxed), then taxed parts.
    Returns (subtotal, tax) in cents."""
    rng = data.rng
    subtotal = taxable_total = 0
    for position in range(count):
        quantity = rng.choice([1, 1, 1, 2, 4])
        unit = rng.choice(UNIT_PRICES_CENTS)
        taxable = position != 0
        amount = quantity * unit
        data.add(
            LineItem,
            quote_id=parent_id if parent == "quote" else None,
            invoice_id=parent_id if parent == "invoice" else None,
            position=position,
            description=rng.choice(PARTS) if taxable else "Labour",
            quantity=quantity,
            unit_price_cents=unit,
            taxable=taxable,
            amount_cents=amount,
        )
        subtotal += amount
        taxable_total += amount if taxable else 0
    tax = (taxable_total * data.spec["tax_rate_ppm"] + 500_000) // 1_000_000
    return subtotal, tax


def add_quotes(data: CompanyData) -> None:
    statuses = list(QuoteStatus)
    demo_customers = data.demo_customers()
    for index in range(data.scale.quotes):
        if index < 18:
            # The three demo customers each get a quote in every status.
            customer = demo_customers[index % len(demo_customers)]
            status = statuses[index // 3 % len(statuses)]
        else:
            customer = data.customers[data.rng.randrange(len(data.customers))]
            status = statuses[index % len(statuses)]
        quote = _add_quote(data, customer, status)
        if status in DECISIONS:
            _add_decision(data, customer, quote, DECISIONS[status])


def _add_quote(data: CompanyData, customer: dict, status: QuoteStatus) -> dict:
    rng = data.rng
    quote_id = data.new_id(Quote)
    created = data.now - timedelta(days=rng.randint(1, 90))
    subtotal, tax = add_line_items(data, "quote", quote_id, rng.randint(1, 4))
    if status == QuoteStatus.EXPIRED:
        valid_until = data.today - timedelta(days=rng.randint(1, 20))
    else:
        valid_until = data.today + timedelta(days=rng.randint(5, 30))
    vehicles = data.vehicles_by_customer.get(customer["id"]) or []
    return data.add(
        Quote,
        id=quote_id,
        number=data.number("quote"),
        customer_id=customer["id"],
        vehicle_id=vehicles[0]["id"] if vehicles else None,
        title=rng.choice(QUOTE_TITLES),
        status=status,
        revision=1,
        valid_until=valid_until,
        tax_rate_ppm=data.spec["tax_rate_ppm"],
        subtotal_cents=subtotal,
        tax_cents=tax,
        total_cents=subtotal + tax,
        sent_at=created if status != QuoteStatus.DRAFT else None,
        created_at=created,
        updated_at=created,
    )


def _add_decision(
    data: CompanyData, customer: dict, quote: dict, decision: QuoteDecisionKind
) -> None:
    contact = data.contacts_by_customer[customer["id"]][0]
    data.add(
        QuoteDecision,
        quote_id=quote["id"],
        revision=1,
        decision=decision,
        contact_id=contact["id"],
        signed_name=contact["name"] if decision == QuoteDecisionKind.ACCEPTED else None,
        message="Could you quote OEM pads instead?"
        if decision == QuoteDecisionKind.CHANGES_REQUESTED
        else None,
        ip_address="203.0.113.10",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
        quote_sha256=f"{quote['id']:064x}",
        decided_at=quote["created_at"] + timedelta(days=1),
    )


def add_invoices(data: CompanyData) -> None:
    """Every other invoice bills a completed job; the rest are for demo customers first,
    then anyone."""
    jobs = data.completed_jobs
    demo_customers = data.demo_customers()
    for index in range(data.scale.invoices):
        job = jobs[index % len(jobs)] if index % 2 == 0 else None
        if job is not None:
            customer = data.customer_by_id[job["customer_id"]]
        elif index < 24:
            customer = demo_customers[index % len(demo_customers)]
        else:
            customer = data.customers[data.rng.randrange(len(data.customers))]
        _add_invoice(data, index, customer, job)


def _issued_on(data: CompanyData, index: int) -> date:
    """Within five months; every fourth invoice within the last 25 days."""
    return data.today - timedelta(days=data.rng.randint(0, 150 if index % 4 else 25))


def _add_invoice(data: CompanyData, index: int, customer: dict, job: dict | None) -> None:
    roll = index % 10
    status = INVOICE_STATUSES[roll]
    invoice_id = data.new_id(Invoice)
    issued = _issued_on(data, index)
    terms = customer["billing_terms"]
    subtotal, tax = add_line_items(data, "invoice", invoice_id, data.rng.randint(1, 4))
    total = subtotal + tax
    payments = []
    if status == InvoiceStatus.PAID:
        payments = [total]
    elif status == InvoiceStatus.SENT and roll in PART_PAID_ROLLS:
        payments = [total // 3]
    data.add(
        Invoice,
        id=invoice_id,
        number=data.number("invoice"),
        customer_id=customer["id"],
        job_id=job["id"] if job else None,
        status=status,
        billing_terms=terms,
        **_invoice_dates(data, status, issued, terms),
        tax_rate_ppm=data.spec["tax_rate_ppm"],
        subtotal_cents=subtotal,
        tax_cents=tax,
        total_cents=total,
        amount_paid_cents=sum(payments),
        created_at=data.local(issued, 8),
        updated_at=data.local(issued, 8),
    )
    for amount in payments:
        _add_payment(data, invoice_id, amount, issued)


def _invoice_dates(data: CompanyData, status: InvoiceStatus, issued: date, terms) -> dict:
    """When it was issued, due, sent, paid or voided; a draft has not been issued."""
    dates = {"issued_on": None, "due_on": None, "sent_at": None, "paid_at": None}
    if status != InvoiceStatus.DRAFT:
        dates["issued_on"] = issued
        dates["due_on"] = issued + timedelta(days=TERM_DAYS.get(terms, 0))
        dates["sent_at"] = data.local(issued, 9)
    if status == InvoiceStatus.PAID:
        dates["paid_at"] = data.local(issued, 15)
    void = status == InvoiceStatus.VOID
    dates["voided_at"] = data.local(issued, 16) if void else None
    dates["void_reason"] = "Duplicate of another invoice" if void else None
    return dates


def _add_payment(data: CompanyData, invoice_id: int, amount: int, issued: date) -> None:
    rng = data.rng
    data.add(
        Payment,
        invoice_id=invoice_id,
        method=rng.choice(PAYMENT_METHODS),
        amount_cents=amount,
        refunded_cents=0,
        reference=f"REF{rng.randint(10000, 99999)}",
        received_at=data.local(min(issued + timedelta(days=3), data.today), 12),
        recorded_by_id=data.owner_id,
    )
