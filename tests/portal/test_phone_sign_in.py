"""PIN sign-in finds the contact by their number however it is written, through the
index on (company, phone) in E.164: one query, one row, no scan of the contacts."""

import pytest
from sqlalchemy import event, select

from fieldportal.extensions import db
from fieldportal.models import AuthSession, Contact, SignInMethod
from fieldportal.services.portal import portal_auth

from ..helpers import text_of


@pytest.fixture
def london(company):
    company.country, company.locale = "GB", "en_GB"
    company.time_zone, company.currency = "Europe/London", "GBP"
    db.session.flush()
    return company


@pytest.fixture
def fiona(create, london):
    contact = create.contact(
        create.customer(london), name="Fiona Marsh", email="fiona@x.example", phone="+442079460101"
    )
    portal_auth.set_pin(contact, "4321")
    db.session.flush()
    return contact


def _pin(client, company, phone, pin="4321"):
    return client.post(f"/portal/{company.slug}/sign-in/pin", data={"phone": phone, "pin": pin})


@pytest.mark.parametrize(
    "written", ["020 7946 0101", "+44 20 7946 0101", "0044 20 7946 0101", "(020) 7946-0101"]
)
def test_any_way_of_writing_the_number_signs_in(client, london, fiona, written):
    response = _pin(client, london, written)
    assert response.status_code == 303
    session = db.session.scalar(select(AuthSession))
    assert (session.contact_id, session.method) == (fiona.id, SignInMethod.PIN)


@pytest.mark.parametrize("written", ["07946 0101", "7946 0101", "020 7946 0102", "+1 2079460101"])
def test_another_number_is_not_that_number(client, london, fiona, written):
    response = _pin(client, london, written)
    assert response.status_code == 422
    assert "Those details do not match an account" in text_of(response)
    assert db.session.scalar(select(AuthSession)) is None
    assert fiona.failed_attempts == 0, "no contact was found, so none counts a failure"


def test_the_same_number_at_another_company_is_not_this_contact(
    client, london, fiona, other_company, create
):
    theirs = create.contact(create.customer(other_company), phone="+442079460101")
    portal_auth.set_pin(theirs, "4321")
    db.session.flush()
    assert portal_auth.contact_for_phone(other_company, "+44 20 7946 0101") == theirs
    assert portal_auth.contact_for_phone(london, "020 7946 0101") == fiona
    # At the US company "020 7946 0101" is no number at all.
    assert portal_auth.contact_for_phone(other_company, "020 7946 0101") is None


def test_removed_or_portal_off_contacts_are_not_found(london, fiona):
    fiona.portal_access = False
    assert portal_auth.contact_for_phone(london, "020 7946 0101") is None


def _statements(app):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    return seen, record


def test_the_lookup_is_one_indexed_query_not_a_scan(app, london, fiona, create):
    customer = create.customer(london)
    for n in range(60):
        create.contact(customer, phone=f"+44207946{2000 + n}")
    seen, record = _statements(app)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert portal_auth.contact_for_phone(london, "020 7946 0101") == fiona
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    [(statement, parameters)] = seen
    assert "contacts.phone =" in statement
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        detail = " ".join(str(row[-1]) for row in plan)
        assert "USING INDEX" in detail and "phone=?" in detail, detail
    else:
        connection.exec_driver_sql("ANALYZE contacts")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        index_cond = next(row[0] for row in plan if "Index Cond" in row[0])
        assert "phone" in index_cond, plan
    assert db.session.get(Contact, fiona.id).phone == "+442079460101"
