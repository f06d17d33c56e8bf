"""The portal's frame: company from the slug, principals of that company only, tabs by
permission and setting, portal off → 503, and the dashboard."""

import pytest

from fieldportal.models import CustomerKind, InvoiceStatus, JobStatus, PortalPermission, QuoteStatus
from tests.helpers import sign_in, text_of


@pytest.fixture
def fleet(create, company):
    fleet = create.fleet(company, vehicles=2, name="Metro Couriers")
    return fleet


@pytest.fixture
def contact(create, fleet):
    return create.contact(fleet, name="Frank Delgado", email="frank@metro.example")


def test_unknown_company_is_404(client):
    assert client.get("/portal/no-such-company/").status_code == 404


def test_signed_out_gets_no_portal_page(client, company):
    response = client.get(f"/portal/{company.slug}/")
    assert response.status_code in (302, 404)
    assert "Frank" not in text_of(response)


def test_contact_sees_branded_dashboard(client, company, contact, fleet, create, db):
    create.invoice(fleet, status=InvoiceStatus.SENT, lines=(("Labour", 12_345),))
    create.quote(fleet, status=QuoteStatus.SENT)
    create.quote(fleet, status=QuoteStatus.DRAFT)
    create.job(fleet, status=JobStatus.SCHEDULED, title="Brake service")
    vehicle = create.vehicle(fleet, odometer=20_000, last_service_odometer=1_000, plate="OVR001")
    sign_in(client, contact)
    response = client.get(f"/portal/{company.slug}/")
    page = text_of(response)
    assert response.status_code == 200
    assert "Acme Mobile Mechanics" in page
    assert "Hello, Frank" in page
    assert "$123.45" in page
    assert "Quotes awaiting your answer 1" in page
    assert "Brake service" in page
    assert vehicle.plate in page and "Overdue" in page


def test_dashboard_fragment_for_htmx(client, company, contact):
    sign_in(client, contact)
    response = client.get(f"/portal/{company.slug}/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Hello, Frank" in html


def test_contact_of_another_company_is_not_let_in(client, company, other_company, create):
    stranger = create.contact(create.customer(other_company), name="Rita Rival")
    sign_in(client, stranger)
    response = client.get(f"/portal/{company.slug}/")
    assert response.status_code in (302, 404)
    assert "Rita" not in text_of(response)


def test_staff_are_not_portal_users(staff_client, company):
    assert staff_client.get(f"/portal/{company.slug}/").status_code in (302, 404)


def test_portal_off_answers_503_branded_and_on_again_asks_to_sign_in(
    client, company, contact, owner, db
):
    from fieldportal.services.settings import update_company

    sign_in(client, contact)
    update_company(company, by=owner, portal_enabled=False)
    db.session.flush()
    response = client.get(f"/portal/{company.slug}/")
    assert response.status_code == 503
    assert "Acme Mobile Mechanics" in text_of(response) and "unavailable" in text_of(response)
    update_company(company, by=owner, portal_enabled=True)
    db.session.flush()
    # Switching off ended the session: on again, the customer signs in afresh.
    response = client.get(f"/portal/{company.slug}/")
    assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"
    sign_in(client, contact)
    assert client.get(f"/portal/{company.slug}/").status_code == 200


def test_tabs_follow_permissions_and_settings(client, company, create, fleet):
    limited = create.contact(fleet, is_admin=False, permissions=[PortalPermission.HISTORY.value])
    sign_in(client, limited)
    html = client.get(f"/portal/{company.slug}/").get_data(as_text=True)
    assert "Open balance" not in html
    assert "Quotes awaiting" not in html


def test_hidden_invoices_hide_the_balance(client, company, contact, db):
    company.show_invoices = False
    db.session.flush()
    sign_in(client, contact)
    assert "Open balance" not in text_of(client.get(f"/portal/{company.slug}/"))


def test_fleet_token_viewer_sees_read_only_dashboard(client, company, fleet, db):
    from fieldportal.services.auth.tokens import new_token, token_hash

    fleet.portal_token_hash = token_hash(new_token())
    sign_in(client, fleet)
    page = text_of(client.get(f"/portal/{company.slug}/"))
    assert "Metro Couriers" in page
    assert "Open balance" not in page


def test_sign_out_ends_the_session(client, company, contact):
    sign_in(client, contact)
    assert client.post(f"/portal/{company.slug}/sign-out").status_code == 303
    assert client.get(f"/portal/{company.slug}/").status_code in (302, 404)


def test_dashboard_queries_do_not_grow_with_rows(
    client, company, contact, fleet, create, count_queries
):
    sign_in(client, contact)
    client.get(f"/portal/{company.slug}/")
    with count_queries() as few:
        client.get(f"/portal/{company.slug}/")
    for _ in range(15):
        create.job(fleet, status=JobStatus.SCHEDULED)
        create.vehicle(fleet)
    with count_queries() as many:
        client.get(f"/portal/{company.slug}/")
    assert len(many) == len(few) <= 10


def test_logo_is_public_and_404_without_one(client, company):
    assert client.get(f"/portal/{company.slug}/logo").status_code == 404


def test_consumer_kind_is_irrelevant_to_access(client, company, create):
    household = create.customer(company, CustomerKind.CONSUMER, name="Carla Jensen")
    contact = create.contact(household, name="Carla Jensen")
    sign_in(client, contact)
    assert "Hello, Carla" in text_of(client.get(f"/portal/{company.slug}/"))
