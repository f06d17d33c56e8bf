"""User text comes out escaped on every operator page and fragment (QUALITY.md 33)."""

from fieldportal.models import JobStatus

from .conftest import HX

EVIL = "<script>alert(1)</script>{{7*7}}\"'><img src=x onerror=alert(2)>"


def test_user_text_is_escaped_everywhere(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0, name=f"Fleet {EVIL}")
    create.contact(fleet, name=f"Contact {EVIL}")
    site = create.site(fleet, name=f"Site {EVIL}")
    vehicle = create.vehicle(fleet, make=f"Make {EVIL}"[:60], site_id=site.id)
    asset = create.asset(fleet, asset_code="EVIL-1", asset_type="Type <b>x</b>", site_id=site.id)
    job = create.job(
        fleet,
        JobStatus.COMPLETED,
        title=f"Job {EVIL}"[:160],
        vehicle_id=vehicle.id,
        internal_notes=EVIL,
        services_performed=EVIL,
    )
    create.request(fleet, description=f"Request {EVIL}")
    staff_client.post(f"/jobs/{job.id}/edit", data={"title": EVIL})
    pages = [
        ("/fleets", {}),
        ("/fleets", HX),
        (f"/fleets/{fleet.id}", {}),
        (f"/fleets/{fleet.id}", HX),
        ("/customers", {}),
        (f"/customers/{fleet.id}", {}),
        (f"/vehicles/{vehicle.id}", {}),
        (f"/assets/{asset.id}", {}),
        ("/jobs", {}),
        ("/jobs", HX),
        (f"/jobs/{job.id}", {}),
        (f"/customers/{fleet.id}?asset_q=%3Cscript%3E", HX),
    ]
    for url, headers in pages:
        html = staff_client.get(url, headers=headers).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "<b>x</b>" not in html, url
        assert "{{7*7}}" in html or "&lt;script&gt;" in html or url.endswith("%3E"), url
        assert ">49<" not in html and " 49 " not in html, url
