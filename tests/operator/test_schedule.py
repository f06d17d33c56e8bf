"""The schedule board: a day of jobs, one lane per technician, overlaps flagged, the queue
of unscheduled jobs; dispatchers and owners only."""

import re
from datetime import date, timedelta

import pytest

from fieldportal.models import JobStatus, StaffRole
from fieldportal.services.clock import company_today, day_bounds_utc
from fieldportal.services.work import schedule

from ..helpers import text_of
from .conftest import HX

S = JobStatus
DAY = date(2030, 3, 12)


@pytest.fixture
def fleet(company, create):
    return create.fleet(company, vehicles=0, name="Golf Vans")


@pytest.fixture
def at(company):
    """at(hours, length=1) -> the window from that hour of DAY (the company's time)."""
    midnight = day_bounds_utc(company, DAY)[0]

    def window(hours: float, length: float = 1) -> dict:
        start = midnight + timedelta(hours=hours)
        return {"window_start": start, "window_end": start + timedelta(hours=length)}

    return window


def lane_titles(board) -> dict:
    return {
        (lane.technician.name if lane.technician else None): [
            (slot.job.title, slot.overlaps) for slot in lane.slots
        ]
        for lane in board.lanes
    }


def test_lanes_per_technician_with_overlaps_and_the_queue(
    company, create, fleet, technician, other_company, at
):
    idle = create.staff(company, StaffRole.TECHNICIAN, name="Ivy Idle")
    create.staff(company, StaffRole.TECHNICIAN, name="Gone Away", active=False)
    tech = technician.id
    create.job(fleet, S.ASSIGNED, title="Long", technician_id=tech, **at(8, length=3))
    create.job(fleet, S.ASSIGNED, title="Inside", technician_id=tech, **at(9))
    create.job(fleet, S.ASSIGNED, title="After", technician_id=tech, **at(11))
    create.job(fleet, S.COMPLETED, title="Touching", technician_id=tech, **at(12))
    create.job(fleet, S.CANCELLED, title="Off", technician_id=tech, **at(9))
    create.job(fleet, S.SCHEDULED, title="Nobody's", **at(10))
    create.job(fleet, S.ASSIGNED, title="Next day", technician_id=tech, **at(25))
    create.job(fleet, S.UNSCHEDULED, title="Waiting")
    create.job(create.fleet(other_company, vehicles=0), S.UNSCHEDULED, title="Rival's")
    board = schedule.day_board(company, DAY)
    assert lane_titles(board) == {
        "Ivy Idle": [],
        "Theo Technician": [
            ("Long", True),
            ("Inside", True),
            ("After", False),  # starts as Long ends
            ("Touching", False),
        ],
        None: [("Nobody's", False)],
    }
    assert [job.title for job in board.queue] == ["Waiting"]
    assert str(board.queue_count) == "1"
    assert idle.id in {lane.technician.id for lane in board.lanes if lane.technician}


def test_board_day_reads_the_day_or_is_today(company):
    today = company_today(company)
    assert schedule.board_day(company, "2030-03-12") == DAY
    for value in (None, "", "tomorrow", "2030-02-30", "0000-00-00"):
        assert schedule.board_day(company, value) == today
    assert schedule.board_day(company, "0001-01-01") > date.min


def test_the_dispatcher_sees_the_day_and_moves_between_days(
    client_as, dispatcher, create, fleet, technician, at
):
    create.job(fleet, S.ASSIGNED, title="Brakes", technician_id=technician.id, **at(9))
    create.job(fleet, S.UNSCHEDULED, title="Someday")
    client = client_as(dispatcher)
    page = client.get("/schedule?day=2030-03-12")
    assert page.status_code == 200
    text = text_of(page)
    assert "Tuesday, March 12, 2030" in text and "Theo Technician" in text
    assert re.search(r"9:00\s?AM–10:00\s?AM #\d+ Brakes", text)
    assert "Someday" in text.split("Waiting for a time")[1]
    html = page.get_data(as_text=True)
    assert 'href="/schedule?day=2030-03-13"' in html and 'href="/schedule?day=2030-03-11"' in html
    fragment = client.get("/schedule?day=2030-03-13", headers=HX)
    body = fragment.get_data(as_text=True)
    assert body.startswith('<div id="schedule-board"') and "<html" not in body
    assert "Brakes" not in body and "Free all day." in body
    assert "Vary" in fragment.headers and "HX-Request" in fragment.headers["Vary"]


def test_jobs_today_leads_to_the_schedule_or_to_my_day(client_as, dispatcher, technician):
    dispatchers_home = client_as(dispatcher).get("/").get_data(as_text=True)
    assert re.search(r'<a href="/schedule">\d+<span', dispatchers_home)
    technicians_home = client_as(technician).get("/").get_data(as_text=True)
    assert re.search(r'<a href="/my-day">\d+<span', technicians_home)


def test_a_technician_has_no_schedule(client_as, technician):
    client = client_as(technician)
    assert client.get("/schedule").status_code == 404
    assert 'href="/schedule"' not in client.get("/").get_data(as_text=True)


def test_another_companys_jobs_are_not_on_the_board(
    staff_client, create, other_company, company, at
):
    rival = create.staff(other_company, StaffRole.TECHNICIAN, name="Rita Rival")
    create.job(
        create.fleet(other_company, vehicles=0),
        S.ASSIGNED,
        title="Rival job",
        technician_id=rival.id,
        **at(9),
    )
    text = text_of(staff_client.get("/schedule?day=2030-03-12"))
    assert "Rival" not in text


def test_board_query_count_does_not_grow_with_jobs(
    client_as, dispatcher, company, create, fleet, count_queries, at
):
    client = client_as(dispatcher)
    counts = []
    for size in (1, 15):
        for n in range(size):
            person = create.staff(company, StaffRole.TECHNICIAN)
            create.job(fleet, S.ASSIGNED, technician_id=person.id, **at(8 + n % 8))
            create.job(fleet, S.UNSCHEDULED)
        with count_queries() as queries:
            assert client.get("/schedule?day=2030-03-12").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts


# ---------------------------------------------------------------- planning in place


def plan_data(job, start="2030-03-12T13:00", end="2030-03-12T14:00", technician="") -> dict:
    prefix = f"plan-{job.id}"
    return {
        f"{prefix}-window_start": start,
        f"{prefix}-window_end": end,
        f"{prefix}-technician_id": str(technician),
    }


def test_a_queued_job_is_scheduled_and_assigned_from_the_board(
    client_as, dispatcher, create, fleet, technician, at
):
    from fieldportal.extensions import db

    job = create.job(fleet, S.UNSCHEDULED, title="Waiting")
    client = client_as(dispatcher)
    board = client.get("/schedule?day=2030-03-12").get_data(as_text=True)
    assert "<form" not in board.split('id="schedule-board"')[1]  # forms open on demand
    link = f'href="/schedule/jobs/{job.id}?day=2030-03-12"'
    assert link in board
    for headers in ({}, HX):
        opened = client.get(f"/schedule/jobs/{job.id}?day=2030-03-12", headers=headers)
        assert opened.status_code == 200
        assert f'action="/schedule/jobs/{job.id}?day=2030-03-12"' in opened.text
        assert ("<html" in opened.text) == (not headers)
    response = client.post(
        f"/schedule/jobs/{job.id}?day=2030-03-12", data=plan_data(job, technician=technician.id)
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/schedule?day=2030-03-12")
    db.session.refresh(job)
    assert job.status == S.ASSIGNED and job.technician_id == technician.id
    assert job.window_start == at(13)["window_start"]
    lane = text_of(client.get("/schedule?day=2030-03-12")).split("Theo Technician")[1]
    assert "Waiting" in lane.split("Waiting for a time")[0]


def test_htmx_answers_the_board_and_a_refusal_shows_beside_its_form(
    client_as, dispatcher, create, fleet, technician, at
):
    from fieldportal.extensions import db

    job = create.job(fleet, S.ASSIGNED, title="Brakes", technician_id=technician.id, **at(9))
    client = client_as(dispatcher)
    moved = client.post(
        f"/schedule/jobs/{job.id}?day=2030-03-12",
        data=plan_data(job, technician=technician.id),
        headers=HX,
    )
    assert moved.status_code == 200 and moved.text.startswith('<div id="schedule-board"')
    db.session.refresh(job)
    assert job.window_start == at(13)["window_start"]
    backwards = plan_data(job, start="2030-03-12T15:00", end="2030-03-12T14:00")
    refused = client.post(f"/schedule/jobs/{job.id}?day=2030-03-12", data=backwards, headers=HX)
    assert refused.status_code == 422
    form = refused.text.split(f'action="/schedule/jobs/{job.id}?day=2030-03-12"')[1]
    assert "The window must end after it starts." in form.split("</form>")[0]
    assert refused.text.count("<form") == 1  # only the refused one, open in place
    db.session.refresh(job)
    assert job.window_start == at(13)["window_start"] and job.technician_id == technician.id


def test_another_companys_job_or_technician_is_refused(
    client_as, dispatcher, create, fleet, other_company, technician, at
):
    from fieldportal.extensions import db

    client = client_as(dispatcher)
    theirs = create.job(create.fleet(other_company, vehicles=0), S.UNSCHEDULED)
    assert client.post(f"/schedule/jobs/{theirs.id}", data=plan_data(theirs)).status_code == 404
    stranger = create.staff(other_company, StaffRole.TECHNICIAN)
    ours = create.job(fleet, S.UNSCHEDULED)
    response = client.post(
        f"/schedule/jobs/{ours.id}", data=plan_data(ours, technician=stranger.id)
    )
    assert response.status_code == 422
    db.session.refresh(ours)
    assert ours.technician_id is None and ours.window_start is None
    assert client_as(technician).post(f"/schedule/jobs/{ours.id}", data={}).status_code == 404


def test_a_finished_jobs_form_page_says_it_no_longer_changes(client_as, dispatcher, create, fleet):
    job = create.job(fleet, S.COMPLETED)
    page = client_as(dispatcher).get(f"/schedule/jobs/{job.id}")
    assert page.status_code == 200 and '<form method="post" action="/schedule' not in page.text
    assert "its time and technician no longer change" in text_of(page)
