"""What the portal may show: never drafts, only this customer's, filters."""

from datetime import UTC, date, datetime

from fieldportal.models import InvoiceStatus, QuoteStatus, ReportKind
from fieldportal.services.portal import portal_billing
from fieldportal.services.work import reports


def test_quotes_never_drafts_and_filters(db, create, company, customer):
    today = date(2026, 6, 15)
    draft = create.quote(customer, status=QuoteStatus.DRAFT, title="Draft")
    awaiting = create.quote(
        customer,
        title="Awaiting",
        valid_until=date(2026, 7, 1),
        sent_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    lapsed = create.quote(
        customer,
        title="Lapsed",
        valid_until=date(2026, 6, 1),
        sent_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    accepted = create.quote(
        customer, status=QuoteStatus.ACCEPTED, title="Yes", sent_at=datetime(2026, 4, 1, tzinfo=UTC)
    )
    create.quote(create.customer(company), title="Someone else's")

    def titles(**kw):
        return [q.title for q in portal_billing.customer_quotes(customer, today=today, **kw)]

    assert titles() == ["Awaiting", "Lapsed", "Yes"]
    assert titles(status="awaiting") == ["Awaiting"]
    assert titles(status="expired") == ["Lapsed"]
    assert titles(status="accepted") == ["Yes"]
    assert titles(sent_from=date(2026, 4, 15), sent_to=date(2026, 5, 1)) == ["Lapsed"]
    assert portal_billing.customer_quote(customer, draft.id) is None
    assert portal_billing.customer_quote(customer, awaiting.id) is awaiting
    assert lapsed and accepted


def test_invoices_never_drafts_and_only_own(db, create, company, customer, other_company):
    draft = create.invoice(customer, status=InvoiceStatus.DRAFT)
    open_ = create.invoice(customer)
    paid = create.invoice(customer, status=InvoiceStatus.PAID, amount_paid_cents=10_000)
    void = create.invoice(customer, status=InvoiceStatus.VOID)
    theirs = create.invoice(create.customer(other_company))
    assert portal_billing.customer_invoices(customer, state="open") == [open_]
    assert portal_billing.customer_invoices(customer, state="paid") == [paid]
    assert set(portal_billing.customer_invoices(customer, state="all")) == {open_, paid, void}
    assert portal_billing.customer_invoice(customer, draft.id) is None
    assert portal_billing.customer_invoice(customer, theirs.id) is None
    assert portal_billing.customer_invoices_by_ids(customer, [open_.id, theirs.id, draft.id]) == [
        open_
    ]


def test_only_approved_reports(db, customer, owner):
    draft = reports.create_report(customer, kind=ReportKind.TEST, title="Draft")
    approved = reports.create_report(customer, kind=ReportKind.TEST, title="Done")
    reports.approve_report(approved, by=owner)
    assert portal_billing.approved_reports(customer) == [approved]
    assert portal_billing.approved_report(customer, draft.id) is None
