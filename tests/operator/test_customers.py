"""Customers: list, create/edit, convert, contacts, sites, vehicles, assets, job types,
history; validation (422, nothing written) and tenancy (404)."""

import re

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import (
    Asset,
    AssetDefect,
    AssetTest,
    AuditEvent,
    AuthSession,
    Contact,
    Customer,
    CustomerKind,
    OdometerReading,
    SignInMethod,
    Vehicle,
)

from ..helpers import sign_in, text_of
from .conftest import HX


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_list_search_kind_filter_and_fragment(staff_client, company, create, other_company):
    create.customer(company, name="Hotel Harbour", email="desk@harbour.example.com")
    create.fleet(company, vehicles=0, name="India Vans")
    create.customer(company, CustomerKind.ACCOUNT, name="Juliet Offices")
    create.customer(other_company, name="Hotel Rival")
    page = text_of(staff_client.get("/customers"))
    assert "Hotel Harbour" in page and "India Vans" in page and "Hotel Rival" not in page
    assert "India Vans" in text_of(staff_client.get("/customers?kind=fleet"))
    assert "Hotel Harbour" not in text_of(staff_client.get("/customers?kind=fleet"))
    found = staff_client.get("/customers?q=harbour.example", headers=HX)
    html = found.get_data(as_text=True)
    assert "<html" not in html and html.startswith('<div id="customer-table"')
    assert "Hotel Harbour" in html and "India Vans" not in html


def test_create_fleet_uses_company_defaults_and_is_audited(staff_client, company):
    company.default_interval_miles = 6_000
    response = staff_client.post(
        "/customers/new",
        data={
            "kind": "fleet",
            "name": "Kilo Couriers",
            "email": "ops@kilo.example.com",
            "billing_terms": "net_15",
        },
    )
    assert response.status_code == 303
    fleet = db.session.scalar(select(Customer).where(Customer.name == "Kilo Couriers"))
    assert fleet.kind == CustomerKind.FLEET and fleet.interval_miles == 6_000
    assert fleet.billing_terms.value == "net_15"
    detail = text_of(staff_client.get(f"/customers/{fleet.id}"))
    assert "Created fleet Kilo Couriers by Olivia Owner" in detail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "fleet", "name": "", "billing_terms": "net_15"}, "This field is required."),
        (
            {"kind": "fleet", "name": "Zero", "billing_terms": "net_15", "interval_miles": "0"},
            "An interval is at least 1 mile.",
        ),
        ({"kind": "robot", "name": "X", "billing_terms": "net_15"}, "Not a valid choice"),
        (
            {"kind": "fleet", "name": "X", "billing_terms": "net_15", "email": "nope"},
            "Invalid email address.",
        ),
    ],
)
def test_create_customer_rejects_bad_input(staff_client, company, data, message):
    response = staff_client.post("/customers/new", data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert count(Customer) == 0


def test_edit_and_convert_consumer_to_fleet(staff_client, company, create):
    consumer = create.customer(company, name="Lima Household")
    response = staff_client.post(
        f"/customers/{consumer.id}/edit",
        data={"kind": "consumer", "name": "Lima Family", "billing_terms": "net_30"},
    )
    assert response.status_code == 303
    assert staff_client.post(f"/customers/{consumer.id}/convert").status_code == 303
    db.session.refresh(consumer)
    assert consumer.name == "Lima Family" and consumer.kind == CustomerKind.FLEET
    assert staff_client.get(f"/fleets/{consumer.id}").status_code == 200
    # A fleet cannot be converted again.
    staff_client.post(f"/customers/{consumer.id}/convert")
    assert "Only a consumer can be converted" in text_of(
        staff_client.get(f"/customers/{consumer.id}")
    )


def test_first_contact_is_admin_and_permissions_and_sites(staff_client, company, create):
    customer = create.customer(company, CustomerKind.ACCOUNT)
    north = create.site(customer, name="North")
    create.site(customer, name="South")
    form = staff_client.get(f"/customers/{customer.id}/contacts/new").get_data(as_text=True)
    assert re.search(r'id="is_admin"[^>]*checked', form) or re.search(
        r'checked[^>]*id="is_admin"', form
    )
    assert (
        staff_client.post(
            f"/customers/{customer.id}/contacts/new",
            data={
                "name": "Mike Admin",
                "email": "mike@m.example.com",
                "is_admin": "y",
                "portal_access": "y",
                "all_sites": "y",
            },
        ).status_code
        == 303
    )
    assert (
        staff_client.post(
            f"/customers/{customer.id}/contacts/new",
            data={
                "name": "Nora North",
                "email": "nora@m.example.com",
                "permissions": ["jobs", "invoices"],
                "portal_access": "y",
                "site_ids": [north.id],
            },
        ).status_code
        == 303
    )
    nora = db.session.scalar(select(Contact).where(Contact.name == "Nora North"))
    assert not nora.is_admin and nora.permissions == ["jobs", "invoices"]
    db.session.refresh(nora, ["sites"])
    assert not nora.all_sites and [s.name for s in nora.sites] == ["North"]
    page = text_of(staff_client.get(f"/customers/{customer.id}"))
    assert "Mike Admin Admin" in page and "jobs, invoices" in page


def test_contact_rejects_another_customers_site_and_duplicate_email(staff_client, company, create):
    customer = create.customer(company)
    other_site = create.site(create.customer(company))
    create.contact(customer, email="taken@x.example.com")
    response = staff_client.post(
        f"/customers/{customer.id}/contacts/new",
        data={"name": "Oscar", "site_ids": [other_site.id], "portal_access": "y"},
    )
    assert response.status_code == 422 and "Choose one of the options listed." in text_of(response)
    response = staff_client.post(
        f"/customers/{customer.id}/contacts/new",
        data={"name": "Papa", "email": "taken@x.example.com", "all_sites": "y"},
    )
    assert response.status_code == 422 and "Another contact already uses this email." in text_of(
        response
    )
    assert count(Contact) == 1


def test_removing_a_contact_ends_portal_sessions(staff_client, company, create):
    customer = create.customer(company)
    contact = create.contact(customer, name="Quinn")
    session_id = sign_in(staff_client.application.test_client(), contact).id
    assert staff_client.post(f"/contacts/{contact.id}/remove").status_code == 303
    db.session.refresh(contact)
    assert contact.removed_at is not None and not contact.portal_access
    assert db.session.get(AuthSession, session_id) is None
    page = text_of(staff_client.get(f"/customers/{customer.id}"))
    assert "No contacts yet." in page and "Removed contact Quinn" in page
    assert staff_client.get(f"/contacts/{contact.id}/edit").status_code == 404


def test_edit_contact_portal_off_ends_sessions(staff_client, company, create):
    contact = create.contact(create.customer(company), name="Romeo")
    session_id = sign_in(staff_client.application.test_client(), contact, SignInMethod.PASSWORD).id
    response = staff_client.post(
        f"/contacts/{contact.id}/edit", data={"name": "Romeo", "all_sites": "y"}
    )
    assert response.status_code == 303
    assert db.session.get(AuthSession, session_id) is None


def test_sites_create_and_edit(staff_client, company, create):
    customer = create.customer(company)
    response = staff_client.post(
        f"/customers/{customer.id}/sites/new",
        data={"name": "Depot", "address_line1": "1 Yard Rd", "city": "Austin", "country": "us"},
    )
    assert response.status_code == 303
    db.session.refresh(customer, ["sites"])
    site = customer.sites[0]
    assert site.country == "US"
    assert (
        staff_client.post(
            f"/sites/{site.id}/edit",
            data={"name": "", "address_line1": "x", "city": "y", "country": "US"},
        ).status_code
        == 422
    )


def test_vehicle_with_overrides_readings_and_status(staff_client, company, create):
    fleet = create.fleet(company, vehicles=0, interval_miles=5_000)
    response = staff_client.post(
        f"/customers/{fleet.id}/vehicles/new",
        data={
            "year": "2022",
            "make": "Ram",
            "model": "ProMaster",
            "plate": "SIER1",
            "vin": "1FTBW3XM6HKA12345",
            "odometer": "12000",
            "interval_miles": "10000",
        },
    )
    assert response.status_code == 303
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.plate == "SIER1"))
    assert vehicle.interval_miles == 10_000
    page = staff_client.get(f"/vehicles/{vehicle.id}")
    assert "data-service-status>Overdue<" in page.get_data(as_text=True)  # 12,000 > 0 + 10,000
    assert (
        staff_client.post(f"/vehicles/{vehicle.id}", data={"odometer": "12500"}).status_code == 303
    )
    assert [
        r.reading
        for r in db.session.scalars(
            select(OdometerReading)
            .where(OdometerReading.vehicle_id == vehicle.id)
            .order_by(OdometerReading.id)
        )
    ] == [12_000, 12_500]
    assert "12,500" in text_of(staff_client.get(f"/vehicles/{vehicle.id}"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"make": "Ford", "model": "T", "odometer": "-1"}, "The odometer cannot be negative."),
        (
            {"make": "Ford", "model": "T", "odometer": "1", "interval_days": "0"},
            "An interval is at least 1 day.",
        ),
        ({"make": "Ford", "model": "T", "odometer": ""}, "This field is required."),
    ],
)
def test_vehicle_rejects_impossible_values(staff_client, company, create, data, message):
    customer = create.customer(company)
    response = staff_client.post(f"/customers/{customer.id}/vehicles/new", data=data)
    assert response.status_code == 422 and message in text_of(response)
    assert count(Vehicle) == 0


def test_vehicle_odometer_cannot_go_backwards_and_odd_vin_is_flagged(staff_client, company, create):
    vehicle = create.vehicle(create.customer(company), odometer=5_000, vin="SHORTVIN")
    response = staff_client.post(f"/vehicles/{vehicle.id}", data={"odometer": "4000"})
    assert response.status_code == 422
    assert "cannot go backwards: the last reading was 5,000" in text_of(response)
    assert "Non-standard VIN" in text_of(response)
    db.session.refresh(vehicle)
    assert vehicle.odometer == 5_000


def test_vehicle_rejects_another_customers_site(staff_client, company, create):
    customer = create.customer(company)
    other_site = create.site(create.customer(company))
    response = staff_client.post(
        f"/customers/{customer.id}/vehicles/new",
        data={"make": "Ford", "model": "T", "odometer": "1", "site_id": other_site.id},
    )
    assert response.status_code == 422 and "Choose one of the options listed." in text_of(response)


def test_assets_tests_defects_and_search(staff_client, company, create):
    company.asset_id_label = "Tag number"
    customer = create.customer(company, CustomerKind.ACCOUNT)
    assert (
        staff_client.post(
            f"/customers/{customer.id}/assets/new",
            data={"asset_code": "EXT-9", "asset_type": "Extinguisher", "serial_number": "SN77"},
        ).status_code
        == 303
    )
    create.asset(customer, asset_code="BOIL-1", asset_type="Boiler")
    ext = db.session.scalar(select(Asset).where(Asset.asset_code == "EXT-9"))
    assert (
        staff_client.post(
            f"/assets/{ext.id}/tests",
            data={"test_number": "T-100", "tested_on": "2026-01-05", "result": "pass"},
        ).status_code
        == 303
    )
    assert (
        staff_client.post(
            f"/assets/{ext.id}/defects",
            data={
                "description": "Cracked hose",
                "severity": "high",
                "status": "open",
                "found_on": "2026-01-05",
            },
        ).status_code
        == 303
    )
    assert count(AssetTest) == 1 and count(AssetDefect) == 1
    bad = staff_client.post(f"/assets/{ext.id}/defects", data={"description": "", "severity": "x"})
    assert bad.status_code == 422 and count(AssetDefect) == 1
    page = staff_client.get(f"/customers/{customer.id}")
    assert "Tag number" in text_of(page) and "Cracked hose" in text_of(page)
    found = staff_client.get(f"/customers/{customer.id}?asset_q=SN77", headers=HX)
    html = found.get_data(as_text=True)
    assert (
        html.startswith('<section id="customer-assets"')
        and "EXT-9" in html
        and "BOIL-1" not in html
    )
    duplicate = staff_client.post(
        f"/customers/{customer.id}/assets/new",
        data={"asset_code": "EXT-9", "asset_type": "Extinguisher"},
    )
    assert duplicate.status_code == 422 and "Another asset already has this ID." in text_of(
        duplicate
    )


def test_requestable_job_types(staff_client, company, create, other_company):
    customer = create.customer(company)
    wash, tyres = create.job_type(company, name="Wash"), create.job_type(company, name="Tyres")
    theirs = create.job_type(other_company, name="Theirs")
    assert (
        staff_client.post(
            f"/customers/{customer.id}/job-types", data={"job_type_ids": [wash.id]}
        ).status_code
        == 303
    )
    db.session.refresh(customer, ["requestable_job_types"])
    assert [t.name for t in customer.requestable_job_types] == ["Wash"]
    response = staff_client.post(
        f"/customers/{customer.id}/job-types", data={"job_type_ids": [tyres.id, theirs.id]}
    )
    assert response.status_code == 422
    db.session.refresh(customer, ["requestable_job_types"])
    assert [t.name for t in customer.requestable_job_types] == ["Wash"]


def test_customer_page_query_count_is_constant(staff_client, company, create, count_queries):
    counts = []
    for size in (1, 15):
        customer = create.customer(company, CustomerKind.ACCOUNT)
        for _ in range(size):
            site = create.site(customer)
            create.contact(customer)
            create.vehicle(customer, site_id=site.id)
            create.asset(customer, site_id=site.id)
        with count_queries() as queries:
            assert staff_client.get(f"/customers/{customer.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 14, counts


def test_history_shows_changes_newest_first(staff_client, company, create):
    customer = create.customer(company, name="Tango")
    staff_client.post(
        f"/customers/{customer.id}/edit",
        data={"kind": "consumer", "name": "Tango Two", "billing_terms": "net_30"},
    )
    staff_client.post(
        f"/customers/{customer.id}/sites/new",
        data={"name": "Home", "address_line1": "2 Lane", "city": "Waco", "country": "US"},
    )
    history = text_of(staff_client.get(f"/customers/{customer.id}")).split("History")[-1]
    assert history.index("Added site Home") < history.index("Edited name")
    assert count(AuditEvent) == 2


def test_technician_and_other_tenants_get_404(
    client_as, technician, staff_client, other_company, create
):
    theirs = create.customer(other_company)
    site, contact = create.site(theirs), create.contact(theirs)
    vehicle, asset = create.vehicle(theirs), create.asset(theirs)
    urls = [
        ("get", f"/customers/{theirs.id}"),
        ("get", f"/customers/{theirs.id}/edit"),
        ("post", f"/customers/{theirs.id}/edit"),
        ("post", f"/customers/{theirs.id}/convert"),
        ("get", f"/customers/{theirs.id}/contacts/new"),
        ("post", f"/contacts/{contact.id}/edit"),
        ("post", f"/contacts/{contact.id}/remove"),
        ("post", f"/sites/{site.id}/edit"),
        ("post", f"/customers/{theirs.id}/vehicles/new"),
        ("get", f"/vehicles/{vehicle.id}"),
        ("post", f"/vehicles/{vehicle.id}"),
        ("post", f"/vehicles/{vehicle.id}/edit"),
        ("get", f"/assets/{asset.id}"),
        ("post", f"/assets/{asset.id}/tests"),
        ("post", f"/assets/{asset.id}/defects"),
        ("post", f"/customers/{theirs.id}/job-types"),
    ]
    for method, url in urls:
        assert getattr(staff_client, method)(url, data={"name": "x"}).status_code == 404, url
    db.session.refresh(contact)
    assert contact.removed_at is None
    tech = client_as(technician)
    assert tech.get("/customers").status_code == 404
    assert tech.get("/customers/new").status_code == 404
