"""Settings → Job types: the kinds of work a company offers (the onboarding checklist
links here). Added and switched off or on, both renderings, another company's id 404."""

import pytest
from sqlalchemy import select

from fieldportal.models import AuditEvent, JobType
from tests.helpers import text_of

HX = {"HX-Request": "true"}


def _names(db, company) -> list[tuple[str, bool]]:
    return [
        (t.name, t.active)
        for t in db.session.scalars(
            select(JobType).where(JobType.company_id == company.id).order_by(JobType.name)
        )
    ]


def test_add_job_types_in_both_renderings(db, staff_client, company):
    page = staff_client.get("/settings/job-types")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert "No job types yet." in text_of(page)
    assert 'href="/settings/job-types"' in staff_client.get("/settings").get_data(as_text=True)

    added = staff_client.post(
        "/settings/job-types",
        data={"name": "  Brake   service ", "description": "Pads, discs and fluid"},
        headers=HX,
    )
    assert added.status_code == 200 and "<html" not in added.get_data(as_text=True)
    assert "“Brake service” added." in text_of(added) and "Pads, discs and fluid" in text_of(added)
    plain = staff_client.post("/settings/job-types", data={"name": "Oil change"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/settings/job-types"
    assert _names(db, company) == [("Brake service", True), ("Oil change", True)]
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.company_id == company.id)
    )
    assert list(actions).count("job_type.created") == 2


def test_a_taken_or_missing_name_is_a_field_message_and_writes_nothing(
    db, staff_client, company, create
):
    create.job_type(company, name="Oil change")
    taken = staff_client.post("/settings/job-types", data={"name": "OIL CHANGE"}, headers=HX)
    assert taken.status_code == 422 and "<html" not in taken.get_data(as_text=True)
    assert "There is already a job type called “OIL CHANGE”." in text_of(taken)
    blank = staff_client.post("/settings/job-types", data={"name": "  "})
    assert blank.status_code == 422 and "This field is required." in text_of(blank)
    too_long = staff_client.post("/settings/job-types", data={"name": "x" * 81})
    assert too_long.status_code == 422
    assert _names(db, company) == [("Oil change", True)]


@pytest.mark.parametrize("again", ["Ölwechsel", "ÖLWECHSEL", "ölwechsel"])
def test_a_name_taken_in_another_alphabet_or_case_is_a_field_message(
    db, staff_client, company, create, again
):
    # SQLite's lower() folds only A to Z: compared there, "Ölwechsel" twice was a 500.
    create.job_type(company, name="Ölwechsel")
    taken = staff_client.post("/settings/job-types", data={"name": again})
    assert taken.status_code == 422
    assert f"There is already a job type called “{again}”." in text_of(taken)
    assert _names(db, company) == [("Ölwechsel", True)]


def test_stop_offering_and_offer_again(db, staff_client, company, create):
    job_type = create.job_type(company, name="Tyres")
    off = staff_client.post(f"/settings/job-types/{job_type.id}", headers=HX)
    assert off.status_code == 200 and "“Tyres” no longer offered." in text_of(off)
    assert "Offer again" in text_of(off)
    assert _names(db, company) == [("Tyres", False)]
    on = staff_client.post(f"/settings/job-types/{job_type.id}", data={"active": "y"})
    assert on.status_code == 303
    assert _names(db, company) == [("Tyres", True)]


def test_another_companys_job_type_is_404(db, staff_client, other_company, create):
    theirs = create.job_type(other_company, name="Theirs")
    assert staff_client.post(f"/settings/job-types/{theirs.id}").status_code == 404
    assert _names(db, other_company) == [("Theirs", True)]
