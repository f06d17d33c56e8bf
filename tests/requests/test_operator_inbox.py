"""The operator's request inbox: listing, filters, inline approve/decline, photos, scoping."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldportal.models import (
    Job,
    JobStatus,
    OutboxEmail,
    RequestStatus,
    StaffRole,
    Urgency,
)
from fieldportal.services.work.requests import RequestInput, approve_request, submit_request
from tests.helpers import sign_in, text_of

from .conftest import image_bytes, upload

HX = {"HX-Request": "true"}


def _submit(setup, **overrides):
    values = dict(
        description="Brakes squeal when cold",
        site_id=setup.site.id,
        vehicle_id=setup.vehicle.id,
        job_type_id=setup.brakes.id,
        preferred_date=setup.tomorrow,
        urgency="normal",
    )
    values.update(overrides)
    return submit_request(setup.contact, setup.company, RequestInput(**values))


@pytest.fixture
def office(client, setup):
    sign_in(client, setup.dispatcher)
    return client


def test_inbox_lists_pending_newest_first_with_every_detail(office, setup, db):
    older = _submit(setup, description="Older one")
    older.created_at = datetime.now(UTC) - timedelta(hours=3)
    newer = _submit(setup, description="Newer one <script>alert(1)</script>", urgency="emergency")
    decided = _submit(setup, description="Already handled")
    approve_request(decided, by=setup.dispatcher)
    db.session.flush()
    response = office.get("/requests")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert text.index("Newer one") < text.index("Older one")
    assert "Already handled" not in text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    for expected in ("Bluebird Couriers", "North depot", "BLU001", "Brake inspection", "Emergency"):
        assert expected in text
    assert f'id="request-{newer.id}"' in html
    assert "2 pending" in text


def test_filters_by_urgency_customer_and_type(office, setup, create, db):
    _submit(setup, description="Routine", urgency="low")
    _submit(setup, description="Oil please", job_type_id=setup.oil.id, urgency="high")
    other = create.customer(setup.company, name="Zed Zebra Ltd")
    other_contact = create.contact(other)
    submit_request(
        other_contact,
        setup.company,
        RequestInput(description="From Zed", urgency="high"),
    )
    text = text_of(office.get("/requests?urgency=high"))
    assert "Oil please" in text and "From Zed" in text and "Routine" not in text
    text = text_of(office.get(f"/requests?customer_id={other.id}"))
    assert "From Zed" in text and "Oil please" not in text
    text = text_of(office.get(f"/requests?job_type_id={setup.oil.id}"))
    assert "Oil please" in text and "Routine" not in text and "From Zed" not in text
    # nonsense filters are ignored, never a 500
    assert office.get("/requests?urgency=zzz&customer_id=abc&page=-3").status_code == 200


def test_htmx_filter_gets_only_the_list(office, setup):
    _submit(setup)
    response = office.get("/requests?urgency=normal", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<div id="request-list">')
    assert "HX-Request" in response.headers.get("Vary", "")
    full = office.get("/requests?urgency=normal")
    assert len(response.data) < len(full.data)


def test_signed_out_is_sent_to_sign_in(client, setup):
    response = client.get("/requests")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_technicians_cannot_use_the_inbox(client, setup):
    request = _submit(setup)
    sign_in(client, setup.technician)
    for url in ("/requests", f"/requests/{request.id}", "/requests/panel"):
        assert client.get(url).status_code == 404
    assert client.post(f"/requests/{request.id}/decline", data={"reason": "x"}).status_code == 404


def test_approve_inline_replaces_the_row_and_fires_the_event(office, setup, db):
    request = _submit(setup)
    response = office.post(f"/requests/{request.id}/approve", data={}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.strip().startswith(f'<li id="request-{request.id}"')
    job = db.session.scalar(select(Job).where(Job.customer_id == setup.customer.id))
    assert f"job #{job.number}" in text_of(response)
    assert "Approved by Dana Dispatch" in text_of(response)
    assert "requests-changed" in json.loads(response.headers["HX-Trigger"])
    assert job.status == JobStatus.UNSCHEDULED
    db.session.refresh(request)
    assert request.status == RequestStatus.APPROVED and request.job_id == job.id
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_approved"))
    assert email.to_address == setup.contact.email


def test_approve_with_window_and_technician_in_company_time(office, setup, db):
    request = _submit(setup)
    response = office.post(
        f"/requests/{request.id}/approve",
        data={
            "date": "2030-05-01",
            "start": "09:00",
            "end": "11:30",
            "technician_id": setup.technician.id,
        },
        headers=HX,
    )
    assert response.status_code == 200
    job = db.session.scalar(select(Job).where(Job.customer_id == setup.customer.id))
    assert job.status == JobStatus.ASSIGNED and job.technician_id == setup.technician.id
    # America/Chicago is UTC-5 in May
    assert job.window_start == datetime(2030, 5, 1, 14, 0, tzinfo=UTC)
    assert job.window_end == datetime(2030, 5, 1, 16, 30, tzinfo=UTC)


def test_approve_bad_window_re_renders_the_row_422(office, setup, db, create, other_company):
    request = _submit(setup)
    response = office.post(
        f"/requests/{request.id}/approve",
        data={"date": "2030-05-01", "start": "11:00", "end": "09:00"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "The window must end after it starts." in text_of(response)
    response = office.post(f"/requests/{request.id}/approve", data={"start": "11:00"}, headers=HX)
    assert response.status_code == 422 and "Pick a date for the window." in text_of(response)
    foreign = create.staff(other_company, StaffRole.TECHNICIAN)
    response = office.post(
        f"/requests/{request.id}/approve", data={"technician_id": foreign.id}, headers=HX
    )
    assert response.status_code == 422 and "Choose one of your technicians." in text_of(response)
    assert db.session.scalar(select(Job.id).limit(1)) is None


def test_approve_without_js_redirects_303(office, setup, db):
    request = _submit(setup)
    response = office.post(f"/requests/{request.id}/approve", data={})
    assert response.status_code == 303 and response.headers["Location"].endswith("/requests")
    followed = office.get("/requests")
    assert "approved as job #" in text_of(followed)


def test_decline_requires_a_reason_inline(office, setup, db):
    request = _submit(setup)
    response = office.post(f"/requests/{request.id}/decline", data={"reason": "  "}, headers=HX)
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert "Give the customer a reason." in text_of(response)
    db.session.refresh(request)
    assert request.status == RequestStatus.PENDING
    # without JavaScript: the page with the same message
    response = office.post(f"/requests/{request.id}/decline", data={"reason": ""})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert "Give the customer a reason." in text_of(response)


def test_decline_with_reason_turns_the_row_declined(office, setup, db):
    request = _submit(setup)
    response = office.post(
        f"/requests/{request.id}/decline", data={"reason": "Outside our area"}, headers=HX
    )
    assert response.status_code == 200
    assert "Declined by Dana Dispatch" in text_of(response) and "Outside our area" in text_of(
        response
    )
    assert "requests-changed" in response.headers["HX-Trigger"]
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_declined"))
    assert "Outside our area" in email.text_body
    assert db.session.scalar(select(Job.id).limit(1)) is None


def test_second_decision_gets_409_saying_who(office, setup, db, owner):
    request = _submit(setup)
    approve_request(request, by=owner)
    db.session.flush()
    response = office.post(f"/requests/{request.id}/decline", data={"reason": "No"}, headers=HX)
    assert response.status_code == 409
    assert "already approved by Olivia Owner" in text_of(response)
    assert "requests-changed" in response.headers["HX-Trigger"]
    assert len(db.session.scalars(select(Job)).all()) == 1


def test_other_tenants_request_and_photos_answer_404(client, setup, create, other_company):
    request = _submit(setup, photos=[upload(image_bytes())])
    photo = request.photos[0]
    rival = create.staff(other_company, StaffRole.OWNER)
    sign_in(client, rival)
    assert client.get(f"/requests/{request.id}").status_code == 404
    assert client.post(f"/requests/{request.id}/approve", data={}).status_code == 404
    assert client.post(f"/requests/{request.id}/decline", data={"reason": "x"}).status_code == 404
    for variant in ("full", "thumb"):
        assert client.get(f"/requests/{request.id}/photos/{photo.id}/{variant}").status_code == 404
    assert request.status == RequestStatus.PENDING


def test_photos_served_to_own_staff_only_under_their_request(office, setup, create):
    request = _submit(setup, photos=[upload(image_bytes("PNG"), "a.png", "image/png")])
    other_request = _submit(setup)
    photo = request.photos[0]
    html = office.get("/requests").get_data(as_text=True)
    thumb_url = f"/requests/{request.id}/photos/{photo.id}/thumb"
    assert thumb_url in html
    response = office.get(thumb_url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert office.get(f"/requests/{request.id}/photos/{photo.id}/full").status_code == 200
    assert office.get(f"/requests/{other_request.id}/photos/{photo.id}/full").status_code == 404
    assert office.get(f"/requests/{request.id}/photos/{photo.id}/original").status_code == 404


def test_inbox_queries_do_not_grow_with_rows(office, setup, count_queries, create):
    for n in range(3):
        _submit(setup, description=f"Request {n}", photos=[upload(image_bytes())])
    with count_queries() as few:
        assert office.get("/requests").status_code == 200
    for n in range(15):
        other = create.customer(setup.company)
        submit_request(create.contact(other), setup.company, RequestInput(description=f"More {n}"))
        _submit(
            setup,
            description=f"Extra {n}",
            photos=[upload(image_bytes())],
            vehicle_id=None,
            asset_id=setup.asset.id,
        )
    with count_queries() as many:
        response = office.get("/requests")
    assert "Extra 14" in text_of(response)
    assert len(many) == len(few)
    assert len(many) <= 12, len(many)


def _reads_of_the_request(statements: list[str]) -> int:
    return sum(
        1 for s in statements if s.lstrip().upper().startswith("SELECT service_requests".upper())
    )


def test_inline_approve_reads_the_request_once_in_at_most_8_queries(
    office, setup, count_queries, db
):
    request = _submit(setup, photos=[upload(image_bytes())])
    request_id, technician_id = request.id, setup.technician.id
    db.session.flush()
    db.session.expire_all()
    with count_queries() as plain:
        response = office.post(f"/requests/{request_id}/approve", data={}, headers=HX)
    assert response.status_code == 200 and "Approved by Dana Dispatch" in text_of(response)
    assert len(plain) <= 8, plain
    assert _reads_of_the_request(plain) == 1, plain
    # scheduling and assigning at once costs the technician's row, nothing more
    other = _submit(setup, description="Second").id
    db.session.flush()
    db.session.expire_all()
    with count_queries() as assigned:
        response = office.post(
            f"/requests/{other}/approve",
            data={"date": "2030-05-01", "start": "09:00", "technician_id": technician_id},
            headers=HX,
        )
    assert response.status_code == 200 and "assigned" in text_of(response)
    assert len(assigned) <= 9, assigned
    assert _reads_of_the_request(assigned) == 1, assigned
    # a replay is refused from the row already read: no write, no second read
    with count_queries() as replay:
        response = office.post(f"/requests/{request_id}/approve", data={}, headers=HX)
    assert response.status_code == 409 and "already approved by Dana Dispatch" in text_of(response)
    assert len(replay) <= 2, replay


def test_panel_and_badge_fragments(office, setup):
    _submit(setup, description="First")
    _submit(setup, description="Second", urgency="emergency")
    response = office.get("/requests/panel", headers=HX)
    text = text_of(response)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert "Pending requests 2" in text and "Bluebird Couriers" in text
    assert 'hx-trigger="requests-changed from:body"' in response.get_data(as_text=True)
    badge = office.get("/requests/pending-count", headers=HX)
    assert text_of(badge) == "2 pending"
    assert 'hx-trigger="poll, requests-changed from:body"' in badge.get_data(as_text=True)


def test_panel_included_bare_loads_itself(app, setup):
    from flask import render_template

    with app.test_request_context():
        html = render_template("partials/operator/_pending_requests_panel.html")
    assert 'hx-trigger="load, requests-changed from:body"' in html
    assert 'hx-get="/requests/panel"' in html


def test_detail_page_and_csrf(office, setup, db):
    request = _submit(setup, urgency=Urgency.LOW.value)
    assert "Brakes squeal when cold" in text_of(office.get(f"/requests/{request.id}"))
    assert office.post(f"/requests/{request.id}/approve", data={}, csrf=False).status_code == 400
    db.session.refresh(request)
    assert request.status == RequestStatus.PENDING


def test_nul_bytes_and_random_text_never_500(office, setup, db):
    request = _submit(setup)
    response = office.post(
        f"/requests/{request.id}/decline", data={"reason": "bad\x00reason"}, headers=HX
    )
    assert response.status_code == 400
    assert "not allowed (NUL)" in text_of(response)
    for data in (
        {"date": "", "start": "25:99", "end": "x", "technician_id": "1e9"},
        {"date": "2030-02-30", "technician_id": "-1"},
        {"technician_id": "99999999"},
    ):
        response = office.post(f"/requests/{request.id}/approve", data=data, headers=HX)
        assert response.status_code == 422, data
    db.session.refresh(request)
    assert request.status == RequestStatus.PENDING


def test_inbox_filters_past_any_id_or_page_are_ignored_not_a_500(office, setup):
    for query in ("customer_id=" + "9" * 30, "job_type_id=" + "9" * 30, "page=" + "9" * 30):
        assert office.get(f"/requests?{query}").status_code == 200, query


def _pager_link(response, rel: str) -> tuple[str, str] | None:
    """(href, hx-get) of the pager's Newer (rel=prev) or Older (rel=next) link."""
    import re
    from html import unescape

    html = response.get_data(as_text=True)
    found = re.search(rf'<a rel="{rel}" href="([^"]+)" hx-get="([^"]+)"', html)
    return (unescape(found.group(1)), unescape(found.group(2))) if found else None


def test_inbox_pages_keep_the_filter_and_swap_the_list(office, setup):
    for n in range(27):
        _submit(setup, description=f"Urgent number {n:02d}", urgency="high")
    _submit(setup, description="A normal one")
    first = office.get("/requests?urgency=high")
    text = text_of(first)
    assert "Page 1 of 2" in text and "Urgent number 26" in text and "Urgent number 01" not in text
    assert 'hx-target="#request-list" hx-swap="outerHTML"' in first.get_data(as_text=True)
    assert _pager_link(first, "prev") is None
    href, hx_get = _pager_link(first, "next")
    assert "urgency=high" in href and "page=2" in href
    older = office.get(hx_get, headers=HX)
    older_text = text_of(older)
    assert "<html" not in older.get_data(as_text=True)
    assert "Urgent number 01" in older_text and "Urgent number 26" not in older_text
    assert "A normal one" not in older_text and "Page 2 of 2" in older_text
    newer_href, _ = _pager_link(older, "prev")
    assert "urgency=high" in newer_href and "page=" not in newer_href
    # Past the last page: the last page, not an empty list.
    assert "Urgent number 01" in text_of(office.get("/requests?urgency=high&page=9"))


def test_customer_filter_is_chosen_from_a_row_and_lists_no_customers(office, setup, create):
    # The filter offers no list of every customer who ever asked (it would grow with
    # them): a row narrows the inbox to its customer, and the filter then shows that one.
    _submit(setup, description="From Bluebird")
    other = create.customer(setup.company, name="Zed Zebra Ltd")
    create.request(other, description="From Zed")
    html = office.get("/requests").get_data(as_text=True)
    assert 'id="filter-customer"' not in html
    narrowed = f'href="/requests?customer_id={other.id}&amp;status=all"'
    assert narrowed in html and f'href="/requests?customer_id={setup.customer.id}&amp;' in html
    response = office.get(f"/requests?customer_id={other.id}&status=all")
    html = response.get_data(as_text=True)
    assert 'id="filter-customer"' in html
    assert f'<option value="{other.id}" selected>Zed Zebra Ltd</option>' in html
    assert '<option value="">Any</option>' in html
    assert "From Zed" in text_of(response) and "From Bluebird" not in text_of(response)


def test_customer_filter_of_another_company_finds_nothing(office, setup, create):
    elsewhere = create.customer(create.company(), name="Elsewhere Ltd")
    create.request(elsewhere, description="Not yours")
    _submit(setup, description="Ours")
    response = office.get(f"/requests?customer_id={elsewhere.id}&status=all")
    text = text_of(response)
    assert response.status_code == 200
    assert "Elsewhere Ltd" not in text and "Not yours" not in text and "Ours" not in text
    assert "No such customer" in text
