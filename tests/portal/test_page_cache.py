"""The portal dashboard's stored copies (services/page_cache.py): served without a query
while nothing of the company changed, never after a committed change, a minute, a new
session or the end of one. Needs the test Redis (tests/redis_server.py; CI has it)."""

import pytest
from sqlalchemy import update

from fieldportal.models import Job
from fieldportal.services.auth.auth_sessions import end_sessions
from fieldportal.services.portal import page_cache
from tests.helpers import sign_in, text_of


@pytest.fixture
def cache(shared_page_cache):
    return shared_page_cache


@pytest.fixture
def job(create, fleet):
    return create.job(fleet, title="Tyre rotation")


@pytest.fixture
def portal(client, contact, job, db):
    sign_in(client, contact)
    db.session.commit()
    return client


def dashboard(client, company):
    return client.get(f"/portal/{company.slug}/")


def visit_until_stored(client, company):
    """The first visit teaches the cache the company's id; the next one renders and keeps
    a copy (once the session holds its CSRF token, so the cookie no longer changes)."""
    for _ in range(3):
        response = dashboard(client, company)
    return response


def served_from_copy(client, company, count_queries) -> bool:
    path = f"/portal/{company.slug}/"  # read before counting: the test's objects reload
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200
    return not queries


def test_a_second_visit_is_served_without_a_query(cache, portal, company, count_queries):
    first = visit_until_stored(portal, company)
    assert "Tyre rotation" in text_of(first)
    path = f"/portal/{company.slug}/"
    with count_queries() as queries:
        again = portal.get(path)
    assert queries == [] and again.get_data() == first.get_data()

    # every header still comes from the app (security headers, Vary) as on a rendered page
    def comparable(headers):
        per_response = ("Date", "Set-Cookie", "X-Request-ID")
        return sorted((k, v) for k, v in headers.items() if k not in per_response)

    assert comparable(again.headers) == comparable(first.headers)
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert "HX-Request" in again.headers["Vary"]


def test_a_committed_change_shows_at_once(cache, portal, company, job, db, count_queries):
    visit_until_stored(portal, company)
    assert served_from_copy(portal, company, count_queries)
    job.title = "Brake service"
    db.session.commit()
    assert "Brake service" in text_of(dashboard(portal, company))


def test_a_bulk_update_shows_at_once(cache, portal, company, job, db, count_queries):
    visit_until_stored(portal, company)
    assert served_from_copy(portal, company, count_queries)
    db.session.execute(update(Job).where(Job.id == job.id).values(title="Wheel alignment"))
    db.session.commit()
    assert "Wheel alignment" in text_of(dashboard(portal, company))


def test_a_rolled_back_change_keeps_the_copy(cache, portal, company, job, db, count_queries):
    visit_until_stored(portal, company)
    job.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    assert served_from_copy(portal, company, count_queries)


def test_another_companys_change_keeps_the_copy(
    cache, portal, company, other_company, create, db, count_queries
):
    visit_until_stored(portal, company)
    create.customer(other_company, name="Somebody Else")
    db.session.commit()
    assert served_from_copy(portal, company, count_queries)


def test_ended_sessions_are_signed_out(cache, portal, company, contact, db, count_queries):
    visit_until_stored(portal, company)
    assert served_from_copy(portal, company, count_queries)
    end_sessions(contact_id=contact.id)
    db.session.commit()
    response = dashboard(portal, company)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_portal_switched_off_answers_503(cache, portal, company, db, count_queries):
    visit_until_stored(portal, company)
    assert served_from_copy(portal, company, count_queries)
    company.portal_enabled = False
    db.session.commit()
    assert dashboard(portal, company).status_code == 503


def test_each_session_has_its_own_copy(cache, portal, company, create, fleet, app, db):
    assert "Frank" in text_of(visit_until_stored(portal, company))
    other = create.contact(fleet, name="Olive Other", email="olive@metro.example")
    db.session.commit()
    second = app.test_client()
    sign_in(second, other)
    db.session.commit()
    page = text_of(visit_until_stored(second, company))
    assert "Olive" in page and "Frank" not in page


def test_a_new_minute_renders_again(cache, portal, company, monkeypatch, count_queries):
    visit_until_stored(portal, company)
    later = page_cache.time.time() + page_cache.BUCKET_SECONDS
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert not served_from_copy(portal, company, count_queries)


def test_htmx_fragment_and_page_are_kept_apart(cache, portal, company):
    page = visit_until_stored(portal, company).get_data(as_text=True)
    fragment = portal.get(f"/portal/{company.slug}/", headers={"HX-Request": "true"})
    assert "<html" in page and "<html" not in fragment.get_data(as_text=True)


def test_without_a_shared_redis_nothing_is_stored(portal, company, app, count_queries):
    assert "page_cache" not in app.extensions
    visit_until_stored(portal, company)
    assert not served_from_copy(portal, company, count_queries)


def test_a_copy_served_is_logged_with_its_principal_and_company(
    cache, portal, company, count_queries, caplog
):
    import json
    import logging

    from fieldportal.log_config import json_formatter

    visit_until_stored(portal, company)
    path = f"/portal/{company.slug}/"
    with count_queries() as queries, caplog.at_level(logging.INFO, "fieldportal.requests"):
        response = portal.get(path)
    assert queries == [], "served from the copy"
    [line] = [json.loads(json_formatter().format(r)) for r in caplog.records]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["route"], line["status"]) == ("/portal/<company_slug>/", 200)
    assert (line["principal"], line["company_id"]) == ("contact", company.id)
