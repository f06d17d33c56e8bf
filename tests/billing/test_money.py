"""Money rules: line amounts, tax rounding, due dates, payments, voids, A/R."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from fieldportal.models import BillingTerms, InvoiceStatus, Payment, PaymentMethod
from fieldportal.services.billing import invoices
from fieldportal.services.billing.money import (
    compute_totals,
    due_date,
    line_amount_cents,
    open_ar_cents,
)
from fieldportal.services.errors import Conflict, Invalid

from .conftest import line


def test_line_amount_rounds_half_up():
    assert line_amount_cents(Decimal("1.5"), 333) == 500  # 499.5 → 500
    assert line_amount_cents(Decimal("0.25"), 2) == 1  # 0.5 → 1
    assert line_amount_cents(Decimal("3"), 1999) == 5997


def test_tax_is_rounded_once_on_the_taxable_subtotal_not_per_line():
    # Three taxable lines of $0.05 at 10 %: per line 0.5¢ would round to 1¢ each (3¢);
    # on the total, 15¢ × 10 % = 1.5¢ → 2¢. The documented rule is on the total.
    lines = [line(unit_price_cents=5) for _ in range(3)]
    totals = compute_totals(lines, 100_000)
    assert (totals.subtotal_cents, totals.tax_cents, totals.total_cents) == (15, 2, 17)


def test_untaxed_lines_are_not_taxed():
    lines = [line(unit_price_cents=10_000), line(unit_price_cents=5_000, taxable=False)]
    totals = compute_totals(lines, 82_500)
    assert totals.subtotal_cents == 15_000
    assert totals.taxable_cents == 10_000
    assert totals.tax_cents == 825
    assert totals.total_cents == 15_825


def test_tax_half_cent_rounds_up():
    # 8.25 % of $1.10 = 9.075¢ → 9¢; of $1.30 = 10.725¢ → 11¢; of $2.00 = 16.5¢ → 17¢
    assert compute_totals([line(unit_price_cents=110)], 82_500).tax_cents == 9
    assert compute_totals([line(unit_price_cents=130)], 82_500).tax_cents == 11
    assert compute_totals([line(unit_price_cents=200)], 82_500).tax_cents == 17


def test_tax_at_three_decimals_of_a_percent():
    # New York City: 8.875 % = 88,750 ppm. $1,234.56 → 10,956.72¢ → $109.57;
    # $100.00 → 887.5¢ exactly half → up to $8.88; $0.40 → 3.55¢ → 4¢.
    totals = compute_totals([line(unit_price_cents=123_456)], 88_750)
    assert (totals.tax_cents, totals.total_cents) == (10_957, 134_413)
    assert compute_totals([line(unit_price_cents=10_000)], 88_750).tax_cents == 888
    assert compute_totals([line(unit_price_cents=40)], 88_750).tax_cents == 4
    # Four decimals: 0.0001 % (1 ppm) of $10,000.00 is 1¢, of $5,000.00 half a cent → 1¢,
    # of $4,999.99 just under → 0¢; 100 % doubles.
    assert compute_totals([line(unit_price_cents=1_000_000)], 1).tax_cents == 1
    assert compute_totals([line(unit_price_cents=500_000)], 1).tax_cents == 1
    assert compute_totals([line(unit_price_cents=499_999)], 1).tax_cents == 0
    assert compute_totals([line(unit_price_cents=12_345)], 1_000_000).tax_cents == 12_345


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (BillingTerms.ON_COMPLETION, date(2026, 3, 1)),
        (BillingTerms.NET_15, date(2026, 3, 16)),
        (BillingTerms.NET_30, date(2026, 3, 31)),
    ],
)
def test_due_date_from_terms(terms, expected):
    assert due_date(terms, date(2026, 3, 1)) == expected


def test_created_invoice_is_a_draft_with_stored_totals(db, customer, owner):
    customer.company.tax_rate_ppm = 100_000
    invoice = invoices.create_invoice(
        customer, by=owner, lines=[line(quantity="2", unit_price_cents=1_250), line(taxable=False)]
    )
    assert invoice.status == InvoiceStatus.DRAFT
    assert [li.amount_cents for li in invoice.lines] == [2_500, 10_000]
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (12_500, 250, 12_750)
    assert invoice.balance_cents == 0  # a draft is owed by nobody yet
    assert open_ar_cents(customer.company_id) == 0


def test_send_sets_issue_and_due_dates_from_terms(db, customer, owner, app):
    customer.billing_terms = BillingTerms.NET_15
    invoice = invoices.create_invoice(customer, by=owner, lines=[line()])
    invoices.send_invoice(invoice, by=owner)
    assert invoice.status == InvoiceStatus.SENT
    assert invoice.billing_terms == BillingTerms.NET_15
    assert (invoice.due_on - invoice.issued_on).days == 15
    assert open_ar_cents(customer.company_id) == 10_000


def _sent_invoice(customer, owner, app, cents=10_000):
    invoice = invoices.create_invoice(customer, by=owner, lines=[line(unit_price_cents=cents)])
    invoices.send_invoice(invoice, by=owner)
    return invoice


def test_partial_then_full_manual_payment(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    invoices.record_payment(invoice, amount_cents=4_000, method=PaymentMethod.CASH, by=owner)
    assert invoice.status == InvoiceStatus.SENT
    assert invoice.is_partially_paid
    assert invoice.balance_cents == 6_000
    assert open_ar_cents(customer.company_id) == 6_000
    invoices.record_payment(
        invoice, amount_cents=6_000, method=PaymentMethod.CHECK, by=owner, reference="CHK 1042"
    )
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None
    assert not invoice.is_partially_paid
    assert invoice.balance_cents == 0
    assert open_ar_cents(customer.company_id) == 0
    methods = db.session.scalars(select(Payment.method).where(Payment.invoice_id == invoice.id))
    assert sorted(methods) == [PaymentMethod.CASH, PaymentMethod.CHECK]


@pytest.mark.parametrize("amount", [10_001, 0, -5])
def test_payment_over_balance_or_not_positive_is_refused(db, customer, owner, app, amount):
    invoice = _sent_invoice(customer, owner, app)
    with pytest.raises(Invalid):
        invoices.record_payment(invoice, amount_cents=amount, method=PaymentMethod.CASH, by=owner)
    assert invoice.amount_paid_cents == 0
    assert db.session.scalar(select(Payment.id)) is None


def test_card_payments_cannot_be_recorded_by_hand(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    with pytest.raises(Invalid):
        invoices.record_payment(invoice, amount_cents=100, method=PaymentMethod.CARD, by=owner)


def test_draft_and_paid_invoices_take_no_payment(db, customer, owner, app):
    draft = invoices.create_invoice(customer, by=owner, lines=[line()])
    with pytest.raises(Conflict):
        invoices.record_payment(draft, amount_cents=100, method=PaymentMethod.CASH, by=owner)
    paid = _sent_invoice(customer, owner, app)
    invoices.record_payment(paid, amount_cents=10_000, method=PaymentMethod.CASH, by=owner)
    with pytest.raises(Conflict):
        invoices.record_payment(paid, amount_cents=1, method=PaymentMethod.CASH, by=owner)


def test_apply_payment_is_guarded_in_the_database(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    assert invoices.apply_payment(invoice.id, 7_000)
    assert not invoices.apply_payment(invoice.id, 3_001)  # would overpay
    assert invoices.apply_payment(invoice.id, 3_000)
    assert invoice.status == InvoiceStatus.PAID


def test_refund_reopens_a_paid_invoice(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    invoices.apply_payment(invoice.id, 10_000)
    invoices.reverse_payment(invoice.id, 2_500)
    assert invoice.status == InvoiceStatus.SENT
    assert invoice.paid_at is None
    assert invoice.balance_cents == 2_500


def test_void_needs_a_reason_and_drops_out_of_ar(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    with pytest.raises(Invalid):
        invoices.void_invoice(invoice, reason="  ", by=owner)
    invoices.void_invoice(invoice, reason="Duplicate of #7", by=owner)
    assert invoice.status == InvoiceStatus.VOID
    assert invoice.void_reason == "Duplicate of #7"
    assert invoice.voided_at is not None
    assert open_ar_cents(customer.company_id) == 0
    with pytest.raises(Conflict):
        invoices.send_invoice(invoice, by=owner)


def test_invoice_with_payments_cannot_be_voided(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    invoices.record_payment(invoice, amount_cents=100, method=PaymentMethod.CASH, by=owner)
    with pytest.raises(Invalid):
        invoices.void_invoice(invoice, reason="Oops", by=owner)


def test_only_drafts_can_be_edited(db, customer, owner, app):
    invoice = _sent_invoice(customer, owner, app)
    with pytest.raises(Conflict):
        invoices.update_draft(invoice, lines=[line()], tax_rate_ppm=0, po_number=None, notes=None)
