"""Importing sites: a row is the site of that name at its customer, else a new one."""

from ...models import Company, Site
from ..companies import countries
from .plan import (
    Change,
    CustomerFinder,
    Outcomes,
    changed_fields,
    company_rows,
    given,
    shown,
    write_rows,
)
from .rows import Column, Row

COLUMNS = (
    Column("customer", "C-1001", required=True, help="The customer's external_ref, or its name."),
    Column("name", "North depot", required=True, aliases=("site", "site_name")),
    Column("address_line1", "12 Quay Street", aliases=("address",)),
    Column("address_line2", "Unit 4"),
    Column("city", "Springfield"),
    Column("region", "IL", aliases=("state",)),
    Column("postal_code", "62701", aliases=("zip", "postcode")),
    Column("country", "US", help="Two letters; the company's country when empty."),
)
SITE_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)
NEEDED_FOR_A_NEW_SITE = ("address_line1", "city")


def sites_by_name(company: Company, names=("customer_id", "name")) -> dict[tuple[int, str], dict]:
    """The company's sites by (customer id, name in lower case)."""
    rows = company_rows(Site, company, names)
    return {(site["customer_id"], site["name"].lower()): site for site in rows}


def site_of(row: Row, sites: dict, customer_id: int | None) -> int | None:
    """The id of the customer's site named in the row's ``site`` cell (None when empty)."""
    name = row.text("site", 120)
    if name is None or customer_id is None:
        return None
    site = sites.get((customer_id, name.lower()))
    if site is None:
        row.error("site", f"The customer has no site called “{name}”; import its sites first.")
        return None
    return site["id"]


def site_names(sites: dict) -> dict[str, str]:
    """Each site's name by its id as a change shows it, for ``change_of_site``: made once
    per file (made for every row, 10,000 rows over 20,000 sites took 9 s)."""
    return {str(site["id"]): site["name"] for site in sites.values()}


def change_of_site(changes: list[Change], names: dict[str, str]) -> list[Change]:
    """The changes with a change of site_id shown as one of site names (``site_names``)."""
    return [
        Change("site", shown(names.get(change.old)), shown(names.get(change.new)))
        if change.field == "site_id"
        else change
        for change in changes
    ]


def plan_rows(company: Company, rows: list[Row]):
    finder = CustomerFinder(company)
    existing = sites_by_name(company, ("customer_id", *SITE_FIELDS))
    outcomes = Outcomes()
    creates, updates = [], []
    for row in rows:
        customer_id = finder.find(row)
        fields = {
            "name": row.text("name", 120, required=True),
            "address_line1": row.text("address_line1", 160),
            "address_line2": row.text("address_line2", 160),
            "city": row.text("city", 80),
            "region": row.text("region", 80),
            "postal_code": row.text("postal_code", 20),
            "country": _country(row),
        }
        if customer_id and fields["name"]:
            key = (customer_id, fields["name"].lower())
            outcomes.first_time(row, key, "name", "customer and site name")
        if not row.ok:
            continue
        match = existing.get((customer_id, fields["name"].lower()))
        if match is None:
            if not row.require(fields, NEEDED_FOR_A_NEW_SITE, "a new site"):
                continue
            creates.append(
                {
                    **fields,
                    "country": fields["country"] or company.country,
                    "company_id": company.id,
                    "customer_id": customer_id,
                }
            )
            outcomes.create(row, fields["name"])
            continue
        changed, changes = changed_fields(match, given(fields))
        if changed:
            updates.append({"id": match["id"], **changed})
        outcomes.update(row, fields["name"], changes)

    return outcomes, lambda: write_rows(Site, creates, updates)


def _country(row: Row) -> str | None:
    code = row.text("country", 2)
    if code is None:
        return None
    if not countries.is_country(code.upper()):
        row.error("country", f"“{code}” is not a two-letter country code (US, GB, DE…).")
        return None
    return code.upper()
