"""The audit log page (/audit): every kind of event as a readable sentence, the company's
own and the platform's on it, filtered by kind, person and date, paged and exported."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldportal.models import AuditEvent, StaffRole
from fieldportal.services import audit, audit_trail
from fieldportal.services.platform import audit as platform_audit
from tests.exports.conftest import read_csv
from tests.factories import create_platform_admin
from tests.helpers import next_page_href, sign_in, text_of

# Details each kind of event is recorded with, so its sentence can say them.
DETAILS = {
    "amount_cents": 12_500,
    "filename": "fleet-list.csv",
    "before": "free",
    "after": "pro",
    "revision": 2,
}


def _event(company, action, *, actor=None, subject=None, at=None, **details):
    event = audit.record(company.id, action, actor=actor, subject=subject, **details)
    if at is not None:
        event.created_at = at
    return event


def test_every_kind_of_event_reads_as_a_sentence(db, company, owner, create, monkeypatch):
    """One event of every action SENTENCES names, by a staff member, on a record: each
    line starts with who did it and says what, with no gap left for a missing word."""
    customer = create.customer(company, name="Harbour Freight")
    invoice = create.invoice(customer)
    for action in audit_trail.SENTENCES:
        _event(company, action, actor=owner, subject=invoice, **DETAILS)
    db.session.flush()
    monkeypatch.setattr(audit_trail, "EVENTS_PER_PAGE", 500)
    page = audit_trail.audit_log(company, audit_trail.AuditQuery())
    entries = list(page)
    assert len(entries) == len(audit_trail.SENTENCES)
    for entry in entries:
        assert entry.sentence.startswith("Olivia Owner "), entry.sentence
        said = entry.sentence.removeprefix("Olivia Owner ")
        assert len(said) > 8 and "{" not in said and " — ." not in said, entry.sentence
        assert entry.kind in audit_trail.KINDS.values()


def test_an_action_without_words_is_refused_where_it_is_recorded(db, company, owner):
    with pytest.raises(AssertionError, match="audit_trail.SENTENCES"):
        audit.record(company.id, "invoice.teleported", actor=owner)


def test_the_page_says_who_did_what_to_which_record_with_a_link(
    staff_client, db, company, owner, create
):
    customer = create.customer(company, name="Harbour Freight")
    invoice = create.invoice(customer)
    _event(company, "invoice.sent", actor=owner, subject=invoice, to="ap@harbour.test")
    _event(company, "invoice.payment_recorded", actor=owner, subject=invoice, amount_cents=4_000)
    db.session.flush()
    response = staff_client.get("/audit")
    text = text_of(response)
    assert response.status_code == 200
    assert f"Olivia Owner sent invoice #{invoice.number} to Harbour Freight." in text
    assert f"Olivia Owner recorded a payment of $40.00 on invoice #{invoice.number}." in text
    html = response.get_data(as_text=True)
    assert f'<a href="/invoices/{invoice.id}">invoice #{invoice.number}</a>' in html
    assert "<html" in html


def test_customers_and_support_are_named_and_other_companies_never_shown(
    staff_client, db, company, other_company, owner, create
):
    fleet = create.fleet(company, vehicles=0, name="Metro Buses")
    contact = create.contact(fleet, name="Frank Fleet")
    _event(company, "portal.signed_in", actor=contact)
    admin = create_platform_admin(email="pat@platform.example.com")
    platform_audit.record("company.suspended", admin=admin, company=company, summary="")
    rival = create.staff(other_company, name="Rita Rival", email="rita@rival.test")
    _event(other_company, "staff.signed_in", actor=rival)
    platform_audit.record("company.resumed", admin=admin, company=other_company)
    db.session.flush()
    text = text_of(staff_client.get("/audit"))
    assert "Frank Fleet (customer) signed in to the portal." in text
    assert "fieldportal support suspended the company." in text
    assert "Rita" not in text and "lifted" not in text


def test_an_event_with_no_one_behind_it_says_so(staff_client, db, company, create):
    invoice = create.invoice(create.customer(company))
    _event(company, "payment.received", subject=invoice, amount_cents=10_000)
    db.session.flush()
    assert f"Received a payment of $100.00 on invoice #{invoice.number} (automatic)." in text_of(
        staff_client.get("/audit")
    )


def test_filters_by_kind_person_and_day_as_an_htmx_fragment(
    staff_client, db, company, owner, create
):
    dispatcher = create.staff(
        company, StaffRole.DISPATCHER, name="Dana Dispatch", email="dana@acme.test"
    )
    invoice = create.invoice(create.customer(company))
    long_ago = datetime(2030, 1, 10, 15, tzinfo=UTC)
    _event(company, "staff.signed_in", actor=dispatcher, at=long_ago)
    _event(company, "invoice.payment_recorded", actor=owner, subject=invoice, amount_cents=1)
    _event(company, "settings.updated", actor=owner)
    db.session.flush()

    payments = text_of(staff_client.get("/audit?kind=payments"))
    assert "recorded a payment" in payments
    assert "changed the company settings" not in payments
    dana = staff_client.get(f"/audit?person={dispatcher.id}", headers={"HX-Request": "true"})
    html = dana.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="audit-table"') and "<html" not in html
    assert "Dana Dispatch signed in." in text_of(dana) and "Olivia" not in text_of(dana)
    that_day = text_of(staff_client.get("/audit?since=2030-01-10&until=2030-01-10"))
    assert "Dana Dispatch signed in." in that_day and "Olivia Owner recorded" not in that_day
    assert "Nothing was recorded here." in text_of(
        staff_client.get("/audit?since=2030-01-11&until=2030-01-11")
    )


@pytest.mark.parametrize("junk", ["kind=teleports", "person=abc", "since=2030-13-45", "person="])
def test_filters_it_cannot_read_show_everything_rather_than_fail(
    staff_client, db, company, owner, junk
):
    _event(company, "settings.updated", actor=owner)
    db.session.flush()
    response = staff_client.get(f"/audit?{junk}")
    assert response.status_code == 200
    assert "Olivia Owner changed the company settings." in text_of(response)


def test_following_next_walks_every_event_once(staff_client, db, company, owner, monkeypatch):
    monkeypatch.setattr(audit_trail, "EVENTS_PER_PAGE", 4)
    moment = datetime(2030, 5, 1, 12, tzinfo=UTC)
    # ties on the time are ordered by source and id, so none is skipped or shown twice
    for n in range(7):
        _event(company, "job_type.created", actor=owner, at=moment - timedelta(hours=n // 2))
    admin = create_platform_admin(email="pat@platform.example.com")
    platform_event = platform_audit.record("company.resumed", admin=admin, company=company)
    platform_event.created_at = moment
    db.session.flush()
    seen, url = [], "/audit"
    while url:
        response = staff_client.get(url)
        seen.append(text_of(response).count("job type") + text_of(response).count("lifted"))
        url = next_page_href(response) if 'rel="next"' in response.get_data(as_text=True) else None
    assert seen == [4, 4]


def test_the_csv_holds_the_whole_filtered_log(staff_client, db, company, owner, create):
    invoice = create.invoice(create.customer(company, name="Harbour Freight"))
    _event(company, "invoice.voided", actor=owner, subject=invoice, reason="=cmd|' /C calc'!A0")
    _event(company, "settings.updated", actor=owner)
    db.session.flush()
    rows = read_csv(staff_client.get("/audit?kind=documents&format=csv"))
    assert [row["What"] for row in rows] == [
        f"Olivia Owner voided invoice #{invoice.number} for Harbour Freight."
    ]
    assert rows[0]["Who"] == "Olivia Owner" and rows[0]["Kind"] == "Quotes and invoices"
    assert rows[0]["Record"] == f"invoice #{invoice.number}"


def test_only_owners_read_the_log(client, db, company, create):
    dispatcher = create.staff(company, StaffRole.DISPATCHER, email="dana@acme.test")
    sign_in(client, dispatcher)
    assert client.get("/audit").status_code in (403, 404)
    assert "Audit log" not in text_of(client.get("/"))


def test_records_since_deleted_are_said_so(staff_client, db, company, owner, create):
    customer = create.customer(company, name="Gone Ltd")
    _event(company, "customer.created", actor=owner, subject=customer)
    db.session.flush()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.created"))
    event.object_id = 2**31 - 1
    db.session.flush()
    assert "Olivia Owner added the customer a record since deleted." in text_of(
        staff_client.get("/audit")
    )
