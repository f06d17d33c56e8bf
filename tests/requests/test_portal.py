"""Portal: Request service and My requests."""

import io
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldportal.models import (
    Job,
    OutboxEmail,
    PortalPermission,
    RequestPhoto,
    RequestStatus,
    ServiceRequest,
)
from fieldportal.services.work.request_photos import photo_folder
from fieldportal.services.work.requests import (
    RequestInput,
    approve_request,
    decline_request,
    submit_request,
)
from tests.helpers import sign_in, text_of

from .conftest import image_bytes

pytestmark = pytest.mark.usefixtures("setup")
MEGABYTE = 1024 * 1024


@pytest.fixture
def portal(client, setup):
    sign_in(client, setup.contact)
    return client


def url(setup, path=""):
    return f"/portal/{setup.company.slug}/requests{path}"


def form_data(setup, **overrides):
    data = {
        "site_id": str(setup.site.id),
        "vehicle_id": str(setup.vehicle.id),
        "job_type_id": str(setup.brakes.id),
        "description": "Grinding noise when braking",
        "preferred_date": setup.tomorrow.isoformat(),
        "urgency": "high",
    }
    data.update(overrides)
    return data


def photo(data=None, name="van.jpg", content_type="image/jpeg"):
    return (io.BytesIO(data if data is not None else image_bytes()), name, content_type)


def test_form_offers_only_what_the_contact_may_use(portal, setup, create, other_company):
    other = create.customer(setup.company, name="Other Customer")
    create.site(other, name="Other customer yard")
    create.vehicle(other, plate="NOTMINE1")
    response = portal.get(url(setup, "/new"))
    assert response.status_code == 200
    text = text_of(response)
    assert "North depot" in text and "South depot" in text
    assert "Oil change" in text and "Brake inspection" in text
    assert "Engine rebuild" not in text
    assert "BLU001" in text and "NOTMINE1" not in text and "Other customer yard" not in text


def test_site_scoped_contact_sees_only_its_sites(portal, setup, db):
    setup.contact.all_sites = False
    setup.contact.sites = [setup.other_site]
    db.session.flush()
    text = text_of(portal.get(url(setup, "/new")))
    assert "South depot" in text and "North depot" not in text


def test_submit_creates_a_pending_request_shown_at_once(portal, setup, db):
    response = portal.post(url(setup, "/new"), data=form_data(setup, photos=[photo()]))
    assert response.status_code == 303
    assert response.headers["Location"].startswith(url(setup))
    request = db.session.scalar(select(ServiceRequest).options(selectinload(ServiceRequest.photos)))
    assert request.status == RequestStatus.PENDING and request.contact_id == setup.contact.id
    assert len(request.photos) == 1
    assert db.session.scalar(select(func.count(Job.id))) == 0
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_received"))
    page = portal.get(response.headers["Location"])
    text = text_of(page)
    assert "Grinding noise when braking" in text and "Pending" in text
    assert f"Thanks — request #{request.id} was sent." in text
    thumb = f"{url(setup)}/{request.id}/photos/{request.photos[0].id}/thumb"
    assert thumb in page.get_data(as_text=True)
    assert portal.get(thumb).status_code == 200


def test_extra_fields_are_ignored(portal, setup, db, other_company):
    data = form_data(setup, status="approved", company_id=str(other_company.id), job_id="1")
    assert portal.post(url(setup, "/new"), data=data).status_code == 303
    request = db.session.scalar(select(ServiceRequest))
    assert request.status == RequestStatus.PENDING and request.company_id == setup.company.id
    assert request.job_id is None


@pytest.mark.parametrize(
    ("field", "value_of", "message"),
    [
        ("site_id", lambda s, c, o: c.site(c.customer(s.company)).id, "Choose one of your sites."),
        ("vehicle_id", lambda s, c, o: c.vehicle(c.customer(o)).id, "Choose one of your vehicles."),
        ("job_type_id", lambda s, c, o: s.not_allowed.id, "Choose one of the listed services."),
        (
            "preferred_date",
            lambda s, c, o: (s.today - timedelta(days=1)).isoformat(),
            "Choose today or a later date.",
        ),
        ("description", lambda s, c, o: "  ", "Describe what you need."),
        ("site_id", lambda s, c, o: "abc", "Not a valid integer value."),
    ],
)
def test_bad_input_re_renders_the_form_422(
    portal, setup, create, other_company, db, field, value_of, message
):
    data = form_data(setup, **{field: str(value_of(setup, create, other_company))})
    response = portal.post(url(setup, "/new"), data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0


def test_photo_wrong_type_too_many(portal, setup, db):
    gif = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    response = portal.post(
        url(setup, "/new"), data=form_data(setup, photos=[photo(gif.getvalue(), "x.jpg")])
    )
    assert response.status_code == 422 and "x.jpg is not a JPEG, PNG or WebP image." in text_of(
        response
    )
    response = portal.post(
        url(setup, "/new"),
        data=form_data(setup, photos=[photo(name=f"p{n}.jpg") for n in range(5)]),
    )
    assert response.status_code == 422 and "Attach at most 4 photos." in text_of(response)
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0


def noise_png(width: int, height: int) -> bytes:
    """A real PNG of random pixels: it compresses to about its raw size (3 bytes a pixel)."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


def stored_files(app) -> set[str]:
    folder = photo_folder()
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def test_a_9_mb_photo_is_stored(portal, setup, db, app):
    big = noise_png(2000, 1600)
    assert 9 * MEGABYTE <= len(big) < 10 * MEGABYTE
    response = portal.post(
        url(setup, "/new"), data=form_data(setup, photos=[photo(big, "big.png", "image/png")])
    )
    assert response.status_code == 303
    stored = db.session.scalar(select(RequestPhoto))
    assert (stored.width, stored.height) == (2000, 1600)
    assert (photo_folder() / stored.filename).exists()


def test_the_form_is_413_over_10_mb_in_the_company_look_and_stores_nothing(portal, setup, db, app):
    before = stored_files(app)
    photos = [photo(image_bytes() + b"\0" * (3 * MEGABYTE), f"p{n}.jpg") for n in range(4)]
    response = portal.post(url(setup, "/new"), data=form_data(setup, photos=photos))
    assert response.status_code == 413
    text = text_of(response)
    assert "What you sent is larger than 10 MB, the most we accept at once." in text
    html = response.get_data(as_text=True)
    assert 'class="portal"' in html and 'class="portal-header"' in html
    assert setup.company.name in text and "Sign out" not in text  # refused before any view
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0
    assert stored_files(app) == before


def test_the_form_says_the_limit_and_shrinks_photos_in_the_browser(portal, setup):
    html = portal.get(url(setup, "/new")).get_data(as_text=True)
    assert "JPEG, PNG or WebP, up to 10 MB in all." in html
    assert 'data-resize-photos data-longest-side="2048"' in html
    # Static URLs carry a hash of the file's content (QUALITY.md 36).
    script = re.search(r'src="(/static/js/photo-resize\.[0-9a-f]{12}\.js)"', html)
    assert script and portal.get(script[1]).status_code == 200


def test_my_requests_show_status_reason_and_job_newest_first(portal, setup, db):
    def make(description):
        return submit_request(
            setup.contact,
            setup.company,
            RequestInput(description=description, site_id=setup.site.id, job_type_id=setup.oil.id),
        )

    declined = make("First: declined one")
    approved = make("Second: approved one")
    make("Third: still pending")
    decline_request(declined, by=setup.dispatcher, reason="We <b>cannot</b> reach that site")
    job = approve_request(approved, by=setup.dispatcher)
    db.session.flush()
    response = portal.get(url(setup))
    text = text_of(response)
    assert text.index("Third") < text.index("Second") < text.index("First")
    html = response.get_data(as_text=True)
    assert "Declined: We &lt;b&gt;cannot&lt;/b&gt; reach that site" in html
    assert "<b>cannot</b>" not in html
    assert f"job #{job.number}: Awaiting scheduling" in text


def test_my_requests_paginated(portal, setup, db):
    for n in range(12):
        submit_request(
            setup.contact,
            setup.company,
            RequestInput(
                description=f"Request number {n:02d}",
                site_id=setup.site.id,
                job_type_id=setup.oil.id,
            ),
        )
    first = text_of(portal.get(url(setup)))
    assert "Request number 11" in first and "Request number 01" not in first
    assert "Page 1 of 2" in first
    second = text_of(portal.get(url(setup) + "?page=2"))
    assert "Request number 01" in second and "Request number 11" not in second
    # The Older link swaps the tab's panel (htmx) and is a real link without it.
    html = portal.get(url(setup)).get_data(as_text=True)
    assert 'hx-target="#panel" hx-swap="innerHTML"' in html
    older = re.search(r'<a rel="next" href="([^"]+)" hx-get="([^"]+)">Older</a>', html)
    assert older and older.group(1) == older.group(2) == url(setup) + "?page=2"
    panel = portal.get(older.group(2), headers={"HX-Request": "true"})
    assert "<html" not in panel.get_data(as_text=True)
    assert "Request number 01" in text_of(panel) and "Newer" in text_of(panel)


def test_prefill_from_a_vehicle(portal, setup, create, other_company):
    setup.vehicle.site_id = setup.other_site.id
    response = portal.get(url(setup, f"/new?vehicle_id={setup.vehicle.id}"))
    html = response.get_data(as_text=True)
    assert f'<option value="{setup.vehicle.id}" selected>' in html
    assert f'<option value="{setup.other_site.id}" selected>' in html
    assert "Scheduled service for 2021 Ford Transit (BLU001)" in html
    foreign = create.vehicle(create.customer(other_company))
    assert portal.get(url(setup, f"/new?vehicle_id={foreign.id}")).status_code == 404
    neighbour = create.vehicle(create.customer(setup.company))
    assert portal.get(url(setup, f"/new?vehicle_id={neighbour.id}")).status_code == 404


def test_requests_off_hides_form_but_keeps_history(portal, setup, db):
    submit_request(
        setup.contact,
        setup.company,
        RequestInput(
            description="Made before switching off", site_id=setup.site.id, job_type_id=setup.oil.id
        ),
    )
    setup.company.requests_enabled = False
    db.session.flush()
    assert portal.get(url(setup, "/new")).status_code == 404
    assert portal.post(url(setup, "/new"), data=form_data(setup)).status_code == 404
    page = portal.get(url(setup))
    assert page.status_code == 200
    assert "Made before switching off" in text_of(page)
    assert url(setup, "/new") not in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1


def test_contact_without_permission_gets_404_and_no_link(client, setup, create, db):
    limited = create.contact(
        setup.customer, is_admin=False, permissions=[PortalPermission.JOBS.value]
    )
    sign_in(client, limited)
    assert client.get(url(setup)).status_code == 404
    assert client.get(url(setup, "/new")).status_code == 404
    assert client.post(url(setup, "/new"), data=form_data(setup)).status_code == 404
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 0


def test_another_customers_photo_is_404(portal, setup, create, db):
    other = create.customer(setup.company)
    other_contact = create.contact(other)
    from .conftest import upload

    theirs = submit_request(
        other_contact, setup.company, RequestInput(description="x", photos=[upload(image_bytes())])
    )
    photo_id = theirs.photos[0].id
    assert portal.get(f"{url(setup)}/{theirs.id}/photos/{photo_id}/thumb").status_code == 404


def test_my_requests_queries_do_not_grow(portal, setup, count_queries):
    def make(n):
        from .conftest import upload

        submit_request(
            setup.contact,
            setup.company,
            RequestInput(
                description=f"R{n}",
                site_id=setup.site.id,
                vehicle_id=setup.vehicle.id,
                job_type_id=setup.oil.id,
                photos=[upload(image_bytes())],
            ),
        )

    make(0)
    with count_queries() as few:
        portal.get(url(setup))
    for n in range(1, 10):
        make(n)
    with count_queries() as many:
        portal.get(url(setup))
    assert len(many) == len(few)


def test_requests_tab_in_navigation_and_as_htmx_panel(portal, setup):
    dashboard = portal.get(f"/portal/{setup.company.slug}/").get_data(as_text=True)
    assert f'href="{url(setup)}"' in dashboard
    response = portal.get(url(setup), headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "My requests" in html and re.search(r"css/requests\.[0-9a-f]{12}\.css", html)
    assert url(setup, "/new") in html


def test_site_scoped_contact_lists_only_its_sites_requests(client, setup, create, db):
    scoped = create.contact(setup.customer, all_sites=False, name="Sam Scoped")
    scoped.sites = [setup.other_site]
    for site, text in (
        (setup.site, "At the north depot"),
        (setup.other_site, "At the south depot"),
    ):
        submit_request(
            setup.contact,
            setup.company,
            RequestInput(description=text, site_id=site.id, job_type_id=setup.oil.id),
        )
    db.session.flush()
    sign_in(client, scoped)
    text = text_of(client.get(url(setup)))
    assert "At the south depot" in text and "At the north depot" not in text


def test_fleet_token_viewer_cannot_request(client, setup, db):
    from fieldportal.services.auth.tokens import new_token, token_hash

    setup.customer.portal_token_hash = token_hash(new_token())
    db.session.flush()
    sign_in(client, setup.customer)
    assert client.get(url(setup)).status_code == 404
    assert client.post(url(setup, "/new"), data=form_data(setup)).status_code == 404


def test_overdue_vehicle_on_dashboard_offers_request_this_service(portal, setup, create, db):
    overdue = create.vehicle(
        setup.customer,
        plate="OVR777",
        odometer=50_000,
        last_service_odometer=1_000,
        interval_miles=5_000,
    )
    link = f"{url(setup, '/new')}?vehicle_id={overdue.id}"
    html = portal.get(f"/portal/{setup.company.slug}/").get_data(as_text=True)
    assert "OVR777" in html and link in html
    form = portal.get(link).get_data(as_text=True)
    assert f'<option value="{overdue.id}" selected>' in form
    setup.company.requests_enabled = False
    db.session.flush()
    html = portal.get(f"/portal/{setup.company.slug}/").get_data(as_text=True)
    assert "OVR777" in html and "Request this service" not in html


def test_vehicle_page_offers_request_this_service_only_when_allowed(client, setup, create, db):
    overdue = create.vehicle(
        setup.customer,
        plate="OVR888",
        odometer=50_000,
        last_service_odometer=1_000,
        interval_miles=5_000,
    )
    page_url = f"/portal/{setup.company.slug}/vehicles/{overdue.id}"
    link = f"{url(setup, '/new')}?vehicle_id={overdue.id}"
    sign_in(client, setup.contact)
    assert link in client.get(page_url).get_data(as_text=True)
    vehicles_only = create.contact(
        setup.customer, is_admin=False, permissions=[PortalPermission.VEHICLES.value]
    )
    sign_in(client, vehicles_only)
    page = client.get(page_url)
    assert page.status_code == 200 and "OVR888" in text_of(page)
    assert "Request this service" not in text_of(page)
    sign_in(client, setup.contact)
    setup.company.requests_enabled = False
    db.session.flush()
    assert "Request this service" not in text_of(client.get(page_url))


def test_staff_view_as_sees_requests_but_cannot_submit(client, setup, db):
    submit_request(
        setup.contact,
        setup.company,
        RequestInput(
            description="Seen in the preview", site_id=setup.site.id, job_type_id=setup.oil.id
        ),
    )
    sign_in(client, setup.dispatcher)
    with client.session_transaction() as session:
        session["view_as_contact_id"] = setup.contact.id
    page = client.get(url(setup))
    assert page.status_code == 200
    assert "Staff preview" in text_of(page) and "Seen in the preview" in text_of(page)
    assert url(setup, "/new") not in page.get_data(as_text=True)
    assert client.get(url(setup, "/new")).status_code == 404
    assert client.post(url(setup, "/new"), data=form_data(setup)).status_code == 403
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == 1
