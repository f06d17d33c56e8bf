"""Vehicles with their service status (services/fleets.py vehicles_with_status): every
page that lists or shows a vehicle's status says the same, with the company's due-soon
margin and the vehicle's own interval."""

import re

import pytest

from tests.helpers import sign_in

# plate → (odometer, own interval in miles or None) with the last service at 10,000 and a
# fleet default of 5,000 miles; the company calls "due soon" within 40 % of an interval.
VEHICLES = {
    "OVER1": (16_000, None),  # 1,000 over
    "SOON1": (13_500, None),  # 1,500 left: due soon at 40 %, but not at the default 10 %
    "OWN01": (16_000, 20_000),  # over the fleet default, well within its own interval
    "FINE1": (10_500, None),
}
EXPECTED = {"OVER1": "overdue", "SOON1": "due_soon", "OWN01": "ok", "FINE1": "ok"}


@pytest.fixture
def fleet(db, company, create):
    company.due_soon_percent = 40
    fleet = create.fleet(company, vehicles=0, name="Lakeside Vans", interval_miles=5_000)
    fleet.by_plate = {
        plate: create.vehicle(
            fleet,
            plate=plate,
            odometer=odometer,
            last_service_odometer=10_000,
            interval_miles=own_interval,
        )
        for plate, (odometer, own_interval) in VEHICLES.items()
    }
    create.vehicle(fleet, plate="GONE1", odometer=99_000, last_service_odometer=0, active=False)
    fleet.portal_contact = create.contact(fleet, email="lena@lakeside.test")
    db.session.flush()
    return fleet


def _badges(html: str, plates) -> dict[str, str]:
    """The service-status badge shown after each plate."""
    found = {}
    for plate in plates:
        after = html[html.index(f"({plate})") :]
        found[plate] = re.search(r'<span class="badge badge-(\w+)"', after).group(1)
    return found


def test_operator_fleet_and_customer_pages_agree(client, owner, fleet):
    sign_in(client, owner)
    fleet_page = client.get(f"/fleets/{fleet.id}").get_data(as_text=True)
    customer_page = client.get(f"/customers/{fleet.id}").get_data(as_text=True)
    assert _badges(fleet_page, VEHICLES) == EXPECTED
    assert _badges(customer_page, VEHICLES) == EXPECTED
    assert "(GONE1)" in customer_page and "(GONE1)" not in fleet_page  # inactive: office only
    for plate, vehicle in fleet.by_plate.items():
        page = client.get(f"/vehicles/{vehicle.id}").get_data(as_text=True)
        assert re.search(r'<span class="badge badge-(\w+)"', page).group(1) == EXPECTED[plate]


def test_portal_vehicles_tab_vehicle_pages_and_dashboard_agree(client, fleet):
    sign_in(client, fleet.portal_contact)
    tab = client.get("/portal/acme/vehicles").get_data(as_text=True)
    assert _badges(tab, VEHICLES) == EXPECTED and "GONE1" not in tab
    for plate, vehicle in fleet.by_plate.items():
        page = client.get(f"/portal/acme/vehicles/{vehicle.id}").get_data(as_text=True)
        assert re.search(r'<span class="badge badge-(\w+)"', page).group(1) == EXPECTED[plate]
    dashboard = client.get("/portal/acme/").get_data(as_text=True)
    overdue = {plate for plate in [*VEHICLES, "GONE1"] if f"({plate})" in dashboard}
    assert overdue == {plate for plate, state in EXPECTED.items() if state == "overdue"}
