"""Fleet detail: vehicles with interval status, jobs, history, portal link and token."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fieldportal.extensions import db
from fieldportal.models import AuditEvent, AuthSession, JobStatus, SignInMethod
from fieldportal.services.auth.tokens import token_hash
from fieldportal.services.clock import company_today

from ..helpers import sign_in, text_of
from .conftest import HX


def test_detail_shows_contact_vehicles_with_status_and_jobs(staff_client, company, create):
    fleet = create.fleet(
        company,
        vehicles=0,
        name="Echo Express",
        phone="555-0100",
        interval_miles=5_000,
        interval_days=180,
    )
    create.contact(fleet, name="Erin Manager", email="erin@echo.test")
    today = company_today(company)
    create.vehicle(
        fleet,
        plate="OVER1",
        odometer=16_000,
        last_service_odometer=10_000,
        last_service_on=today - timedelta(days=10),
    )
    create.vehicle(
        fleet,
        plate="SOON1",
        odometer=14_700,
        last_service_odometer=10_000,
        last_service_on=today - timedelta(days=10),
    )
    create.vehicle(
        fleet,
        plate="OKAY1",
        odometer=11_000,
        last_service_odometer=10_000,
        last_service_on=today - timedelta(days=10),
    )
    nointerval = create.customer(company, name="x")  # noqa: F841 (not a fleet: not listed)
    upcoming = create.job(fleet, title="Brake check")
    create.job(fleet, JobStatus.COMPLETED, title="Old oil change")
    response = staff_client.get(f"/fleets/{fleet.id}")
    text = text_of(response)
    assert response.status_code == 200
    assert "Erin Manager" in text and "555-0100" in text
    html = response.get_data(as_text=True)

    def badge(plate):
        row = re.search(rf"\({plate}\).*?</tr>", html, re.S).group(0)
        return re.search(r'<span class="badge badge-(\w+)">([^<]+)</span>', row).groups()

    assert badge("OVER1") == ("overdue", "Overdue")
    assert badge("SOON1") == ("due_soon", "Due soon")
    assert badge("OKAY1") == ("ok", "OK")
    assert f"#{upcoming.number} Brake check" in text
    assert "Old oil change" in text  # in the history


def test_vehicle_without_interval_says_so(staff_client, company, create):
    fleet = create.fleet(company, vehicles=1, interval_miles=None, interval_days=None)
    assert "No interval" in text_of(staff_client.get(f"/fleets/{fleet.id}"))


def test_history_is_paginated_and_swaps_as_a_fragment(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=100)
    for n in range(25):
        create.job(
            fleet,
            JobStatus.COMPLETED,
            title=f"Job {n:02d}",
            completed_at=base + timedelta(days=n),
            window_start=base + timedelta(days=n),
            window_end=base + timedelta(days=n, hours=1),
        )
    first = text_of(staff_client.get(f"/fleets/{fleet.id}"))
    assert "Job 24" in first and "Job 05" in first and "Job 04" not in first
    assert "Page 1 of 2" in first
    fragment = staff_client.get(f"/fleets/{fleet.id}?page=2", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.startswith('<section id="fleet-history"')
    assert "Job 04" in html and "Job 05" not in html


def test_regenerate_token_shows_new_url_and_revokes_old(staff_client, company, create, owner):
    fleet = create.fleet(company, vehicles=0)
    old_session_id = sign_in(staff_client.application.test_client(), fleet).id
    fleet.portal_token_hash = "0" * 64
    response = staff_client.post(f"/fleets/{fleet.id}/portal-token", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    url = re.search(r'value="(https://portal\.example\.test/portal/t/([A-Za-z0-9_-]{43}))"', html)
    assert url, html
    assert 'data-copy="#portal-url"' in html
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(fleet)
    assert fleet.portal_token_hash == token_hash(url.group(2))
    assert db.session.get(AuthSession, old_session_id) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.customer_id == fleet.id))
    assert event.action == "fleet.portal_token_regenerated" and event.staff_user_id == owner.id
    # The raw token is nowhere in the database's audit trail.
    assert url.group(2) not in str(event.details) + event.summary


def test_regenerate_without_js_renders_the_page(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0)
    response = staff_client.post(f"/fleets/{fleet.id}/portal-token")
    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)
    assert "New portal link (shown once" in text_of(response)


def test_regenerate_needs_csrf(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0)
    response = staff_client.post(f"/fleets/{fleet.id}/portal-token", csrf=False)
    assert response.status_code == 400
    db.session.refresh(fleet)
    assert fleet.portal_token_hash is None


def test_portal_off_and_on_for_the_fleet(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0)
    token_session_id = sign_in(
        staff_client.application.test_client(), fleet, SignInMethod.TOKEN_URL
    ).id
    response = staff_client.post(f"/fleets/{fleet.id}/portal", data={"enabled": "off"}, headers=HX)
    assert response.status_code == 200
    assert "Turn portal on" in text_of(response)
    db.session.refresh(fleet)
    assert fleet.portal_enabled is False
    assert db.session.get(AuthSession, token_session_id) is None
    response = staff_client.post(f"/fleets/{fleet.id}/portal", data={"enabled": "on"})
    assert response.status_code == 303
    db.session.refresh(fleet)
    assert fleet.portal_enabled is True


def test_portal_toggle_rejects_nonsense(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0)
    response = staff_client.post(
        f"/fleets/{fleet.id}/portal", data={"enabled": "maybe"}, headers=HX
    )
    assert response.status_code == 422
    db.session.refresh(fleet)
    assert fleet.portal_enabled is True


def test_other_tenants_fleet_is_404_everywhere(staff_client, other_company, create):
    theirs = create.fleet(other_company, vehicles=1)
    assert staff_client.get(f"/fleets/{theirs.id}").status_code == 404
    assert staff_client.get(f"/fleets/{theirs.id}", headers=HX).status_code == 404
    assert staff_client.post(f"/fleets/{theirs.id}/portal-token").status_code == 404
    assert (
        staff_client.post(f"/fleets/{theirs.id}/portal", data={"enabled": "off"}).status_code == 404
    )
    db.session.refresh(theirs)
    assert theirs.portal_token_hash is None and theirs.portal_enabled is True


def test_a_consumer_is_not_a_fleet(staff_client, company, create):
    consumer = create.customer(company)
    assert staff_client.get(f"/fleets/{consumer.id}").status_code == 404


def test_technician_cannot_regenerate(client_as, technician, company, create):
    fleet = create.fleet(company, vehicles=0)
    assert client_as(technician).post(f"/fleets/{fleet.id}/portal-token").status_code == 404


def test_detail_query_count_is_constant(staff_client, company, create, count_queries):
    counts = []
    for size in (2, 40):
        fleet = create.fleet(company, vehicles=size)
        create.contact(fleet)
        for _ in range(size):
            create.job(fleet)
            create.job(fleet, JobStatus.COMPLETED)
        with count_queries() as queries:
            assert staff_client.get(f"/fleets/{fleet.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts
