"""Importing assets: a row is the company's asset of the same serial number, else of the
same asset ID (one without a serial number gets the file's), else a new one, whose asset
ID is its serial number when the file gives none. Asset IDs stay unique in the company."""

from ...models import Asset, Company
from .plan import CustomerFinder, Outcomes, changed_fields, company_rows, given, write_rows
from .rows import Column, Row
from .sites import change_of_site, site_names, site_of, sites_by_name

COLUMNS = (
    Column("customer", "C-1001", required=True, help="The customer's external_ref, or its name."),
    Column("site", "North depot", help="The name of one of the customer's sites."),
    Column(
        "serial_number",
        "SN-448812",
        aliases=("serial",),
        help="A re-import matches on the serial number, else the asset ID.",
    ),
    Column(
        "asset_code",
        "EXT-0042",
        aliases=("asset_id",),
        help="Your ID for the asset; the serial number when empty.",
    ),
    Column("asset_type", "Fire extinguisher", aliases=("type",)),
    Column("model_number", "FX-9"),
    Column("customer_ref", "Hall B"),
    Column("description", "6 kg dry powder"),
)
ASSET_FIELDS = (
    "customer_id",
    "site_id",
    "serial_number",
    "asset_code",
    "asset_type",
    "model_number",
    "customer_ref",
    "description",
)


class _Existing:
    def __init__(self, company: Company):
        self.by_serial = {}
        self.by_code = {}
        for asset in company_rows(Asset, company, ASSET_FIELDS):
            if asset["serial_number"]:
                self.by_serial.setdefault(asset["serial_number"], asset)
            self.by_code[asset["asset_code"]] = asset

    def match(self, row: Row, serial: str | None, code: str | None):
        if serial and serial in self.by_serial:
            return self.by_serial[serial]
        asset = self.by_code.get(code) if code else None
        if asset is not None and serial and asset["serial_number"]:
            row.error(
                "asset_code",
                f"is the ID of another asset (serial number {asset['serial_number']}).",
            )
            return None
        return asset

    def code_taken(self, code: str, asset_id: int | None) -> bool:
        other = self.by_code.get(code)
        return other is not None and other["id"] != asset_id


def plan_rows(company: Company, rows: list[Row]):
    finder = CustomerFinder(company)
    sites = sites_by_name(company)
    names = site_names(sites)
    existing = _Existing(company)
    outcomes = Outcomes()
    creates, updates = [], []
    for row in rows:
        customer_id = finder.find(row)
        fields = {
            "customer_id": customer_id,
            "site_id": site_of(row, sites, customer_id),
            "serial_number": row.text("serial_number", 60),
            "asset_code": row.text("asset_code", 60),
            "asset_type": row.text("asset_type", 60),
            "model_number": row.text("model_number", 60),
            "customer_ref": row.text("customer_ref", 60),
            "description": row.text("description", 5000),
        }
        serial = fields["serial_number"]
        if row.ok and not serial and not fields["asset_code"]:
            row.error("serial_number", "and asset_code are both empty; give at least one.")
        if serial:
            outcomes.first_time(row, ("serial", serial), "serial_number", "serial number")
        if not row.ok:
            continue
        match = existing.match(row, serial, fields["asset_code"])
        if match is not None and match["customer_id"] != customer_id:
            row.error("customer", "This asset belongs to another customer; it stays with them.")
        if not row.ok:
            continue
        code = fields["asset_code"] or (match["asset_code"] if match else serial)
        if not outcomes.first_time(row, ("code", code), "asset_code", "asset ID"):
            continue
        if existing.code_taken(code, match["id"] if match else None):
            row.error("asset_code", f"“{code}” is the ID of another asset.")
            continue
        label = code + (f" (serial {serial})" if serial and serial != code else "")
        if match is None:
            if not row.require(fields, ("asset_type",), "a new asset"):
                continue
            creates.append({**fields, "asset_code": code, "company_id": company.id})
            outcomes.create(row, label)
            continue
        changed, changes = changed_fields(match, given(fields))
        if changed:
            updates.append({"id": match["id"], **changed})
        outcomes.update(row, label, change_of_site(changes, names))

    return outcomes, lambda: write_rows(Asset, creates, updates)
