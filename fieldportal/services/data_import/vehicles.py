"""Importing vehicles: a row is the company's vehicle of the same VIN, else of the same
plate (one found by its plate without a VIN gets the file's), else a new one. A vehicle
stays with its customer, and its odometer only goes up; each new reading is recorded."""

import re
from collections import defaultdict

from ...models import Company, OdometerReading, Vehicle
from .plan import (
    CustomerFinder,
    Outcomes,
    changed_fields,
    company_rows,
    given,
    insert_rows,
    write_rows,
)
from .rows import Column, Row
from .sites import change_of_site, site_names, site_of, sites_by_name

COLUMNS = (
    Column("customer", "C-1001", required=True, help="The customer's external_ref, or its name."),
    Column("site", "North depot", help="The name of one of the customer's sites."),
    Column("plate", "KX19 ABC", aliases=("registration", "reg", "license_plate", "licence_plate")),
    Column("vin", "1FTBW2CM5HKA12345", help="A re-import matches on the VIN, else the plate."),
    Column("year", "2019"),
    Column("make", "Ford"),
    Column("model", "Transit"),
    Column("odometer", "48200", aliases=("mileage",), help="Miles; it never goes down."),
    Column("oil_spec", "5W-30"),
    Column("interval_miles", "10000"),
    Column("interval_days", "365"),
)
VEHICLE_FIELDS = (
    "customer_id",
    "site_id",
    "plate",
    "vin",
    "year",
    "make",
    "model",
    "odometer",
    "oil_spec",
    "interval_miles",
    "interval_days",
)
NEEDED_FOR_A_NEW_VEHICLE = ("make", "model")


def plate_key(plate: str | None) -> str:
    """A plate as compared: "kx19-abc" and "KX19 ABC" are one plate."""
    return re.sub(r"[\s\-]", "", plate or "").upper()


class _Existing:
    def __init__(self, company: Company):
        self.by_vin = {}
        self.by_plate = defaultdict(list)
        for vehicle in company_rows(Vehicle, company, VEHICLE_FIELDS):
            if vehicle["vin"]:
                self.by_vin[vehicle["vin"].upper()] = vehicle
            if vehicle["plate"]:
                self.by_plate[plate_key(vehicle["plate"])].append(vehicle)

    def match(self, row: Row, vin: str | None, plate: str | None):
        if vin and vin in self.by_vin:
            return self.by_vin[vin]
        candidates = self.by_plate.get(plate_key(plate), []) if plate else []
        if vin:
            candidates = [vehicle for vehicle in candidates if not vehicle["vin"]]
        if len(candidates) > 1:
            row.error("plate", f"{len(candidates)} vehicles have this plate; give their VIN.")
            return None
        return candidates[0] if candidates else None


def plan_rows(company: Company, rows: list[Row]):
    finder = CustomerFinder(company)
    sites = sites_by_name(company)
    names = site_names(sites)
    existing = _Existing(company)
    outcomes = Outcomes()
    creates, updates, readings = [], [], []
    for row in rows:
        customer_id = finder.find(row)
        fields = {
            "customer_id": customer_id,
            "site_id": site_of(row, sites, customer_id),
            "plate": row.text("plate", 20),
            "vin": (row.text("vin", 17) or "").upper() or None,
            "year": row.integer("year", 1900, 2100),
            "make": row.text("make", 60),
            "model": row.text("model", 60),
            "odometer": row.integer("odometer", 0, 10_000_000),
            "oil_spec": row.text("oil_spec", 60),
            "interval_miles": row.integer("interval_miles", 1, 1_000_000),
            "interval_days": row.integer("interval_days", 1, 1_000_000),
        }
        if row.ok and not fields["plate"] and not fields["vin"]:
            row.error("plate", "and vin are both empty; give at least one.")
        if fields["vin"]:
            outcomes.first_time(row, ("vin", fields["vin"]), "vin", "VIN")
        if fields["plate"]:
            outcomes.first_time(row, ("plate", plate_key(fields["plate"])), "plate", "plate")
        if not row.ok:
            continue
        match = existing.match(row, fields["vin"], fields["plate"])
        if not row.ok:
            continue
        label = " ".join(str(part) for part in (fields["plate"], fields["vin"]) if part)
        if match is None:
            if not row.require(fields, NEEDED_FOR_A_NEW_VEHICLE, "a new vehicle"):
                continue
            creates.append(
                {**fields, "odometer": fields["odometer"] or 0, "company_id": company.id}
            )
            outcomes.create(row, label)
            continue
        if match["customer_id"] != customer_id:
            row.error("customer", "This vehicle belongs to another customer; it stays with them.")
            continue
        if fields["odometer"] is not None and fields["odometer"] < match["odometer"]:
            row.error(
                "odometer",
                f"cannot go backwards: the last reading was {match['odometer']:,}.",
            )
            continue
        wanted = given(fields)
        if plate_key(wanted.get("plate")) == plate_key(match["plate"]):
            wanted.pop("plate", None)
        changed, changes = changed_fields(match, wanted)
        changes = change_of_site(changes, names)
        if changed:
            updates.append({"id": match["id"], **changed})
        if "odometer" in changed:
            readings.append(_reading(company, match["id"], changed["odometer"]))
        outcomes.update(row, label, changes)

    def write():
        if creates:
            ids = insert_rows(Vehicle, creates)
            readings.extend(
                _reading(company, vehicle_id, vehicle["odometer"])
                for vehicle_id, vehicle in zip(ids, creates, strict=True)
            )
        write_rows(OdometerReading, readings, [])
        write_rows(Vehicle, [], updates)

    return outcomes, write


def _reading(company: Company, vehicle_id: int, reading: int) -> dict:
    return {
        "company_id": company.id,
        "vehicle_id": vehicle_id,
        "reading": reading,
        "source": "import",
    }
