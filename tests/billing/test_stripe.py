"""Stripe Checkout and webhooks against the stand-in API, with Stripe-style signatures."""

import time

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    CheckoutStatus,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    StripeEvent,
)
from fieldportal.services.billing import invoices, payments
from fieldportal.services.billing.money import open_ar_cents
from fieldportal.services.errors import Invalid
from tests.helpers import first_contact

from .stripe_standin import (
    WEBHOOK_SECRET,
    completed_session,
    event_payload,
    refunded_charge,
    sign,
)


def post_event(client, payload, signature=None, **kwargs):
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["Stripe-Signature"] = signature or sign(payload)
    return client.post("/webhooks/stripe", data=payload, headers=headers, csrf=False, **kwargs)


@pytest.fixture
def two_invoices(db, create, customer):
    first = create.invoice(customer, lines=(("Brakes", 12_000),))
    second = create.invoice(customer, lines=(("Tyres", 30_000),))
    return first, second


def checkout_for(customer, invoices_, partial=None):
    allocations = payments.plan_allocations(customer, list(invoices_), partial)
    checkout, url = payments.start_checkout(
        customer,
        allocations,
        contact=first_contact(customer),
        success_url="https://portal.example.test/done/{CHECKOUT_ID}",
        cancel_url="https://portal.example.test/cancel",
    )
    return checkout, url


def test_checkout_session_has_server_amounts_and_idempotency_key(
    db, stripe_on, customer, two_invoices
):
    first, second = two_invoices
    checkout, url = checkout_for(customer, two_invoices)
    request = stripe_on.requests[-1]
    assert request["path"] == "/v1/checkout/sessions"
    assert request["idempotency_key"].startswith(
        f"fieldportal-checkout-{customer.company_id}-{checkout.id}-"
    )
    assert request["authorization"] == "Bearer sk_test_standin"
    items = request["params"]["line_items"]
    assert [int(i["price_data"]["unit_amount"]) for i in items] == [12_000, 30_000]
    assert {i["price_data"]["currency"] for i in items} == {"usd"}
    assert request["params"]["metadata"]["checkout_id"] == str(checkout.id)
    assert request["params"]["success_url"] == f"https://portal.example.test/done/{checkout.id}"
    assert checkout.amount_cents == 42_000
    assert checkout.checkout_session_id.startswith("cs_test_")
    assert url.endswith(checkout.checkout_session_id)
    assert {(a.invoice_id, a.amount_cents) for a in checkout.allocations} == {
        (first.id, 12_000),
        (second.id, 30_000),
    }


def test_partial_amount_and_its_limits(db, stripe_on, customer, two_invoices):
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first], partial=5_000)
    assert checkout.amount_cents == 5_000
    for bad in (0, -1, 12_001):
        with pytest.raises(Invalid):
            payments.plan_allocations(customer, [first], bad)
    with pytest.raises(Invalid):
        payments.plan_allocations(customer, list(two_invoices), 1_000)


def test_only_own_open_invoices_can_be_paid(db, create, company, other_company, customer):
    stranger = create.customer(company)
    theirs = create.invoice(stranger)
    draft = create.invoice(customer, status=InvoiceStatus.DRAFT)
    paid = create.invoice(customer, status=InvoiceStatus.PAID, amount_paid_cents=10_000)
    void = create.invoice(customer, status=InvoiceStatus.VOID)
    for invoice in (theirs, draft, paid, void):
        with pytest.raises(Invalid):
            payments.plan_allocations(customer, [invoice])


def test_completed_webhook_pays_each_invoice_once(client, db, stripe_on, customer, two_invoices):
    first, second = two_invoices
    checkout, _ = checkout_for(customer, two_invoices)
    session = stripe_on.sessions[checkout.checkout_session_id]
    payload = event_payload("checkout.session.completed", completed_session(session), "evt_1")
    for _ in range(3):
        response = post_event(client, payload)
        assert response.status_code == 200
    assert db.session.scalar(select(func.count(Payment.id))) == 2
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 1
    db.session.expire_all()
    assert first.status == InvoiceStatus.PAID and second.status == InvoiceStatus.PAID
    assert checkout.status == CheckoutStatus.PAID
    assert checkout.payment_intent_id == session["payment_intent"]
    assert open_ar_cents(customer.company_id) == 0
    methods = set(db.session.scalars(select(Payment.method)))
    assert methods == {PaymentMethod.CARD}


def test_a_different_event_for_the_same_session_pays_nothing_more(
    client, db, stripe_on, customer, two_invoices
):
    checkout, _ = checkout_for(customer, two_invoices)
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
    assert (
        post_event(
            client, event_payload("checkout.session.completed", session, "evt_a")
        ).status_code
        == 200
    )
    assert (
        post_event(
            client, event_payload("checkout.session.async_payment_succeeded", session, "evt_b")
        ).status_code
        == 200
    )
    assert db.session.scalar(select(func.count(Payment.id))) == 2
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 2


def test_async_payment_waits_then_succeeds_or_fails(client, db, stripe_on, customer, two_invoices):
    first, second = two_invoices
    checkout, _ = checkout_for(customer, [first])
    session = stripe_on.sessions[checkout.checkout_session_id]
    pending = {**session, "status": "complete", "payment_status": "unpaid"}
    post_event(client, event_payload("checkout.session.completed", pending, "evt_p1"))
    db.session.expire_all()
    assert checkout.status == CheckoutStatus.OPEN and first.status == InvoiceStatus.SENT
    post_event(
        client,
        event_payload(
            "checkout.session.async_payment_succeeded", completed_session(session), "evt_p2"
        ),
    )
    db.session.expire_all()
    assert checkout.status == CheckoutStatus.PAID and first.status == InvoiceStatus.PAID

    other, _ = checkout_for(customer, [second])
    failing = stripe_on.sessions[other.checkout_session_id]
    post_event(client, event_payload("checkout.session.async_payment_failed", failing, "evt_p3"))
    db.session.expire_all()
    assert other.status == CheckoutStatus.FAILED and second.status == InvoiceStatus.SENT
    # a late success for a failed checkout records nothing
    post_event(
        client,
        event_payload(
            "checkout.session.async_payment_succeeded", completed_session(failing), "evt_p4"
        ),
    )
    db.session.expire_all()
    assert second.amount_paid_cents == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount_total": 1}, "amount"),
        ({"currency": "eur"}, "currency"),
        ({"metadata": {"checkout_id": "1", "company_id": "999999"}}, "company"),
    ],
)
def test_mismatch_is_held_not_paid(client, db, stripe_on, customer, two_invoices, change, reason):
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first])
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id], **change)
    response = post_event(client, event_payload("checkout.session.completed", session, "evt_m"))
    assert response.status_code == 200
    db.session.expire_all()
    assert checkout.status == CheckoutStatus.HELD
    assert reason in checkout.hold_reason
    assert first.status == InvoiceStatus.SENT and first.amount_paid_cents == 0
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_checkout_that_would_overpay_is_held(client, db, stripe_on, customer, two_invoices, owner):
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first])
    invoices.record_payment(first, amount_cents=12_000, method=PaymentMethod.CASH, by=owner)
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
    post_event(client, event_payload("checkout.session.completed", session, "evt_o"))
    db.session.expire_all()
    assert checkout.status == CheckoutStatus.HELD
    assert "overpay" in checkout.hold_reason
    assert first.amount_paid_cents == 12_000
    assert (
        db.session.scalar(select(func.count(Payment.id)).where(Payment.checkout_id == checkout.id))
        == 0
    )


def test_partial_payments_add_up(client, db, stripe_on, customer, two_invoices):
    first, _ = two_invoices
    for n, amount in enumerate((5_000, 7_000)):
        checkout, _ = checkout_for(customer, [first], partial=amount)
        session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
        post_event(client, event_payload("checkout.session.completed", session, f"evt_pp{n}"))
        db.session.expire_all()
    assert first.amount_paid_cents == 12_000
    assert first.status == InvoiceStatus.PAID


def test_refunds_reduce_paid_total_once(client, db, stripe_on, customer, two_invoices):
    first, second = two_invoices
    checkout, _ = checkout_for(customer, two_invoices)
    session = stripe_on.sessions[checkout.checkout_session_id]
    post_event(
        client, event_payload("checkout.session.completed", completed_session(session), "evt_r0")
    )
    partial = event_payload("charge.refunded", refunded_charge(session, 10_000), "evt_r1")
    post_event(client, partial)
    post_event(client, partial)  # duplicate delivery
    db.session.expire_all()
    assert checkout.refunded_cents == 10_000
    assert first.amount_paid_cents + second.amount_paid_cents == 32_000
    assert open_ar_cents(customer.company_id) == 10_000
    # a later event carries the cumulative amount: only the increase comes off
    post_event(client, event_payload("charge.refunded", refunded_charge(session, 42_000), "evt_r2"))
    db.session.expire_all()
    assert checkout.refunded_cents == 42_000
    assert first.amount_paid_cents == 0 and second.amount_paid_cents == 0
    assert first.status == InvoiceStatus.SENT and second.status == InvoiceStatus.SENT
    # an older event arriving late changes nothing
    post_event(client, event_payload("charge.refunded", refunded_charge(session, 10_000), "evt_r3"))
    db.session.expire_all()
    assert first.amount_paid_cents + second.amount_paid_cents == 0


def test_refund_before_its_payment_is_retried_later(client, db, stripe_on, customer, two_invoices):
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first])
    session = stripe_on.sessions[checkout.checkout_session_id]
    early = event_payload("charge.refunded", refunded_charge(session, 12_000), "evt_early")
    assert post_event(client, early).status_code == 409  # Stripe retries non-2xx
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    post_event(
        client, event_payload("checkout.session.completed", completed_session(session), "evt_late")
    )
    assert post_event(client, early).status_code == 200
    db.session.expire_all()
    assert first.amount_paid_cents == 0 and checkout.refunded_cents == 12_000


def test_bad_signatures_are_refused(client, db, stripe_on, customer, two_invoices):
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first])
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
    payload = event_payload("checkout.session.completed", session, "evt_sig")
    changed = payload.replace("12000", "12001")
    assert post_event(client, changed, signature=sign(payload)).status_code == 400
    assert (
        post_event(client, payload, signature=sign(payload, secret="whsec_wrong")).status_code
        == 400
    )
    assert post_event(client, payload, signature=False).status_code == 400
    assert post_event(client, payload, signature="garbage").status_code == 400
    stale = sign(payload, timestamp=int(time.time()) - 301)
    assert post_event(client, payload, signature=stale).status_code == 400
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    db.session.expire_all()
    assert first.status == InvoiceStatus.SENT
    recent = sign(payload, timestamp=int(time.time()) - 290)
    assert post_event(client, payload, signature=recent).status_code == 200


def test_webhook_needs_no_csrf_but_other_posts_do(client, db, stripe_on):
    payload = event_payload("customer.created", {"id": "cus_1"}, "evt_x")
    assert post_event(client, payload).status_code == 200
    assert client.post("/logout", csrf=False).status_code == 400


def test_without_secret_key_online_payment_is_off(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")
    with app.test_request_context():
        assert not payments.online_payments_enabled()


@pytest.mark.parametrize("unset", ["", "  ", None])
def test_without_a_webhook_secret_no_event_is_believed(
    app, client, db, stripe_on, customer, two_invoices, monkeypatch, unset
):
    """An empty secret is a key anyone can sign with: HMAC accepts b"" as a key."""
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first])
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
    payload = event_payload("checkout.session.completed", session, "evt_unsigned")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", unset)
    for signature in (sign(payload, secret=""), sign(payload, secret=WEBHOOK_SECRET)):
        response = post_event(client, payload, signature=signature)
        assert response.status_code == 400
        assert response.get_json() == {"error": "invalid signature"}
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    db.session.expire_all()
    assert first.status == InvoiceStatus.SENT and first.amount_paid_cents == 0
    assert checkout.status == CheckoutStatus.OPEN


def test_events_out_of_order_pay_once_and_a_late_failure_changes_nothing(
    client, db, stripe_on, customer, two_invoices
):
    first, _ = two_invoices
    checkout, _ = checkout_for(customer, [first])
    session = stripe_on.sessions[checkout.checkout_session_id]
    paid = completed_session(session)
    pending = {**session, "status": "complete", "payment_status": "unpaid"}
    # the async success overtakes the "completed, unpaid" event, which then arrives late
    for event_type, obj, event_id in (
        ("checkout.session.async_payment_succeeded", paid, "evt_o1"),
        ("checkout.session.completed", pending, "evt_o2"),
        ("checkout.session.async_payment_failed", session, "evt_o3"),
        ("checkout.session.completed", paid, "evt_o4"),
    ):
        assert post_event(client, event_payload(event_type, obj, event_id)).status_code == 200
    db.session.expire_all()
    assert checkout.status == CheckoutStatus.PAID
    assert first.status == InvoiceStatus.PAID and first.amount_paid_cents == 12_000
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 4
