"""My day: a technician's jobs of today on the phone, and the buttons that move one on
(On my way → Arrived → Start work → Complete), each safe to repeat."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import (
    AuditEvent,
    Job,
    JobStatus,
    JobStatusChange,
    OdometerReading,
    StaffRole,
)
from fieldportal.services import notifications
from fieldportal.services.clock import company_today, day_bounds_utc
from fieldportal.services.errors import Invalid
from fieldportal.services.work import my_day

from ..helpers import text_of
from .conftest import HX

S = JobStatus


@pytest.fixture
def fleet(company, create):
    return create.fleet(company, vehicles=0, name="Golf Vans", phone="+13125550199")


@pytest.fixture
def other_technician(company, create):
    return create.staff(company, StaffRole.TECHNICIAN, name="Tess Other")


@pytest.fixture
def today_at(company):
    """today_at(hours) -> a window of one hour starting that many hours into today."""
    midnight = day_bounds_utc(company, company_today(company))[0]

    def window(hours: float) -> dict:
        start = midnight + timedelta(hours=hours)
        return {"window_start": start, "window_end": start + timedelta(hours=1)}

    return window


def stamps(job) -> list[tuple[JobStatus, int | None]]:
    return db.session.execute(
        select(JobStatusChange.to_status, JobStatusChange.changed_by_id)
        .where(JobStatusChange.job_id == job.id)
        .order_by(JobStatusChange.id)
    ).all()


def card_titles(response) -> list[str]:
    return re.findall(r"<h2>[^<]*· (#\d+ [^<]+)</h2>", response.get_data(as_text=True))


# ---------------------------------------------------------------- services


def test_todays_jobs_are_the_technicians_own_in_order(
    company, create, fleet, technician, other_technician, today_at
):
    late = create.job(fleet, S.ASSIGNED, title="Late", technician_id=technician.id, **today_at(15))
    early = create.job(fleet, S.ASSIGNED, title="Early", technician_id=technician.id, **today_at(8))
    create.job(fleet, S.ASSIGNED, title="Theirs", technician_id=other_technician.id, **today_at(9))
    create.job(fleet, S.CANCELLED, title="Off", technician_id=technician.id, **today_at(10))
    create.job(fleet, S.ASSIGNED, title="Tomorrow", technician_id=technician.id, **today_at(30))
    create.job(fleet, S.ASSIGNED, title="Yesterday", technician_id=technician.id, **today_at(-5))
    assert my_day.todays_jobs(company, technician) == [early, late]
    company.technicians_see_all_jobs = True
    assert [j.title for j in my_day.todays_jobs(company, technician)] == ["Early", "Theirs", "Late"]


def test_steps_go_in_order_and_a_repeated_step_changes_nothing(
    create, fleet, technician, today_at, monkeypatch
):
    on_the_way = []
    monkeypatch.setattr(notifications, "technician_on_the_way", on_the_way.append)
    job = create.job(fleet, S.ASSIGNED, technician_id=technician.id, **today_at(9))
    assert my_day.next_step(job) == S.EN_ROUTE
    assert my_day.take_step(job, S.EN_ROUTE, by=technician) is True
    assert my_day.take_step(job, S.EN_ROUTE, by=technician) is False
    assert on_the_way == [job]  # the customer is told once (services/notifications.py)
    assert my_day.next_step(job) == S.ARRIVED
    assert my_day.take_step(job, S.ARRIVED, by=technician) is True
    # A late retry of an earlier step does not move the job back.
    assert my_day.take_step(job, S.EN_ROUTE, by=technician) is False
    assert my_day.take_step(job, S.IN_PROGRESS, by=technician) is True
    assert job.status == S.IN_PROGRESS and my_day.next_step(job) == S.COMPLETED
    assert [s for s, _ in stamps(job)] == [S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS]
    assert {by for _, by in stamps(job)} == {technician.id}
    assert on_the_way == [job]


def test_a_cancelled_job_takes_no_step_and_completion_is_not_a_step(
    create, fleet, technician, today_at
):
    job = create.job(fleet, S.CANCELLED, technician_id=technician.id, **today_at(9))
    assert my_day.next_step(job) is None
    with pytest.raises(Invalid, match="cancelled cannot become en route"):
        my_day.take_step(job, S.EN_ROUTE, by=technician)
    with pytest.raises(Invalid):
        my_day.take_step(job, S.COMPLETED, by=technician)
    assert stamps(job) == []


def test_finish_uses_the_completion_rule_and_is_safe_to_repeat(
    company, create, fleet, technician, today_at
):
    vehicle = create.vehicle(fleet, odometer=10_000)
    job = create.job(
        fleet, S.IN_PROGRESS, technician_id=technician.id, vehicle_id=vehicle.id, **today_at(9)
    )
    with pytest.raises(Invalid, match="cannot go backwards"):
        my_day.finish(job, odometer=9_000, services_performed="Oil", by=technician, company=company)
    assert job.status == S.IN_PROGRESS
    done = my_day.finish(
        job, odometer=10_400, services_performed="Oil", by=technician, company=company
    )
    again = my_day.finish(
        job, odometer=10_900, services_performed="Again", by=technician, company=company
    )
    assert (done, again) == (True, False)
    assert job.status == S.COMPLETED and vehicle.odometer == 10_400
    assert job.services_performed == "Oil"
    assert db.session.scalar(select(func.count(OdometerReading.id))) == 1


def test_the_card_has_the_address_the_maps_link_and_the_stamps(
    company, create, fleet, technician, today_at
):
    site = create.site(fleet, address_line1="1 Main St & Co", city="Chicago")
    job = create.job(fleet, S.ASSIGNED, technician_id=technician.id, site_id=site.id, **today_at(9))
    my_day.take_step(job, S.EN_ROUTE, by=technician)
    card = my_day.day_cards(company, technician)[0]
    assert card.address.startswith("1 Main St & Co") and card.mine
    assert card.maps_url.startswith("https://www.google.com/maps/search/?api=1&query=1%20Main")
    assert "%26" in card.maps_url  # the ampersand does not cut the address short
    assert [change.to_status for change in card.stamps] == [S.EN_ROUTE]


# ---------------------------------------------------------------- what the technician sees


def test_the_page_shows_the_days_jobs_with_what_the_technician_needs(
    client_as, company, create, fleet, technician, other_technician, today_at
):
    vehicle = create.vehicle(fleet, plate="VAN 42")
    create.job(
        fleet,
        S.ASSIGNED,
        title="Brakes",
        technician_id=technician.id,
        vehicle_id=vehicle.id,
        internal_notes="Key under the mat",
        **today_at(10),
    )
    create.job(fleet, S.ASSIGNED, title="Oil", technician_id=technician.id, **today_at(8))
    create.job(fleet, S.ASSIGNED, title="Theirs", technician_id=other_technician.id, **today_at(9))
    response = client_as(technician).get("/my-day")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [t.split(" ", 1)[1] for t in card_titles(response)] == ["Oil", "Brakes"]
    assert 'href="tel:+13125550199"' in html
    assert "VAN 42" in text_of(response) and "Key under the mat" in text_of(response)
    assert html.count('name="step" value="en_route"') == 2
    assert "Theirs" not in html
    assert '<a href="/my-day"' in html  # in the navigation


def test_seeing_all_jobs_shows_others_without_their_buttons(
    client_as, company, create, fleet, technician, other_technician, today_at
):
    company.technicians_see_all_jobs = True
    create.job(fleet, S.ASSIGNED, title="Theirs", technician_id=other_technician.id, **today_at(9))
    html = client_as(technician).get("/my-day").get_data(as_text=True)
    assert "Theirs" in html and "Tess Other" in html
    assert 'name="step"' not in html


def test_a_technician_runs_a_job_to_completion_with_plain_posts(
    client_as, company, create, fleet, technician, today_at
):
    vehicle = create.vehicle(fleet, odometer=50_000)
    job = create.job(
        fleet, S.ASSIGNED, technician_id=technician.id, vehicle_id=vehicle.id, **today_at(9)
    )
    client = client_as(technician)
    for step in ("en_route", "en_route", "arrived", "in_progress", "in_progress"):
        response = client.post(f"/my-day/jobs/{job.id}/step", data={"step": step})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/my-day#job-{job.id}")
    page = client.get("/my-day")
    assert "Complete job" in text_of(page) and f'name="job-{job.id}-odometer"' in page.text
    assert re.search(r"On the way \d+:\d\d\s[AP]M by Theo Technician", text_of(page))
    data = {f"job-{job.id}-odometer": "50120", f"job-{job.id}-services_performed": "Oil, filter"}
    assert client.post(f"/my-day/jobs/{job.id}/complete", data=data).status_code == 303
    assert client.post(f"/my-day/jobs/{job.id}/complete", data=data).status_code == 303
    db.session.refresh(job)
    assert job.status == S.COMPLETED and job.odometer_at_service == 50_120
    assert [s for s, _ in stamps(job)] == [S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.COMPLETED]
    assert {by for _, by in stamps(job)} == {technician.id}
    assert db.session.scalar(select(func.count(OdometerReading.id))) == 1
    audited = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_id == job.id, AuditEvent.staff_user_id == technician.id
        )
    ).all()
    assert audited.count("job.status_changed") == 3 and audited.count("job.completed") == 1
    done = client.get("/my-day")
    assert "Completed" in text_of(done) and 'name="step"' not in done.text


def test_htmx_swaps_only_the_card(client_as, create, fleet, technician, today_at):
    job = create.job(fleet, S.ASSIGNED, technician_id=technician.id, **today_at(9))
    response = client_as(technician).post(
        f"/my-day/jobs/{job.id}/step", data={"step": "en_route"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.startswith(f'<li class="card day-card" id="job-{job.id}"')
    assert 'value="arrived"' in html and "En route" in html


def test_a_refused_completion_shows_the_message_next_to_the_form(
    client_as, create, fleet, technician, today_at
):
    vehicle = create.vehicle(fleet, odometer=50_000)
    job = create.job(
        fleet, S.IN_PROGRESS, technician_id=technician.id, vehicle_id=vehicle.id, **today_at(9)
    )
    client = client_as(technician)
    data = {f"job-{job.id}-odometer": "49000", f"job-{job.id}-services_performed": "Oil"}
    for headers in ({}, HX):
        response = client.post(f"/my-day/jobs/{job.id}/complete", data=data, headers=headers)
        assert response.status_code == 422
        form = response.get_data(as_text=True).split(f'action="/my-day/jobs/{job.id}/complete"')[1]
        assert "The odometer cannot go backwards: the last reading was 50,000." in form
    missing = client.post(f"/my-day/jobs/{job.id}/complete", data={}, headers=HX)
    assert missing.status_code == 422 and "This field is required." in missing.text
    db.session.refresh(job)
    db.session.refresh(vehicle)
    assert job.status == S.IN_PROGRESS and vehicle.odometer == 50_000


@pytest.mark.parametrize("step", ["", "completed", "cancelled", "nope"])
def test_a_step_that_is_not_one_is_refused(client_as, create, fleet, technician, today_at, step):
    job = create.job(fleet, S.ASSIGNED, technician_id=technician.id, **today_at(9))
    response = client_as(technician).post(f"/my-day/jobs/{job.id}/step", data={"step": step})
    assert response.status_code == 422 and "That is not a step of a job." in text_of(response)
    assert stamps(job) == []


def test_a_cancelled_job_is_refused_with_a_message(client_as, create, fleet, technician, today_at):
    job = create.job(fleet, S.CANCELLED, technician_id=technician.id, **today_at(9))
    response = client_as(technician).post(f"/my-day/jobs/{job.id}/step", data={"step": "arrived"})
    assert response.status_code == 422
    assert "A job that is cancelled cannot become arrived." in text_of(response)
    assert stamps(job) == []


def test_another_technicians_or_companys_job_is_404(
    client_as, company, create, fleet, technician, other_technician, other_company, today_at
):
    company.technicians_see_all_jobs = True  # seeing is not acting
    theirs = create.job(fleet, S.ASSIGNED, technician_id=other_technician.id, **today_at(9))
    nobodys = create.job(fleet, S.SCHEDULED, **today_at(9))
    rival = create.staff(other_company, StaffRole.TECHNICIAN)
    foreign = create.job(
        create.fleet(other_company, vehicles=0), S.ASSIGNED, technician_id=rival.id
    )
    client = client_as(technician)
    for job in (theirs, nobodys, foreign):
        for action, data in (("step", {"step": "en_route"}), ("complete", {})):
            for headers in ({}, HX):
                response = client.post(
                    f"/my-day/jobs/{job.id}/{action}", data=data, headers=headers
                )
                assert response.status_code == 404, (job.title, action)
        assert stamps(job) == []
    assert db.session.get(Job, theirs.id).status == S.ASSIGNED


def test_the_portal_shows_each_step_at_once(
    client_as, app, company, create, fleet, technician, today_at
):
    from tests.factories import create_contact
    from tests.helpers import sign_in

    contact = create_contact(fleet, is_admin=True)
    job = create.job(fleet, S.ASSIGNED, title="Brakes", technician_id=technician.id, **today_at(9))
    portal = app.test_client()
    sign_in(portal, contact)
    phone = client_as(technician)

    def portal_status():
        page = portal.get(f"/portal/{company.slug}/jobs")
        return re.search(r"data-status>([^<]+)<", page.get_data(as_text=True)).group(1)

    assert portal_status() == "Technician assigned"
    for step, label in (
        ("en_route", "On the way"),
        ("arrived", "Technician arrived"),
        ("in_progress", "In progress"),
    ):
        phone.post(f"/my-day/jobs/{job.id}/step", data={"step": step})
        assert portal_status() == label


def test_page_query_count_does_not_grow_with_jobs(
    client_as, create, fleet, technician, today_at, count_queries
):
    client = client_as(technician)
    counts = []
    for size in (1, 12):
        for _ in range(size):
            vehicle = create.vehicle(fleet)
            job = create.job(
                fleet, S.ASSIGNED, technician_id=technician.id, vehicle_id=vehicle.id, **today_at(8)
            )
            my_day.take_step(job, S.EN_ROUTE, by=technician)
        with count_queries() as queries:
            assert client.get("/my-day").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts


def test_htmx_reloads_the_list_alone(client_as, create, fleet, technician, today_at):
    create.job(fleet, S.ASSIGNED, title="Oil", technician_id=technician.id, **today_at(9))
    response = client_as(technician).get("/my-day", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="day-list">')
    assert "<html" not in html and "Oil" in html


def test_the_owner_lets_technicians_see_all_jobs_in_settings(staff_client, company):
    from .test_settings import VALID

    assert "Technicians see every job of the day in My day" in text_of(
        staff_client.get("/settings")
    )
    response = staff_client.post("/settings", data={**VALID, "technicians_see_all_jobs": "y"})
    assert response.status_code == 303
    db.session.refresh(company)
    assert company.technicians_see_all_jobs
    assert staff_client.post("/settings", data=VALID).status_code == 303
    db.session.refresh(company)
    assert not company.technicians_see_all_jobs
