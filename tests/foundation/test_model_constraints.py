"""What the database itself refuses, whatever the code above it does."""

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from fieldportal.extensions import db as _db
from fieldportal.models import (
    AuthSession,
    CheckoutPayment,
    Invoice,
    InvoiceStatus,
    Job,
    LineItem,
    LoginLink,
    Payment,
    PaymentMethod,
    QuoteDecision,
    QuoteDecisionKind,
    SignInMethod,
    StripeEvent,
    Vehicle,
    utcnow,
)
from fieldportal.services.billing.numbering import next_number


def _refused(obj):
    with pytest.raises(IntegrityError):
        with _db.session.begin_nested():
            _db.session.add(obj)
            _db.session.flush()


def test_job_numbers_are_unique_per_company_only(db, create, company, other_company):
    mine = create.customer(company)
    theirs = create.customer(other_company)
    first = create.job(mine)
    same_number_other_company = Job(
        company_id=other_company.id, customer_id=theirs.id, number=first.number, title="x"
    )
    db.session.add(same_number_other_company)
    db.session.flush()
    _refused(Job(company_id=company.id, customer_id=mine.id, number=first.number, title="dup"))


def test_next_number_counts_per_company(db, company, other_company):
    assert [next_number(company.id, "invoice") for _ in range(3)] == [1, 2, 3]
    assert next_number(other_company.id, "invoice") == 1


def test_invoice_numbers_unique_per_company(db, create, company):
    customer = create.customer(company)
    invoice = create.invoice(customer)
    _refused(
        Invoice(
            company_id=company.id,
            customer_id=customer.id,
            number=invoice.number,
            billing_terms=customer.billing_terms,
        )
    )


def test_amounts_cannot_be_negative_or_overpaid(db, create, company):
    customer = create.customer(company)
    _refused(
        Invoice(
            company_id=company.id,
            customer_id=customer.id,
            number=999,
            billing_terms=customer.billing_terms,
            total_cents=-1,
        )
    )
    _refused(
        Invoice(
            company_id=company.id,
            customer_id=customer.id,
            number=998,
            billing_terms=customer.billing_terms,
            total_cents=1000,
            amount_paid_cents=1001,
        )
    )
    invoice = create.invoice(customer)
    _refused(
        Payment(
            company_id=company.id, invoice_id=invoice.id, method=PaymentMethod.CASH, amount_cents=0
        )
    )


def test_line_item_belongs_to_exactly_one_document(db, create, company):
    customer = create.customer(company)
    invoice = create.invoice(customer)
    quote = create.quote(customer)
    _refused(
        LineItem(
            company_id=company.id,
            invoice_id=invoice.id,
            quote_id=quote.id,
            description="x",
            unit_price_cents=1,
            amount_cents=1,
        )
    )
    _refused(LineItem(company_id=company.id, description="x", unit_price_cents=1, amount_cents=1))


def test_one_decision_per_quote_revision(db, create, company):
    quote = create.quote(create.customer(company))
    decision = dict(company_id=company.id, quote_id=quote.id, revision=1, quote_sha256="0" * 64)
    db.session.add(QuoteDecision(decision=QuoteDecisionKind.ACCEPTED, **decision))
    db.session.flush()
    _refused(QuoteDecision(decision=QuoteDecisionKind.REJECTED, **decision))


def test_stripe_event_ids_and_payment_intents_are_unique(db, create, company):
    db.session.add(StripeEvent(event_id="evt_1", event_type="checkout.session.completed"))
    db.session.flush()
    _refused(StripeEvent(event_id="evt_1", event_type="checkout.session.completed"))
    customer = create.customer(company)
    fields = dict(company_id=company.id, customer_id=customer.id, amount_cents=100, currency="USD")
    db.session.add(CheckoutPayment(payment_intent_id="pi_1", checkout_session_id="cs_1", **fields))
    db.session.flush()
    _refused(CheckoutPayment(payment_intent_id="pi_1", checkout_session_id="cs_2", **fields))


def test_token_hashes_are_unique(db, create, company):
    contact = create.contact(create.customer(company))
    expires = utcnow() + timedelta(minutes=30)
    db.session.add(
        LoginLink(
            company_id=company.id, contact_id=contact.id, token_hash="a" * 64, expires_at=expires
        )
    )
    db.session.flush()
    _refused(
        LoginLink(
            company_id=company.id, contact_id=contact.id, token_hash="a" * 64, expires_at=expires
        )
    )
    db.session.add(
        AuthSession(
            company_id=company.id,
            contact_id=contact.id,
            customer_id=contact.customer_id,
            token_hash="b" * 64,
            method=SignInMethod.MAGIC_LINK,
            expires_at=expires,
        )
    )
    db.session.flush()
    _refused(
        AuthSession(
            company_id=company.id,
            contact_id=contact.id,
            customer_id=contact.customer_id,
            token_hash="b" * 64,
            method=SignInMethod.MAGIC_LINK,
            expires_at=expires,
        )
    )


def test_auth_session_has_exactly_one_principal(db, owner, company):
    expires = utcnow() + timedelta(hours=1)
    _refused(
        AuthSession(
            company_id=company.id,
            token_hash="c" * 64,
            method=SignInMethod.PASSWORD,
            expires_at=expires,
        )
    )


def test_foreign_keys_are_enforced(db, company):
    _refused(Vehicle(company_id=company.id, customer_id=987654, make="Ford", model="Transit"))


def test_vehicle_odometer_cannot_be_negative(db, create, company):
    fleet = create.customer(company)
    _refused(
        Vehicle(
            company_id=company.id, customer_id=fleet.id, make="Ford", model="Transit", odometer=-5
        )
    )


def test_job_window_must_end_after_it_starts(db, create, company):
    customer = create.customer(company)
    start = utcnow()
    _refused(
        Job(
            company_id=company.id,
            customer_id=customer.id,
            number=500,
            title="x",
            window_start=start,
            window_end=start - timedelta(hours=1),
        )
    )


def test_void_invoice_needs_its_time(db, create, company):
    customer = create.customer(company)
    _refused(
        Invoice(
            company_id=company.id,
            customer_id=customer.id,
            number=777,
            billing_terms=customer.billing_terms,
            status=InvoiceStatus.VOID,
            issued_on=date.today(),
        )
    )
