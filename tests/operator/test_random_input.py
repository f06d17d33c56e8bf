"""Random text in every field of the operator forms never gives a 500 (QUALITY.md 32)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldportal.models import JobStatus

from .conftest import HX

FORMS = {
    "customer": (
        "/customers/new",
        [
            "kind",
            "name",
            "email",
            "phone",
            "billing_address",
            "billing_terms",
            "interval_miles",
            "interval_days",
            "notes",
        ],
    ),
    "customer_edit": (
        "/customers/{customer}/edit",
        ["kind", "name", "email", "billing_terms", "interval_miles"],
    ),
    "contact": (
        "/customers/{customer}/contacts/new",
        ["name", "email", "phone", "is_admin", "permissions", "all_sites", "site_ids"],
    ),
    "site": (
        "/customers/{customer}/sites/new",
        ["name", "address_line1", "city", "country", "postal_code"],
    ),
    "vehicle": (
        "/customers/{customer}/vehicles/new",
        ["year", "make", "model", "vin", "odometer", "interval_miles", "interval_days", "site_id"],
    ),
    "odometer": ("/vehicles/{vehicle}", ["odometer"]),
    "asset": ("/customers/{customer}/assets/new", ["asset_code", "asset_type", "site_id"]),
    "asset_test": ("/assets/{asset}/tests", ["test_number", "tested_on", "result"]),
    "defect": ("/assets/{asset}/defects", ["description", "severity", "status", "found_on"]),
    "job": (
        "/jobs/new?customer_id={customer}",
        ["title", "window_start", "window_end", "vehicle_id", "technician_id", "po_number"],
    ),
    "job_edit": ("/jobs/{job}/edit", ["title", "window_start", "window_end", "site_id"]),
    "schedule": ("/jobs/{job}/schedule", ["window_start", "window_end"]),
    "assign": ("/jobs/{job}/assign", ["technician_id"]),
    "status": ("/jobs/{job}/status", ["status"]),
    "complete": ("/jobs/{job}/complete", ["odometer", "services_performed"]),
    "fleet_portal": ("/fleets/{customer}/portal", ["enabled"]),
    "job_types": ("/customers/{customer}/job-types", ["job_type_ids"]),
    "settings": (
        "/settings",
        [
            "name",
            "time_zone",
            "currency",
            "brand_color",
            "login_methods",
            "default_interval_miles",
            "default_tax_percent",
            "due_soon_percent",
        ],
    ),
    "staff": ("/settings/staff/new", ["name", "email", "role", "password"]),
}

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
numberish = st.one_of(text, st.integers(-(2**70), 2**70).map(str))


@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_random_text_never_fails(staff_client, company, create, form_name):
    customer = create.fleet(company, vehicles=0)
    ids = {
        "customer": customer.id,
        "vehicle": create.vehicle(customer).id,
        "asset": create.asset(customer).id,
        "job": create.job(customer, JobStatus.IN_PROGRESS).id,
    }
    url, fields = FORMS[form_name]
    url = url.format(**ids)

    @settings(
        max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.fixed_dictionaries({name: numberish for name in fields}), st.booleans())
    def post(data, htmx):
        response = staff_client.post(url, data=data, headers=HX if htmx else {})
        assert response.status_code < 500, (url, data, response.status_code)

    post()


@pytest.mark.parametrize(
    "url",
    [
        "/jobs/{n}",
        "/fleets/{n}",
        "/customers/{n}",
        "/vehicles/{n}",
        "/assets/{n}",
        "/settings/staff/{n}",
    ],
)
def test_out_of_range_ids_are_404_not_500(staff_client, url):
    assert staff_client.get(url.format(n=2**31)).status_code == 404
    assert staff_client.get(url.format(n=10**20)).status_code == 404


def test_nul_byte_is_a_clear_400(staff_client, company):
    response = staff_client.post("/customers/new", data={"kind": "fleet", "name": "A\x00B"})
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.get_data(as_text=True)
    assert staff_client.get("/fleets?q=a%00b").status_code == 400
