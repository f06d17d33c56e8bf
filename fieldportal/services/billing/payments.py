"""Stripe payments: Checkout Sessions for one or several invoices, and webhook fulfilment.

Rules (QUALITY.md 24–27):
- Amounts come from the server: what to charge is computed here from invoice balances,
  never read from a form. A Checkout Session is created with an idempotency key.
- A webhook event is processed once: its id is stored in StripeEvent (unique) in the same
  transaction as its effects; a checkout moves open → paid with one guarded UPDATE, so
  duplicates and racing events record one payment (and Payment is unique per checkout
  and invoice, CheckoutPayment.payment_intent_id is unique).
- A session whose amount, currency or company differs from what we asked for is HELD for
  a person to review, and pays nothing. A checkout that would overpay an invoice (paid
  meanwhile by other means) is HELD too.
- ``charge.refunded`` carries the cumulative refunded amount, so applying it is
  idempotent: only the increase over what we already recorded comes off the invoices.
"""

import logging
import secrets
from dataclasses import dataclass

import stripe
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import (
    CheckoutAllocation,
    CheckoutPayment,
    CheckoutStatus,
    Company,
    Contact,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    StripeEvent,
    utcnow,
)
from .. import audit
from ..errors import Conflict, Invalid
from .invoices import apply_payment, reverse_payment

log = logging.getLogger(__name__)


def online_payments_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def stripe_client() -> stripe.StripeClient:
    """A Stripe client for our account (STRIPE_API_BASE points tests at a stand-in)."""
    base = current_app.config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        current_app.config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
    )


# Stripe's largest single charge (in cents, for two-decimal currencies such as USD).
CHECKOUT_MAX_CENTS = 99_999_999


@dataclass(frozen=True)
class Allocation:
    invoice: Invoice
    amount_cents: int


def plan_allocations(
    customer: Customer, invoices: list[Invoice], partial_cents: int | None = None
) -> list[Allocation]:
    """What a Checkout pays: each invoice's balance, or for a single invoice a chosen
    partial amount (0 < amount ≤ balance). Raises Invalid for anything else."""
    if not invoices:
        raise Invalid("Choose at least one invoice to pay.")
    if partial_cents is not None and len(invoices) != 1:
        raise Invalid("A partial amount can be paid on one invoice at a time.")
    allocations = []
    for invoice in invoices:
        if invoice.customer_id != customer.id or invoice.company_id != customer.company_id:
            raise Invalid("That invoice is not yours to pay.")
        if invoice.status != InvoiceStatus.SENT or invoice.balance_cents <= 0:
            raise Invalid(f"Invoice #{invoice.number} has nothing left to pay.")
        amount = invoice.balance_cents if partial_cents is None else partial_cents
        if amount <= 0:
            raise Invalid("The amount must be more than zero.")
        if amount > invoice.balance_cents:
            raise Invalid(f"The amount is more than the balance of invoice #{invoice.number}.")
        allocations.append(Allocation(invoice, amount))
    if sum(a.amount_cents for a in allocations) > CHECKOUT_MAX_CENTS:
        raise Invalid(
            "That is more than one online payment can take (999,999.99); "
            "pay fewer invoices at once or a part of the balance."
        )
    return allocations


def start_checkout(
    customer: Customer,
    allocations: list[Allocation],
    *,
    contact: Contact | None,
    success_url,
    cancel_url: str,
) -> tuple[CheckoutPayment, str]:
    """Record a checkout and create its Stripe Checkout Session; returns (checkout, url).

    ``success_url`` is a string (``{CHECKOUT_ID}`` in it is replaced by our checkout id)
    or a function of the checkout id returning the URL.
    """
    company = Company.owning(customer)
    checkout = CheckoutPayment(
        company_id=customer.company_id,
        customer_id=customer.id,
        contact_id=contact.id if contact else None,
        amount_cents=sum(a.amount_cents for a in allocations),
        currency=company.currency.upper(),
        status=CheckoutStatus.OPEN,
        allocations=[
            CheckoutAllocation(invoice_id=a.invoice.id, amount_cents=a.amount_cents)
            for a in allocations
        ],
    )
    db.session.add(checkout)
    db.session.flush()
    metadata = {
        "checkout_id": str(checkout.id),
        "company_id": str(company.id),
        "customer_id": str(customer.id),
    }
    params = {
        "mode": "payment",
        "client_reference_id": str(checkout.id),
        "success_url": success_url(checkout.id)
        if callable(success_url)
        else success_url.replace("{CHECKOUT_ID}", str(checkout.id)),
        "cancel_url": cancel_url,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": checkout.currency.lower(),
                    "unit_amount": a.amount_cents,
                    "product_data": {
                        "name": f"{company.name} invoice #{a.invoice.number}"
                        + ("" if a.amount_cents == a.invoice.balance_cents else " (part payment)")
                    },
                },
            }
            for a in allocations
        ],
    }
    if contact is not None and contact.email:
        params["customer_email"] = contact.email
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=params,
            # The library resends with the same key on network retries; the random part
            # keeps a re-created database from colliding with Stripe's 24-hour key memory.
            options={
                "idempotency_key": f"fieldportal-checkout-{company.id}-{checkout.id}-"
                + secrets.token_hex(6)
            },
        )
    except stripe.StripeError as error:
        log.warning("Stripe refused a Checkout Session: %s", error)
        raise Invalid("Online payment is unavailable right now. Please try again.") from error
    checkout.checkout_session_id = session.id
    audit.record(
        company.id,
        "payment.checkout_started",
        actor=contact,
        subject=checkout,
        customer_id=customer.id,
        amount_cents=checkout.amount_cents,
    )
    db.session.flush()
    return checkout, session.url


# --- Webhook -------------------------------------------------------------------------

HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "charge.refunded",
)


def handle_event(event: dict) -> str:
    """Apply one verified Stripe event exactly once; returns what happened (for logs).

    Raises Conflict when the event is about a payment we have not recorded yet (or a
    concurrent event changed its checkout): the request is rolled back, so the event is
    not marked processed, and answered 409 for Stripe to send it again.
    """
    event_type = event.get("type", "")
    if event_type not in HANDLED_EVENTS:
        return "ignored"
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(event_id=event["id"], event_type=event_type))
    except IntegrityError:
        return "duplicate"
    obj = event["data"]["object"]
    if event_type == "checkout.session.completed":
        if obj.get("payment_status") in ("paid", "no_payment_required"):
            return _fulfil(obj)
        return "awaiting async payment"
    if event_type == "checkout.session.async_payment_succeeded":
        return _fulfil(obj)
    if event_type == "checkout.session.async_payment_failed":
        return _fail(obj)
    return _refund(obj)


def _checkout_for_session(session: dict) -> CheckoutPayment | None:
    return db.session.scalar(
        select(CheckoutPayment).where(CheckoutPayment.checkout_session_id == session.get("id"))
    )


def _mismatch(checkout: CheckoutPayment, session: dict) -> str | None:
    metadata = session.get("metadata") or {}
    if str(metadata.get("company_id")) != str(checkout.company_id) or str(
        metadata.get("checkout_id")
    ) != str(checkout.id):
        return "company or checkout in the session does not match"
    if session.get("amount_total") != checkout.amount_cents:
        return f"amount {session.get('amount_total')} ≠ expected {checkout.amount_cents}"
    if str(session.get("currency", "")).upper() != checkout.currency.upper():
        return f"currency {session.get('currency')} ≠ expected {checkout.currency}"
    return None


def _hold(checkout: CheckoutPayment, reason: str, payment_intent: str | None) -> str:
    db.session.execute(
        update(CheckoutPayment)
        .where(CheckoutPayment.id == checkout.id, CheckoutPayment.status == CheckoutStatus.OPEN)
        .values(
            status=CheckoutStatus.HELD.value,
            hold_reason=reason,
            payment_intent_id=payment_intent,
            completed_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(checkout)
    audit.record(checkout.company_id, "payment.held", subject=checkout, reason=reason)
    log.warning("Checkout %s held: %s", checkout.id, reason)
    return f"held: {reason}"


def _fulfil(session: dict) -> str:
    checkout = _checkout_for_session(session)
    if checkout is None:
        log.warning("Checkout session %s is not ours", session.get("id"))
        return "unknown session"
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    reason = _mismatch(checkout, session)
    if reason:
        return _hold(checkout, reason, payment_intent)
    moved = db.session.execute(
        update(CheckoutPayment)
        .where(CheckoutPayment.id == checkout.id, CheckoutPayment.status == CheckoutStatus.OPEN)
        .values(
            status=CheckoutStatus.PAID.value,
            payment_intent_id=payment_intent,
            completed_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return "already fulfilled"
    allocations = db.session.scalars(
        select(CheckoutAllocation)
        .where(CheckoutAllocation.checkout_id == checkout.id)
        .order_by(CheckoutAllocation.invoice_id)
    ).all()
    try:
        with db.session.begin_nested():
            for allocation in allocations:
                if not apply_payment(allocation.invoice_id, allocation.amount_cents):
                    raise _WouldOverpay(allocation.invoice_id)
                db.session.add(
                    Payment(
                        company_id=checkout.company_id,
                        invoice_id=allocation.invoice_id,
                        checkout_id=checkout.id,
                        method=PaymentMethod.CARD,
                        amount_cents=allocation.amount_cents,
                        reference=payment_intent,
                    )
                )
            db.session.flush()
    except _WouldOverpay as error:
        db.session.execute(
            update(CheckoutPayment)
            .where(CheckoutPayment.id == checkout.id)
            .values(
                status=CheckoutStatus.HELD.value,
                hold_reason=f"would overpay invoice id {error.invoice_id}; refund or reallocate",
            )
            .execution_options(synchronize_session=False)
        )
        db.session.expire(checkout)
        return "held: would overpay"
    db.session.expire(checkout)
    audit.record(
        checkout.company_id,
        "payment.received",
        subject=checkout,
        customer_id=checkout.customer_id,
        amount_cents=checkout.amount_cents,
    )
    return "paid"


class _WouldOverpay(Exception):
    def __init__(self, invoice_id: int):
        super().__init__(invoice_id)
        self.invoice_id = invoice_id


def _fail(session: dict) -> str:
    checkout = _checkout_for_session(session)
    if checkout is None:
        return "unknown session"
    db.session.execute(
        update(CheckoutPayment)
        .where(CheckoutPayment.id == checkout.id, CheckoutPayment.status == CheckoutStatus.OPEN)
        .values(status=CheckoutStatus.FAILED.value)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(checkout)
    return "failed"


def _refund(charge: dict) -> str:
    payment_intent = charge.get("payment_intent")
    checkout = db.session.scalar(
        select(CheckoutPayment).where(CheckoutPayment.payment_intent_id == payment_intent)
    )
    if checkout is None:
        if (charge.get("metadata") or {}).get("checkout_id"):
            raise Conflict(f"refund for {payment_intent} arrived before its payment")
        return "unknown charge"
    target = min(int(charge.get("amount_refunded") or 0), checkout.amount_cents)
    previous = checkout.refunded_cents
    if target <= previous:
        return "refund already applied"
    moved = db.session.execute(
        update(CheckoutPayment)
        .where(CheckoutPayment.id == checkout.id, CheckoutPayment.refunded_cents == previous)
        .values(refunded_cents=target)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict("a concurrent refund event changed this checkout")
    db.session.expire(checkout)
    remaining = target - previous
    if checkout.status != CheckoutStatus.PAID:
        return "refund recorded (nothing was applied to invoices)"
    payments = db.session.scalars(
        select(Payment).where(Payment.checkout_id == checkout.id).order_by(Payment.id.desc())
    ).all()
    for payment in payments:
        take = min(remaining, payment.amount_cents - payment.refunded_cents)
        if take <= 0:
            continue
        payment.refunded_cents += take
        reverse_payment(payment.invoice_id, take)
        remaining -= take
        if remaining == 0:
            break
    db.session.flush()
    audit.record(
        checkout.company_id,
        "payment.refunded",
        subject=checkout,
        customer_id=checkout.customer_id,
        amount_cents=target - previous,
    )
    return "refunded"
