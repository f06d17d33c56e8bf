"""Customers of the three kinds, with their contacts and sites: fleets (with vehicles),
households (a car or two) and business accounts (sites with equipment)."""

from datetime import timedelta

from ..models import (
    BillingTerms,
    Contact,
    Customer,
    CustomerJobType,
    CustomerKind,
    PortalPermission,
    Site,
    contact_sites,
)
from ..services.auth.tokens import new_token, token_hash
from .assets import add_assets
from .catalog import FLEET_NAMES, STREETS, SURNAMES
from .context import CompanyData
from .vehicles import add_vehicle, fleet_sizes

# The signed-in demo contacts, by customer kind: (name at Acme, name at Northwind, phone).
DEMO_CONTACTS = {
    "fleet": ("Frank Delgado", "Fiona Marsh", 101),
    "consumer": ("Carla Jensen", "Colin Baker", 102),
    "account": ("Alicia Moreno", "Adam Fletcher", 103),
}


def add_customers(data: CompanyData) -> None:
    _add_fleets(data)
    _add_consumers(data)
    _add_accounts(data)


def _demo_name(data: CompanyData, kind: str) -> str:
    acme_name, northwind_name, _phone = DEMO_CONTACTS[kind]
    return acme_name if data.slug == "acme" else northwind_name


def _add_demo_contact(data: CompanyData, customer: dict, kind: str, name: str) -> dict:
    """The contact who signs in with the demo password and PIN."""
    return add_contact(
        data,
        customer,
        name,
        f"{kind}@{data.slug}.example",
        admin=True,
        demo=True,
        phone=data.phone(DEMO_CONTACTS[kind][2]),
    )


def _add_fleets(data: CompanyData) -> None:
    slug = data.slug
    rng = data.rng
    for index, vehicle_count in enumerate(fleet_sizes(data)):
        base = FLEET_NAMES[index % len(FLEET_NAMES)]
        name = base if index < len(FLEET_NAMES) else f"{base} {index // len(FLEET_NAMES) + 1}"
        fleet = add_customer(
            data,
            CustomerKind.FLEET,
            name,
            # A few fleets have no default in miles or in days (never the demo fleet).
            interval_miles=rng.choice([5000, 7500, 10000]) if index % 7 != 3 else None,
            interval_days=rng.choice([90, 180, 365]) if index % 5 != 4 else None,
            billing_terms=rng.choice(
                [BillingTerms.NET_15, BillingTerms.NET_30, BillingTerms.ON_COMPLETION]
            ),
        )
        if index == 0:
            data.fleet_token = new_token()
            fleet["portal_token_hash"] = token_hash(data.fleet_token)
            fleet["portal_token_created_at"] = data.now - timedelta(days=10)
        site = add_site(data, fleet, "Depot")
        if index == 0:
            _add_demo_contact(data, fleet, "fleet", _demo_name(data, "fleet"))
        else:
            email = f"fleet{fleet['id']}@{slug}-customers.example"
            add_contact(data, fleet, data.person(), email, admin=True)
        if index % 3 == 0:
            add_contact(
                data,
                fleet,
                data.person(),
                f"ops{fleet['id']}@{slug}-customers.example",
                admin=False,
                permissions=[
                    PortalPermission.JOBS,
                    PortalPermission.HISTORY,
                    PortalPermission.VEHICLES,
                ],
            )
        data.vehicles_by_customer[fleet["id"]] = [
            add_vehicle(data, fleet, site, position) for position in range(vehicle_count)
        ]


def _add_consumers(data: CompanyData) -> None:
    for index in range(data.scale.consumers):
        demo = index == 0
        name = _demo_name(data, "consumer") if demo else data.person()
        consumer = add_customer(data, CustomerKind.CONSUMER, name)
        site = add_site(data, consumer, "Home")
        if demo:
            _add_demo_contact(data, consumer, "consumer", name)
        else:
            email = f"home{consumer['id']}@{data.slug}-customers.example"
            add_contact(data, consumer, name, email, admin=True)
        data.vehicles_by_customer[consumer["id"]] = [
            add_vehicle(data, consumer, site, index) for _ in range(1 + index % 2)
        ]


def _add_accounts(data: CompanyData) -> None:
    slug = data.slug
    for index in range(data.scale.accounts):
        demo = index == 0
        name = (
            ("Lakeview Apartments" if slug == "acme" else "Riverside Offices")
            if demo
            else f"{data.rng.choice(SURNAMES)} Property Group {index}"
        )
        account = add_customer(data, CustomerKind.ACCOUNT, name, billing_terms=BillingTerms.NET_30)
        sites = [
            add_site(data, account, label)
            for label in ("North building", "South building", "Warehouse")[: 2 + index % 2]
        ]
        if demo:
            _add_demo_contact(data, account, "account", _demo_name(data, "account"))
        else:
            email = f"facilities{account['id']}@{slug}-customers.example"
            add_contact(data, account, data.person(), email, admin=True)
        add_contact(
            data,
            account,
            data.person(),
            f"site{account['id']}@{slug}-customers.example",
            admin=False,
            permissions=[
                PortalPermission.JOBS,
                PortalPermission.HISTORY,
                PortalPermission.ASSETS,
                PortalPermission.REPORTS,
            ],
            site_ids=[sites[0]["id"]],
        )
        data.assets_by_customer[account["id"]] = add_assets(data, account, sites)


def add_customer(data: CompanyData, kind: CustomerKind, name: str, **extra) -> dict:
    """A customer (with the job types it may request) of the given kind."""
    customer_id = data.new_id(Customer)
    customer = data.add(
        Customer,
        id=customer_id,
        kind=kind,
        name=name,
        email=extra.pop("email", f"accounts{customer_id}@{data.slug}-customers.example"),
        phone=extra.pop("phone", data.phone(1000 + customer_id % 9000)),
        billing_address=f"{data.rng.randint(10, 999)} {data.rng.choice(STREETS)}, {data.spec['city']}",
        billing_terms=extra.pop("billing_terms", BillingTerms.ON_COMPLETION),
        portal_enabled=True,
        created_at=data.now - timedelta(days=data.rng.randint(60, 700)),
        **extra,
    )
    data.customers.append(customer)
    data.customer_by_id[customer_id] = customer
    vehicle_types, account_types = data.job_type_ids[:5], data.job_type_ids[3:]
    for type_id in account_types if kind == CustomerKind.ACCOUNT else vehicle_types:
        data.batch.add(CustomerJobType, {"customer_id": customer_id, "job_type_id": type_id})
    return customer


def add_contact(
    data: CompanyData,
    customer: dict,
    name: str,
    email: str | None,
    *,
    admin: bool,
    demo: bool = False,
    phone: str | None = None,
    permissions=None,
    site_ids=(),
) -> dict:
    """A portal contact; ``demo`` ones sign in with the demo password and PIN, and only
    contacts given ``site_ids`` are limited to those sites."""
    contact = data.add(
        Contact,
        customer_id=customer["id"],
        name=name,
        email=email,
        phone=phone,
        is_admin=admin,
        permissions=list(permissions or []),
        all_sites=not site_ids,
        portal_access=True,
        password_hash=data.hashes["portal"] if demo else None,
        password_is_temporary=False,
        pin_hash=data.hashes["pin"] if demo else None,
        failed_attempts=0,
        invited_at=data.now - timedelta(days=30) if demo or admin else None,
        last_login_at=data.now - timedelta(days=2) if demo else None,
        created_at=customer["created_at"],
    )
    for site_id in site_ids:
        data.batch.add(contact_sites, {"contact_id": contact["id"], "site_id": site_id})
    data.contacts_by_customer.setdefault(customer["id"], []).append(contact)
    return contact


def add_site(data: CompanyData, customer: dict, name: str) -> dict:
    rng = data.rng
    acme = data.slug == "acme"
    site = data.add(
        Site,
        customer_id=customer["id"],
        name=name,
        address_line1=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
        city=data.spec["city"],
        region=data.spec["region"],
        postal_code=f"{rng.randint(10000, 99999)}"
        if acme
        else f"N{rng.randint(1, 20)} {rng.randint(1, 9)}AB",
        country="US" if acme else "GB",
    )
    data.sites_by_customer.setdefault(customer["id"], []).append(site)
    return site
