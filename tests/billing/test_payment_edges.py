"""An invoice's paid total, from both sides (`make mutate invoices` found these unguarded):
money only goes onto a sent invoice, "paid" is stamped only when the balance reaches zero,
a refund never takes off more than was paid, and the invoice in hand shows the new figures
at once."""

from datetime import timedelta

import pytest

from fieldportal.models import InvoiceStatus, utcnow
from fieldportal.services.billing.invoices import apply_payment, reverse_payment


@pytest.fixture
def customer(create, company):
    return create.customer(company)


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.VOID])
def test_no_money_goes_onto_an_invoice_that_is_not_sent(create, db, customer, status):
    invoice = create.invoice(customer, status=status)
    assert apply_payment(invoice.id, 10_000) is False
    db.session.refresh(invoice)
    assert (invoice.amount_paid_cents, invoice.status, invoice.paid_at) == (0, status, None)


def test_a_part_payment_leaves_the_invoice_open_and_unstamped(create, customer):
    invoice = create.invoice(customer)
    assert invoice.amount_paid_cents == 0  # loaded now, so the payment must expire it
    assert apply_payment(invoice.id, 4_000) is True
    # read from the invoice in hand: the UPDATE expired what it changed
    assert (invoice.amount_paid_cents, invoice.status, invoice.paid_at) == (
        4_000,
        InvoiceStatus.SENT,
        None,
    )


def test_the_last_payment_stamps_the_invoice_paid_now(create, customer):
    invoice = create.invoice(customer)
    apply_payment(invoice.id, 4_000)
    assert apply_payment(invoice.id, 6_000) is True
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None and invoice.paid_at.tzinfo is not None
    assert abs(utcnow() - invoice.paid_at) < timedelta(seconds=5)


def test_a_refund_reopens_a_paid_invoice_and_clears_its_paid_date(create, customer):
    invoice = create.invoice(customer)
    apply_payment(invoice.id, 10_000)
    assert invoice.status == InvoiceStatus.PAID  # loaded now, so the refund must expire it
    reverse_payment(invoice.id, 2_500)
    assert (invoice.amount_paid_cents, invoice.status, invoice.paid_at) == (
        7_500,
        InvoiceStatus.SENT,
        None,
    )


def test_a_refund_of_more_than_was_paid_changes_nothing(create, db, customer):
    invoice = create.invoice(customer)
    apply_payment(invoice.id, 3_000)
    reverse_payment(invoice.id, 3_001)
    db.session.refresh(invoice)
    assert (invoice.amount_paid_cents, invoice.status) == (3_000, InvoiceStatus.SENT)
