"""Quote statuses, decisions with evidence, expiry, one decision per revision, conversion."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    Job,
    JobStatus,
    OutboxEmail,
    QuoteDecision,
    QuoteDecisionKind,
    QuoteStatus,
)
from fieldportal.services.billing import quotes
from fieldportal.services.clock import company_today
from fieldportal.services.errors import Conflict, Invalid
from tests.helpers import first_contact

from .conftest import line

EVIDENCE = quotes.Evidence(ip_address="203.0.113.9", user_agent="Mozilla/5.0 (Phone)")


@pytest.fixture
def sent_quote(db, customer, owner):
    quote = quotes.create_quote(
        customer, title="Brake job", lines=[line(quantity="2", unit_price_cents=12_500)]
    )
    quotes.send_quote(quote, by=owner)
    return quote


def test_draft_to_sent_emails_the_customer(db, sent_quote):
    assert sent_quote.status == QuoteStatus.SENT
    assert sent_quote.sent_at is not None
    email = db.session.scalar(select(OutboxEmail))
    assert email.kind == "quote_sent"
    assert email.to_address == "hana@bakery.test"
    assert "$250.00" in email.text_body


def test_accept_records_the_evidence(db, sent_quote, customer):
    contact = first_contact(customer)
    shown = quotes.quote_fingerprint(sent_quote)
    decision = quotes.decide(
        sent_quote,
        QuoteDecisionKind.ACCEPTED,
        contact=contact,
        evidence=EVIDENCE,
        signed_name="  Hana Baker ",
        shown_sha256=shown,
    )
    assert sent_quote.status == QuoteStatus.ACCEPTED
    assert decision.signed_name == "Hana Baker"
    assert decision.ip_address == "203.0.113.9"
    assert decision.user_agent == "Mozilla/5.0 (Phone)"
    assert decision.quote_sha256 == shown and len(shown) == 64
    assert decision.decided_at is not None
    assert decision.revision == 1


def test_accept_needs_a_typed_name(db, sent_quote):
    with pytest.raises(Invalid, match="full name"):
        quotes.decide(sent_quote, QuoteDecisionKind.ACCEPTED, contact=None, evidence=EVIDENCE)
    assert sent_quote.status == QuoteStatus.SENT


def test_reject(db, sent_quote):
    quotes.decide(sent_quote, QuoteDecisionKind.REJECTED, contact=None, evidence=EVIDENCE)
    assert sent_quote.status == QuoteStatus.REJECTED


def test_request_changes_needs_a_message_then_resend_is_a_new_revision(db, sent_quote, owner):
    with pytest.raises(Invalid):
        quotes.decide(
            sent_quote, QuoteDecisionKind.CHANGES_REQUESTED, contact=None, evidence=EVIDENCE
        )
    quotes.decide(
        sent_quote,
        QuoteDecisionKind.CHANGES_REQUESTED,
        contact=None,
        evidence=EVIDENCE,
        message="Use OEM pads please",
    )
    assert sent_quote.status == QuoteStatus.CHANGES_REQUESTED
    quotes.update_quote(
        sent_quote,
        title="Brake job (OEM)",
        lines=[line(quantity="2", unit_price_cents=15_000)],
        valid_until=None,
        tax_rate_ppm=0,
        notes=None,
    )
    quotes.send_quote(sent_quote, by=owner)
    assert sent_quote.revision == 2
    quotes.decide(
        sent_quote,
        QuoteDecisionKind.ACCEPTED,
        contact=None,
        evidence=EVIDENCE,
        signed_name="Hana B",
    )
    revisions = db.session.scalars(
        select(QuoteDecision.revision).where(QuoteDecision.quote_id == sent_quote.id)
    ).all()
    assert sorted(revisions) == [1, 2]


def test_second_decision_is_already_answered(db, sent_quote):
    quotes.decide(sent_quote, QuoteDecisionKind.REJECTED, contact=None, evidence=EVIDENCE)
    with pytest.raises(Conflict, match="already been answered"):
        quotes.decide(
            sent_quote,
            QuoteDecisionKind.ACCEPTED,
            contact=None,
            evidence=EVIDENCE,
            signed_name="X Y",
        )
    assert db.session.scalar(select(func.count(QuoteDecision.id))) == 1


def test_stale_copy_losing_the_race_is_already_answered(db, sent_quote):
    """The atomic UPDATE … WHERE status='sent' refuses even when Python saw 'sent'."""
    from sqlalchemy import update

    from fieldportal.models import Quote

    db.session.execute(
        update(Quote)
        .where(Quote.id == sent_quote.id)
        .values(status="rejected")
        .execution_options(synchronize_session=False)
    )
    assert sent_quote.status == QuoteStatus.SENT  # the stale in-memory copy
    with pytest.raises(Conflict, match="already been answered"):
        quotes.decide(
            sent_quote,
            QuoteDecisionKind.ACCEPTED,
            contact=None,
            evidence=EVIDENCE,
            signed_name="X Y",
        )


def test_expired_quote_cannot_be_accepted(db, sent_quote, company):
    today = company_today(company)
    sent_quote.valid_until = today - timedelta(days=1)
    assert quotes.effective_status(sent_quote, today) == QuoteStatus.EXPIRED
    with pytest.raises(Conflict, match="has expired"):
        quotes.decide(
            sent_quote,
            QuoteDecisionKind.ACCEPTED,
            contact=None,
            evidence=EVIDENCE,
            signed_name="X Y",
        )
    assert quotes.expire_overdue_quotes(company.id, today) == 1
    db.session.refresh(sent_quote)
    assert sent_quote.status == QuoteStatus.EXPIRED


def test_valid_until_today_is_still_valid(db, sent_quote, company):
    sent_quote.valid_until = company_today(company)
    quotes.decide(
        sent_quote, QuoteDecisionKind.ACCEPTED, contact=None, evidence=EVIDENCE, signed_name="X Y"
    )
    assert sent_quote.status == QuoteStatus.ACCEPTED


def test_changed_quote_refuses_a_decision_on_the_old_hash(db, sent_quote):
    shown = quotes.quote_fingerprint(sent_quote)
    sent_quote.title = "Something else"
    with pytest.raises(Conflict, match="changed since you opened it"):
        quotes.decide(
            sent_quote,
            QuoteDecisionKind.ACCEPTED,
            contact=None,
            evidence=EVIDENCE,
            signed_name="X Y",
            shown_sha256=shown,
        )


def test_draft_cannot_be_decided(db, customer):
    quote = quotes.create_quote(customer, title="Draft", lines=[line()])
    with pytest.raises(Conflict, match="already been answered"):
        quotes.decide(quote, QuoteDecisionKind.REJECTED, contact=None, evidence=EVIDENCE)


def test_accepted_quote_converts_to_one_unscheduled_job(db, sent_quote, owner):
    with pytest.raises(Conflict):
        quotes.convert_to_job(sent_quote, by=owner)
    quotes.decide(
        sent_quote, QuoteDecisionKind.ACCEPTED, contact=None, evidence=EVIDENCE, signed_name="X Y"
    )
    job = quotes.convert_to_job(sent_quote, by=owner)
    assert job.status == JobStatus.UNSCHEDULED
    assert job.title == "Brake job"
    assert sent_quote.job_id == job.id
    with pytest.raises(Conflict):
        quotes.convert_to_job(sent_quote, by=owner)
    assert db.session.scalar(select(func.count(Job.id))) == 1


def test_sent_or_accepted_quote_cannot_be_edited(db, sent_quote):
    with pytest.raises(Conflict):
        quotes.update_quote(
            sent_quote, title="x", lines=[line()], valid_until=None, tax_rate_ppm=0, notes=None
        )


def test_expired_validity_date_cannot_be_sent(db, customer, company):
    quote = quotes.create_quote(
        customer,
        title="Old",
        lines=[line()],
        valid_until=company_today(company) - timedelta(days=1),
    )
    with pytest.raises(Invalid):
        quotes.send_quote(quote)


def test_flask_quotes_expire_stores_expired_by_each_companys_date(
    app, db, create, customer, company, other_company
):
    today = company_today(company)
    lapsed = create.quote(customer, valid_until=today - timedelta(days=1))
    valid_today = create.quote(customer, valid_until=today)
    undated = create.quote(customer, valid_until=None)
    draft = create.quote(customer, status=QuoteStatus.DRAFT, valid_until=today - timedelta(days=9))
    theirs = create.quote(
        create.customer(other_company), valid_until=company_today(other_company) - timedelta(days=1)
    )
    result = app.test_cli_runner().invoke(args=["quotes", "expire"])
    assert result.exit_code == 0 and "2 quote(s) expired" in result.output
    db.session.expire_all()
    assert [q.status for q in (lapsed, valid_today, undated, draft, theirs)] == [
        QuoteStatus.EXPIRED,
        QuoteStatus.SENT,
        QuoteStatus.SENT,
        QuoteStatus.DRAFT,
        QuoteStatus.EXPIRED,
    ]
