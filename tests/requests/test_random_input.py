"""Random text in every field of the request forms never gives a 500 (QUALITY.md 32, 33)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldportal.models import OutboxEmail, RequestStatus, ServiceRequest
from fieldportal.services.work.requests import RequestInput, submit_request
from tests.helpers import sign_in

FIELDS = (
    "site_id",
    "vehicle_id",
    "asset_id",
    "job_type_id",
    "description",
    "preferred_date",
    "urgency",
)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(values=st.fixed_dictionaries({name: st.text(max_size=40) for name in FIELDS}))
def test_portal_form_never_500(client, setup, values):
    sign_in(client, setup.contact)
    response = client.post(f"/portal/{setup.company.slug}/requests/new", data=values)
    assert response.status_code in (303, 400, 422), (values, response.status_code)


@SETTINGS
@given(
    values=st.fixed_dictionaries(
        {name: st.text(max_size=40) for name in ("date", "start", "end", "technician_id")}
    )
)
def test_approve_form_never_500(client, setup, values):
    sign_in(client, setup.dispatcher)
    request = submit_request(
        setup.contact,
        setup.company,
        RequestInput(description="x", site_id=setup.site.id, job_type_id=setup.oil.id),
    )
    response = client.post(
        f"/requests/{request.id}/approve", data=values, headers={"HX-Request": "true"}
    )
    assert response.status_code in (200, 400, 422), (values, response.status_code)


@SETTINGS
@given(reason=st.text(max_size=60))
def test_decline_reason_never_500(client, setup, reason):
    sign_in(client, setup.dispatcher)
    request = submit_request(
        setup.contact,
        setup.company,
        RequestInput(description="x", site_id=setup.site.id, job_type_id=setup.oil.id),
    )
    response = client.post(
        f"/requests/{request.id}/decline", data={"reason": reason}, headers={"HX-Request": "true"}
    )
    assert response.status_code in (200, 400, 422), (reason, response.status_code)


def test_template_syntax_in_user_text_comes_out_literally(client, setup, db):
    payload = "{{7*7}} <img src=x onerror=alert(1)>"
    sign_in(client, setup.contact)
    data = {"site_id": setup.site.id, "job_type_id": setup.oil.id, "description": payload}
    assert client.post(f"/portal/{setup.company.slug}/requests/new", data=data).status_code == 303
    request = db.session.scalar(select(ServiceRequest))
    mine = client.get(f"/portal/{setup.company.slug}/requests").get_data(as_text=True)
    assert "{{7*7}} &lt;img src=x onerror=alert(1)&gt;" in mine and "49 &lt;img" not in mine
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_received"))
    assert "{{7*7}}" in email.text_body and "&lt;img" in email.html_body
    sign_in(client, setup.dispatcher)
    inbox = client.get("/requests").get_data(as_text=True)
    assert "{{7*7}} &lt;img src=x onerror=alert(1)&gt;" in inbox
    assert request.status == RequestStatus.PENDING
