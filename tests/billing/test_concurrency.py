"""Races on PostgreSQL with real commits: duplicate webhooks, concurrent quote answers."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from fieldportal.models import (
    CheckoutPayment,
    Customer,
    Invoice,
    InvoiceStatus,
    Payment,
    Quote,
    QuoteDecision,
    QuoteDecisionKind,
    StripeEvent,
)
from fieldportal.services.billing import payments, quotes
from fieldportal.services.errors import Conflict
from tests import factories

from .conftest import line
from .stripe_standin import completed_session, event_payload, sign

pytestmark = [pytest.mark.postgres_only]


def run_together(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def runner(n):
        try:
            barrier.wait()
            results.append(work(n))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_ten_identical_webhooks_record_one_payment(app, committed_db, stripe_on):
    db = committed_db
    company = factories.create_company(slug="race-co")
    customer = factories.create_customer(company)
    factories.create_contact(customer)
    invoice = factories.create_invoice(customer, lines=(("Service", 20_000),))
    with app.test_request_context():
        allocations = payments.plan_allocations(customer, [invoice])
        checkout, _ = payments.start_checkout(
            customer,
            allocations,
            contact=None,
            success_url="https://x.test/ok",
            cancel_url="https://x.test/no",
        )
    db.session.commit()
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
    payload = event_payload("checkout.session.completed", session, "evt_race_1")

    def deliver(_):
        client = app.test_client()
        response = client.post(
            "/webhooks/stripe",
            data=payload,
            headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
            csrf=False,
        )
        return response.status_code

    statuses, errors = run_together(10, deliver)
    assert errors == []
    assert statuses == [200] * 10
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Payment.id))) == 1
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 1
    paid = db.session.get(Invoice, invoice.id)
    assert paid.status == InvoiceStatus.PAID and paid.amount_paid_cents == 20_000
    assert db.session.get(CheckoutPayment, checkout.id).status.value == "paid"


def test_twenty_concurrent_answers_one_wins(app, committed_db):
    db = committed_db
    company = factories.create_company(slug="race-quotes")
    customer = factories.create_customer(company)
    with app.test_request_context():
        quote = quotes.create_quote(customer, title="Race", lines=[line()])
        quotes.send_quote(quote)
    db.session.commit()
    quote_id = quote.id

    def answer(n):
        with app.app_context():
            # What the portal's quote loader brings: its customer, company and lines.
            own = db.session.get(
                Quote,
                quote_id,
                options=[
                    joinedload(Quote.customer).joinedload(Customer.company),
                    selectinload(Quote.lines),
                ],
            )
            kind = QuoteDecisionKind.ACCEPTED if n % 2 else QuoteDecisionKind.REJECTED
            try:
                quotes.decide(
                    own,
                    kind,
                    contact=None,
                    evidence=quotes.Evidence("198.51.100.1", "test"),
                    signed_name=f"Person {n}",
                )
                db.session.commit()
                return "won"
            except Conflict:
                db.session.rollback()
                return "already answered"
            finally:
                db.session.remove()

    results, errors = run_together(20, answer)
    assert errors == []
    assert sorted(results) == ["already answered"] * 19 + ["won"]
    assert db.session.scalar(select(func.count(QuoteDecision.id))) == 1


def test_twenty_concurrent_portal_answers_one_wins_rest_409(app, committed_db):
    from tests.helpers import sign_in

    db = committed_db
    company = factories.create_company(slug="race-portal")
    customer = factories.create_customer(company)
    contact = factories.create_contact(customer)
    with app.test_request_context():
        quote = quotes.create_quote(customer, title="Race", lines=[line()])
        quotes.send_quote(quote)
    clients = []
    for _ in range(20):
        client = app.test_client()
        sign_in(client, contact)
        clients.append(client)
    db.session.commit()
    url = f"/portal/race-portal/quotes/{quote.id}"
    db.session.refresh(quote, ["lines"])
    shown = quotes.quote_fingerprint(quote)

    def answer(n):
        action = "accept" if n % 2 else "reject"
        response = clients[n].post(
            f"{url}/{action}", data={"signed_name": f"Person {n}", "quote_sha256": shown}
        )
        return response.status_code

    statuses, errors = run_together(20, answer)
    assert errors == []
    assert sorted(statuses) == [303] + [409] * 19
    assert db.session.scalar(select(func.count(QuoteDecision.id))) == 1
