"""Polled fragments (fieldportal/live_updates.py): 304 with no body while nothing changed,
the new content at the first poll after a change. With the shared Redis (production's
PAGE_CACHE_URL) an unchanged poll reads no table; without it the fragment is rendered and
compared by its hash."""

import re

import pytest

from fieldportal.models import JobStatus
from tests.helpers import sign_in, text_of

HX = {"HX-Request": "true"}


@pytest.fixture(params=["data version", "rendered hash"])
def versions(request):
    """Both ways a tag is made: the company's data version in Redis, or the body's hash."""
    if request.param == "data version":
        request.getfixturevalue("shared_page_cache")
    return request.param


@pytest.fixture
def job(create, fleet):
    return create.job(fleet, status=JobStatus.ASSIGNED, title="Brake check")


@pytest.fixture
def portal(client, contact, job, db):
    sign_in(client, contact)
    db.session.commit()
    return client


def poll(client, path, tag=None):
    headers = dict(HX, **({"If-None-Match": tag} if tag else {}))
    return client.get(path, headers=headers)


# The jobs table itself, not a column whose name ends in "jobs" (technicians_see_all_jobs).
READS_JOBS = re.compile(r"\bjobs\b")


def jobs_path(company):
    return f"/portal/{company.slug}/jobs"


def test_an_unchanged_list_is_304_with_no_body(versions, portal, company):
    first = poll(portal, jobs_path(company))
    assert first.status_code == 200 and "Brake check" in text_of(first)
    tag = first.headers["ETag"]
    again = poll(portal, jobs_path(company), tag)
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == tag


def test_a_compressed_answers_tag_is_recognised(shared_page_cache, portal, company, count_queries):
    # A browser accepts br: the tag comes back as Flask-Compress sent it ("v…:br").
    browser = dict(HX, **{"Accept-Encoding": "gzip, deflate, br"})
    path = jobs_path(company)
    first = portal.get(path, headers=browser)
    assert first.headers["Content-Encoding"] == "br" and first.headers["ETag"].endswith(':br"')
    with count_queries() as queries:
        again = portal.get(path, headers=dict(browser, **{"If-None-Match": first.headers["ETag"]}))
    assert again.status_code == 304 and not [query for query in queries if READS_JOBS.search(query)]


def test_a_change_is_sent_at_the_next_poll(versions, portal, company, job, db):
    tag = poll(portal, jobs_path(company)).headers["ETag"]
    job.status = JobStatus.EN_ROUTE
    db.session.commit()
    changed = poll(portal, jobs_path(company), tag)
    assert changed.status_code == 200 and "on the way" in text_of(changed).lower()
    assert changed.headers["ETag"] != tag
    assert poll(portal, jobs_path(company), changed.headers["ETag"]).status_code == 304


def test_the_fragment_carries_its_tag_for_the_next_poll(shared_page_cache, portal, company):
    response = poll(portal, jobs_path(company))
    html = response.get_data(as_text=True)
    assert f'data-etag="{response.headers["ETag"].replace(chr(34), "&#34;")}"' in html


def test_an_unchanged_poll_reads_no_table(shared_page_cache, portal, company, count_queries):
    path = jobs_path(company)
    tag = poll(portal, path).headers["ETag"]
    with count_queries() as queries:
        assert poll(portal, path, tag).status_code == 304
    # who is asking is still checked (their session, their company); nothing else is read
    assert not [statement for statement in queries if READS_JOBS.search(statement)]
    with count_queries() as rendering:
        assert poll(portal, path).status_code == 200
    assert len(queries) < len(rendering)


def test_another_companys_change_keeps_the_304(
    shared_page_cache, portal, company, other_company, create, db
):
    tag = poll(portal, jobs_path(company)).headers["ETag"]
    create.customer(other_company, name="Somebody Else")
    db.session.commit()
    assert poll(portal, jobs_path(company), tag).status_code == 304


def test_one_persons_tag_does_not_fit_anothers_page(
    shared_page_cache, portal, company, create, fleet, app, db
):
    # (A rendered hash may fit: two people shown the very same list share it.)
    tag = poll(portal, jobs_path(company)).headers["ETag"]
    other = create.contact(fleet, name="Olive Other", email="olive@metro.example")
    db.session.commit()
    second = app.test_client()
    sign_in(second, other)
    db.session.commit()
    response = poll(second, jobs_path(company), tag)
    assert response.status_code == 200 and "Brake check" in text_of(response)


def test_a_signed_out_poll_learns_nothing(versions, portal, company, client, app):
    tag = poll(portal, jobs_path(company)).headers["ETag"]
    stranger = app.test_client()
    response = poll(stranger, jobs_path(company), tag)
    assert response.status_code != 304 and "Brake check" not in text_of(response)


def test_the_pending_badge_is_304_until_a_request_arrives(
    versions, staff_client, fleet, create, db
):
    create.request(fleet, description="Flat tyre")
    db.session.commit()
    first = poll(staff_client, "/requests/pending-count")
    assert text_of(first) == "1 pending"
    tag = first.headers["ETag"]
    assert poll(staff_client, "/requests/pending-count", tag).status_code == 304
    create.request(fleet, description="Noisy brakes")
    db.session.commit()
    changed = poll(staff_client, "/requests/pending-count", tag)
    assert changed.status_code == 200 and text_of(changed) == "2 pending"
