"""Jobs: list with filters/sort/pages, create/edit/schedule/assign, status moves, completion."""

import re
from datetime import UTC, datetime, timedelta

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
from fieldportal.services.clock import company_today
from fieldportal.services.fleet.intervals import ServiceState, vehicle_service_status
from fieldportal.services.work import jobs

from ..helpers import next_page_href, text_of
from .conftest import HX


def job_titles(response):
    return re.findall(r'<a href="/jobs/\d+">#\d+ ([^<]+)</a>', response.get_data(as_text=True))


def statuses(job):
    return db.session.scalars(
        select(JobStatusChange.to_status)
        .where(JobStatusChange.job_id == job.id)
        .order_by(JobStatusChange.id)
    ).all()


@pytest.fixture
def fleet(company, create):
    return create.fleet(company, vehicles=0, name="Golf Vans")


def test_list_filters_sorts_and_pages(
    staff_client, company, create, fleet, technician, monkeypatch
):
    base = datetime(2030, 3, 10, 15, tzinfo=UTC)
    for n in range(30):
        create.job(
            fleet,
            title=f"Job {n:02d}",
            window_start=base + timedelta(days=n),
            window_end=base + timedelta(days=n, hours=1),
            technician_id=technician.id if n % 2 else None,
        )
    create.job(fleet, JobStatus.UNSCHEDULED, title="Someday")
    first = staff_client.get("/jobs")
    assert "Showing 1–25 of 31 jobs" in text_of(first)
    with monkeypatch.context() as patch:  # a longer list than the count's bound
        patch.setattr(jobs, "COUNT_LIMIT", 30)
        assert "Showing 1–25 of 30+ jobs" in text_of(staff_client.get("/jobs"))
    assert job_titles(first)[:2] == ["Job 29", "Job 28"]
    assert job_titles(staff_client.get("/jobs?sort=when&dir=asc"))[:2] == ["Job 00", "Job 01"]
    next_page = next_page_href(first)
    assert job_titles(staff_client.get(next_page))[-1] == "Someday"  # no window: last
    assert job_titles(staff_client.get("/jobs?status=unscheduled")) == ["Someday"]
    ranged = staff_client.get("/jobs?from=2030-03-12&to=2030-03-13&dir=asc")
    assert job_titles(ranged) == ["Job 02", "Job 03"]
    mine = staff_client.get(f"/jobs?technician={technician.id}")
    assert all(int(t[-2:]) % 2 for t in job_titles(mine))
    fragment = staff_client.get("/jobs?status=scheduled", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.startswith('<div id="job-table"')


def walk_pages(client, url) -> tuple[list[str], int]:
    """Every job title shown by following Next from ``url``, and how many pages it took."""
    titles, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        titles += job_titles(response)
        pages += 1
        url = next_page_href(response) if 'rel="next"' in response.get_data(as_text=True) else None
    return titles, pages


@pytest.mark.parametrize("sort", ["when", "number", "status", "customer"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_following_next_shows_every_job_once_in_order(
    staff_client, company, create, fleet, sort, direction
):
    """Keyset pages: ties on the sort column (same time, status or customer name) are
    neither skipped nor shown twice, jobs without a time come last, the filter is kept."""
    other = create.fleet(company, vehicles=0, name="golf vans")  # ties "Golf Vans" lower-cased
    when = datetime(2030, 3, 10, 15, tzinfo=UTC)
    for n in range(56):
        status = JobStatus.UNSCHEDULED if n % 7 == 0 else JobStatus.SCHEDULED
        create.job(
            other if n % 2 else fleet,
            status,
            title=f"Job {n:02d}",
            window_start=None if status == JobStatus.UNSCHEDULED else when + timedelta(days=n % 3),
        )
    seen, pages = walk_pages(staff_client, f"/jobs?sort={sort}&dir={direction}")
    assert pages == 3 and len(seen) == len(set(seen)) == 56
    if sort == "when":
        # No time: last in either direction, newest number first.
        assert seen[-8:] == [f"Job {n:02d}" for n in (49, 42, 35, 28, 21, 14, 7, 0)]
    others, pages = walk_pages(
        staff_client, f"/jobs?customer={other.id}&sort={sort}&dir={direction}"
    )
    assert pages == 2 and sorted(others) == [f"Job {n:02d}" for n in range(1, 56, 2)]
    assert others == [title for title in seen if int(title[-2:]) % 2]


def test_bad_filter_values_are_ignored(staff_client, fleet, create):
    create.job(fleet, title="Visible")
    response = staff_client.get("/jobs?status=nope&from=yesterday&technician=x&page=-3&sort=evil")
    assert response.status_code == 200
    assert job_titles(response) == ["Visible"]


def test_list_query_count_is_constant(
    staff_client, company, create, fleet, technician, count_queries
):
    counts = []
    for size in (3, 40):
        for _ in range(size):
            vehicle = create.vehicle(fleet)
            create.job(fleet, vehicle_id=vehicle.id, technician_id=technician.id)
        with count_queries() as queries:
            assert staff_client.get("/jobs").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts


def test_create_scheduled_job_is_stamped_and_audited(staff_client, company, fleet, create, owner):
    vehicle = create.vehicle(fleet)
    response = staff_client.post(
        f"/jobs/new?customer_id={fleet.id}",
        data={
            "title": "Brake pads",
            "vehicle_id": vehicle.id,
            "po_number": "PO-7",
            "window_start": "2030-05-01T09:00",
            "window_end": "2030-05-01T11:00",
            "internal_notes": "Bring the long jack",
        },
    )
    assert response.status_code == 303
    job = db.session.scalar(select(Job).where(Job.title == "Brake pads"))
    assert job.status == JobStatus.SCHEDULED and job.vehicle_id == vehicle.id
    # 09:00 in Chicago (CDT, UTC-5) is 14:00 UTC.
    assert job.window_start == datetime(2030, 5, 1, 14, tzinfo=UTC)
    assert statuses(job) == [JobStatus.SCHEDULED]
    assert db.session.scalar(
        select(AuditEvent.action).where(
            AuditEvent.object_id == job.id, AuditEvent.object_type == "Job"
        )
    )


def test_create_rejects_window_ending_before_start(staff_client, fleet):
    response = staff_client.post(
        f"/jobs/new?customer_id={fleet.id}",
        data={
            "title": "Backwards",
            "window_start": "2030-05-01T11:00",
            "window_end": "2030-05-01T09:00",
        },
    )
    assert response.status_code == 422
    assert "The window must end after it starts." in text_of(response)
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_create_rejects_another_tenants_vehicle(staff_client, fleet, other_company, create):
    theirs = create.vehicle(create.fleet(other_company, vehicles=0))
    response = staff_client.post(
        f"/jobs/new?customer_id={fleet.id}", data={"title": "Sneaky", "vehicle_id": theirs.id}
    )
    assert response.status_code == 422
    assert "Choose one of the options listed." in text_of(response)
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_new_job_for_another_tenants_customer_is_refused(staff_client, other_company, create):
    theirs = create.customer(other_company)
    response = staff_client.get(f"/jobs/new?customer_id={theirs.id}")
    assert response.status_code == 422
    assert "Choose one of the options listed." in text_of(response)
    assert (
        staff_client.post(f"/jobs/new?customer_id={theirs.id}", data={"title": "x"}).status_code
        == 422
    )


def test_edit_job(staff_client, fleet, create):
    job = create.job(fleet, JobStatus.UNSCHEDULED, title="Old title")
    form = staff_client.get(f"/jobs/{job.id}/edit")
    assert 'value="Old title"' in form.get_data(as_text=True)
    response = staff_client.post(
        f"/jobs/{job.id}/edit", data={"title": "New title", "customer_notes": "We'll call first"}
    )
    assert response.status_code == 303
    db.session.refresh(job)
    assert job.title == "New title" and job.customer_notes == "We'll call first"
    bad = staff_client.post(f"/jobs/{job.id}/edit", data={"title": ""})
    assert bad.status_code == 422 and "This field is required." in text_of(bad)


def test_schedule_assign_and_move_through_statuses(staff_client, fleet, create, technician):
    job = create.job(fleet, JobStatus.UNSCHEDULED)
    response = staff_client.post(
        f"/jobs/{job.id}/schedule",
        headers=HX,
        data={"window_start": "2030-06-01T08:00", "window_end": "2030-06-01T09:00"},
    )
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert (
        staff_client.post(
            f"/jobs/{job.id}/assign", data={"technician_id": technician.id}
        ).status_code
        == 303
    )
    for target in ("en_route", "arrived", "in_progress"):
        assert (
            staff_client.post(f"/jobs/{job.id}/status", data={"status": target}).status_code == 303
        )
    db.session.refresh(job)
    assert job.status == JobStatus.IN_PROGRESS and job.technician_id == technician.id
    assert statuses(job) == [
        JobStatus.SCHEDULED,
        JobStatus.ASSIGNED,
        JobStatus.EN_ROUTE,
        JobStatus.ARRIVED,
        JobStatus.IN_PROGRESS,
    ]


def test_disallowed_status_move_is_refused(staff_client, fleet, create):
    job = create.job(fleet, JobStatus.UNSCHEDULED)
    response = staff_client.post(f"/jobs/{job.id}/status", data={"status": "arrived"}, headers=HX)
    assert response.status_code == 422
    assert "Choose one of the options listed." in text_of(response)
    db.session.refresh(job)
    assert job.status == JobStatus.UNSCHEDULED


def test_schedule_rejects_bad_window(staff_client, fleet, create):
    job = create.job(fleet, JobStatus.UNSCHEDULED)
    response = staff_client.post(
        f"/jobs/{job.id}/schedule",
        data={"window_start": "2030-06-01T08:00", "window_end": "2030-06-01T07:00"},
    )
    assert response.status_code == 422
    assert "The window must end after it starts." in text_of(response)
    db.session.refresh(job)
    assert job.window_start is None and job.status == JobStatus.UNSCHEDULED


def test_assign_rejects_another_tenants_staff(staff_client, fleet, create, other_company):
    job = create.job(fleet)
    stranger = create.staff(other_company, StaffRole.TECHNICIAN)
    response = staff_client.post(f"/jobs/{job.id}/assign", data={"technician_id": stranger.id})
    assert response.status_code == 422
    db.session.refresh(job)
    assert job.technician_id is None


def test_complete_moves_the_vehicle_out_of_overdue(staff_client, company, fleet, create):
    vehicle = create.vehicle(fleet, odometer=16_000, last_service_odometer=10_000)
    assert vehicle_service_status(vehicle, company_today(company), fleet=fleet).is_overdue
    job = create.job(fleet, JobStatus.IN_PROGRESS, vehicle_id=vehicle.id)
    response = staff_client.post(
        f"/jobs/{job.id}/complete",
        data={"odometer": "16250", "services_performed": "Oil and filter"},
    )
    assert response.status_code == 303
    db.session.refresh(job)
    db.session.refresh(vehicle)
    assert job.status == JobStatus.COMPLETED and job.completed_at is not None
    assert job.odometer_at_service == 16_250 and job.services_performed == "Oil and filter"
    assert (vehicle.odometer, vehicle.last_service_odometer) == (16_250, 16_250)
    assert vehicle.last_service_on == company_today(company)
    reading = db.session.scalar(select(OdometerReading).where(OdometerReading.job_id == job.id))
    assert reading.reading == 16_250 and reading.source == "job"
    status = vehicle_service_status(vehicle, company_today(company), fleet=fleet)
    assert status.state == ServiceState.OK
    assert statuses(job)[-1] == JobStatus.COMPLETED


@pytest.mark.parametrize(
    ("odometer", "message"),
    [
        ("-5", "The odometer cannot be negative."),
        ("9000", "The odometer cannot go backwards: the last reading was 10,000."),
        ("", "Enter the odometer reading at service."),
    ],
)
def test_complete_refuses_impossible_odometers(staff_client, fleet, create, odometer, message):
    vehicle = create.vehicle(fleet, odometer=10_000)
    job = create.job(fleet, JobStatus.IN_PROGRESS, vehicle_id=vehicle.id)
    response = staff_client.post(
        f"/jobs/{job.id}/complete",
        headers=HX,
        data={"odometer": odometer, "services_performed": "Oil"},
    )
    assert response.status_code == 422
    assert message in text_of(response)
    db.session.refresh(job)
    db.session.refresh(vehicle)
    assert job.status == JobStatus.IN_PROGRESS and vehicle.odometer == 10_000
    assert db.session.scalar(select(func.count(OdometerReading.id))) == 0


def test_completed_job_cannot_be_completed_again(staff_client, fleet, create):
    job = create.job(fleet, JobStatus.COMPLETED)
    response = staff_client.post(f"/jobs/{job.id}/complete", data={"services_performed": "Again"})
    assert response.status_code == 422
    assert "A completed job cannot be completed." in text_of(response)


def test_technician_may_work_jobs_but_not_plan_them(client_as, technician, fleet, create):
    client = client_as(technician)
    job = create.job(fleet, technician_id=technician.id, status=JobStatus.ASSIGNED)
    assert client.get("/jobs").status_code == 200
    assert client.get(f"/jobs/{job.id}").status_code == 200
    assert client.post(f"/jobs/{job.id}/status", data={"status": "en_route"}).status_code == 303
    assert client.get("/jobs/new").status_code == 404
    assert client.get(f"/jobs/{job.id}/edit").status_code == 404
    assert client.post(f"/jobs/{job.id}/assign", data={"technician_id": ""}).status_code == 404
    assert client.post(f"/jobs/{job.id}/schedule", data={}).status_code == 404


def test_other_tenants_job_is_404_on_every_route(staff_client, other_company, create):
    job = create.job(create.fleet(other_company, vehicles=0, name="Rival Vans"))
    for method, url in [
        ("get", ""),
        ("get", "/edit"),
        ("post", "/edit"),
        ("post", "/schedule"),
        ("post", "/assign"),
        ("post", "/status"),
        ("post", "/complete"),
    ]:
        response = getattr(staff_client, method)(f"/jobs/{job.id}{url}", data={"title": "x"})
        assert response.status_code == 404, url
    assert "Rival" not in text_of(staff_client.get("/jobs"))
    db.session.refresh(job)
    assert job.title == "Oil change"


def test_job_changes_appear_in_the_customers_history(staff_client, fleet, create, technician):
    job = create.job(fleet, JobStatus.UNSCHEDULED, title="Tyre rotation")
    staff_client.post(
        f"/jobs/{job.id}/schedule",
        data={"window_start": "2030-06-01T08:00", "window_end": "2030-06-01T09:00"},
    )
    staff_client.post(f"/jobs/{job.id}/assign", data={"technician_id": technician.id})
    staff_client.post(f"/jobs/{job.id}/complete", data={"services_performed": "Rotated"})
    history = text_of(staff_client.get(f"/customers/{fleet.id}")).split("History")[-1]
    assert f"Completed job #{job.number} (Assigned → Completed) by Olivia Owner" in history
    assert f"Job #{job.number} assigned to Theo Technician" in history
    assert f"Scheduled job #{job.number}" in history


def test_status_must_be_chosen(staff_client, fleet, create):
    job = create.job(fleet)
    page = staff_client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert '<select id="status" name="status" required><option value="">Choose…</option>' in page
    response = staff_client.post(f"/jobs/{job.id}/status", data={"status": ""})
    assert response.status_code == 422 and "Choose the new status." in text_of(response)
    db.session.refresh(job)
    assert job.status == JobStatus.SCHEDULED


def test_job_page_query_count_does_not_grow_with_history(
    staff_client, fleet, create, technician, count_queries
):
    counts = []
    for moves in (1, 12):
        job = create.job(fleet, JobStatus.ASSIGNED, technician_id=technician.id)
        for n in range(moves):
            target = "en_route" if n % 2 == 0 else "assigned"
            staff_client.post(f"/jobs/{job.id}/status", data={"status": target})
        with count_queries() as queries:
            assert staff_client.get(f"/jobs/{job.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


@pytest.mark.parametrize("status", list(JobStatus))
def test_complete_form_shows_exactly_when_the_service_would_complete(
    staff_client, fleet, create, status
):
    from fieldportal.services.work.jobs import is_completable

    job = create.job(fleet, status)
    completable = is_completable(job)
    assert completable == (
        status not in (JobStatus.UNSCHEDULED, JobStatus.COMPLETED, JobStatus.CANCELLED)
    )
    assert ("Complete job" in text_of(staff_client.get(f"/jobs/{job.id}"))) == completable
    response = staff_client.post(f"/jobs/{job.id}/complete", data={"services_performed": "Done"})
    assert response.status_code == (303 if completable else 422)
    db.session.refresh(job)
    assert job.status == (JobStatus.COMPLETED if completable else status)


def test_a_job_goes_only_to_an_active_staff_member_of_the_company(
    company, owner, fleet, create, other_company
):
    from fieldportal.services.errors import Invalid
    from fieldportal.services.work.jobs import assign_job, is_our_technician

    ours = create.staff(company, StaffRole.TECHNICIAN)
    gone = create.staff(company, StaffRole.TECHNICIAN, active=False)
    stranger = create.staff(other_company, StaffRole.TECHNICIAN)
    assert is_our_technician(ours, company.id)
    assert not is_our_technician(gone, company.id)
    assert not is_our_technician(stranger, company.id)
    assert not is_our_technician(None, company.id)
    job = create.job(fleet)
    for refused in (gone, stranger):
        with pytest.raises(Invalid, match="Choose one of your technicians."):
            assign_job(job, refused, by=owner)
    assert job.technician_id is None
    assign_job(job, ours, by=owner)
    assert job.technician_id == ours.id and job.status == JobStatus.ASSIGNED


def test_an_htmx_action_answers_the_changed_panel_without_reading_the_job_again(
    staff_client, fleet, create, technician, count_queries
):
    job = create.job(fleet, JobStatus.SCHEDULED, title="Brakes")
    job_id, technician_id = job.id, technician.id
    db.session.flush()
    db.session.expire_all()
    with count_queries() as queries:
        response = staff_client.post(
            f"/jobs/{job_id}/assign", data={"technician_id": technician_id}, headers=HX
        )
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    text = text_of(response)
    assert "Scheduled → Assigned by Olivia Owner" in text and "Theo Technician" in text
    assert "Technician saved." in text
    reads_of_the_job = [q for q in queries if q.lstrip().startswith("SELECT jobs.")]
    assert len(reads_of_the_job) == 1, queries


# ---------------------------------------------------------------- status follows facts

WINDOW = {"window_start": "2030-06-01T08:00", "window_end": "2030-06-01T09:00"}


def portal_label(job) -> str:
    db.session.refresh(job)
    return job.customer_status_label


def test_assigning_a_technician_makes_the_job_technician_assigned(
    staff_client, fleet, create, technician
):
    """From the assign form, the edit form or on creation: a technician means "Technician
    assigned" in the portal, with or without a window; taking them away goes back."""
    scheduled = create.job(fleet, JobStatus.SCHEDULED)
    staff_client.post(f"/jobs/{scheduled.id}/assign", data={"technician_id": technician.id})
    assert portal_label(scheduled) == "Technician assigned"
    staff_client.post(f"/jobs/{scheduled.id}/assign", data={"technician_id": ""})
    assert portal_label(scheduled) == "Scheduled"

    waiting = create.job(fleet, JobStatus.UNSCHEDULED)
    staff_client.post(f"/jobs/{waiting.id}/assign", data={"technician_id": technician.id})
    assert portal_label(waiting) == "Technician assigned"
    staff_client.post(f"/jobs/{waiting.id}/schedule", data=WINDOW)  # stays assigned
    assert portal_label(waiting) == "Technician assigned"

    edited = create.job(fleet, JobStatus.SCHEDULED, title="Edited")
    staff_client.post(
        f"/jobs/{edited.id}/edit",
        data={"title": "Edited", "technician_id": technician.id, **WINDOW},
    )
    assert portal_label(edited) == "Technician assigned"
    staff_client.post(f"/jobs/{edited.id}/edit", data={"title": "Edited", **WINDOW})
    assert portal_label(edited) == "Scheduled"

    staff_client.post(
        f"/jobs/new?customer_id={fleet.id}",
        data={"title": "Fresh", "technician_id": technician.id},
    )
    fresh = db.session.scalar(select(Job).where(Job.title == "Fresh"))
    assert fresh.status == JobStatus.ASSIGNED and statuses(fresh) == [JobStatus.ASSIGNED]
    assert statuses(edited) == [JobStatus.ASSIGNED, JobStatus.SCHEDULED]


def test_a_job_on_the_way_that_changes_hands_is_assigned_again(
    staff_client, company, fleet, create, technician
):
    other = create.staff(company, StaffRole.TECHNICIAN, name="Tess Other")
    job = create.job(fleet, JobStatus.EN_ROUTE, technician_id=technician.id)
    staff_client.post(f"/jobs/{job.id}/assign", data={"technician_id": other.id})
    assert portal_label(job) == "Technician assigned" and job.technician_id == other.id
    staff_client.post(f"/jobs/{job.id}/status", data={"status": "en_route"})
    staff_client.post(f"/jobs/{job.id}/assign", data={"technician_id": ""})
    assert portal_label(job) == "Scheduled"
    assert statuses(job) == [JobStatus.ASSIGNED, JobStatus.EN_ROUTE, JobStatus.SCHEDULED]


@pytest.mark.parametrize(
    ("status", "assigned", "window", "offered", "refused"),
    [
        (JobStatus.ASSIGNED, True, True, {"en_route", "arrived"}, {"scheduled"}),
        (JobStatus.SCHEDULED, False, True, {"in_progress"}, {"unscheduled", "assigned"}),
        (JobStatus.CANCELLED, True, True, {"assigned"}, {"unscheduled", "scheduled"}),
        (JobStatus.CANCELLED, False, False, {"unscheduled"}, {"scheduled", "assigned"}),
    ],
)
def test_a_status_the_facts_contradict_is_neither_offered_nor_taken(
    staff_client, fleet, create, technician, status, assigned, window, offered, refused
):
    fields = {"technician_id": technician.id if assigned else None}
    if not window:
        fields["window_start"] = fields["window_end"] = None
    job = create.job(fleet, status, **fields)
    page = staff_client.get(f"/jobs/{job.id}").get_data(as_text=True)
    shown = set(re.findall(r'<option value="([a-z_]+)"', page.split('name="status"')[1]))
    assert offered <= shown and not (refused & shown), shown
    for target in refused:
        response = staff_client.post(f"/jobs/{job.id}/status", data={"status": target})
        assert response.status_code == 422, target
    db.session.refresh(job)
    assert job.status == status and statuses(job) == []
