"""Customer records staff keep: customers, contacts, sites, vehicles, assets, job types.

Each change checks its rules before it touches anything (so a refusal leaves the records
as they were), audits itself against the customer and flushes; the commit point commits.
The reading functions at the end return what the customer pages show.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    Asset,
    AssetDefect,
    AssetTest,
    AuditEvent,
    Company,
    Contact,
    Customer,
    CustomerJobType,
    CustomerKind,
    DefectStatus,
    JobType,
    OdometerReading,
    Site,
    StaffUser,
    Vehicle,
    utcnow,
)
from ..pagination import COUNT_LIMIT, ListQuery, Page, paginate
from . import audit, phones
from .auth.auth_sessions import end_sessions
from .errors import Conflict, Invalid
from .fleet import fleets
from .fleet.intervals import ServiceStatus


def pick_list(company_id: int) -> list[tuple[int, str]]:
    """(id, name) of the company's customers not archived, by name: a customer picker."""
    rows = db.session.execute(
        select(Customer.id, Customer.name)
        .where(Customer.company_id == company_id, Customer.archived_at.is_(None))
        .order_by(Customer.name)
    )
    return [tuple(row) for row in rows]


def _record(obj, action: str, summary: str, by: StaffUser, customer_id: int, **details) -> None:
    audit.record(
        obj.company_id,
        action,
        actor=by,
        subject=obj,
        customer_id=customer_id,
        summary=summary,
        **details,
    )


def _changed(obj, fields: dict) -> list[str]:
    changed = sorted(name for name, value in fields.items() if getattr(obj, name) != value)
    for name, value in fields.items():
        setattr(obj, name, value)
    return changed


def create_customer(company: Company, *, by: StaffUser, **fields) -> Customer:
    """A new customer; a new fleet starts with the company's default interval and terms.
    Its phone is stored in E.164 (services/phones.py); one that is no number refuses."""
    fields = phones.normalised(fields, company)
    customer = Customer(company_id=company.id, **fields)
    if customer.kind == CustomerKind.FLEET:
        customer.interval_miles = customer.interval_miles or company.default_interval_miles
        customer.interval_days = customer.interval_days or company.default_interval_days
    db.session.add(customer)
    db.session.flush()
    _record(
        customer,
        "customer.created",
        f"Created {customer.kind.value} {customer.name}",
        by,
        customer.id,
    )
    return customer


def update_customer(customer: Customer, *, by: StaffUser, **fields) -> Customer:
    """Edit the customer's details; the audit event names the fields that changed."""
    fields = phones.normalised(fields, Company.owning(customer))
    changed = _changed(customer, fields)
    db.session.flush()
    if changed:
        _record(
            customer,
            "customer.updated",
            f"Edited {', '.join(changed)}",
            by,
            customer.id,
            fields=changed,
        )
    return customer


def convert_to_fleet(customer: Customer, company: Company, *, by: StaffUser) -> Customer:
    """A consumer becomes a fleet (with the company's default interval); others refuse."""
    if customer.kind != CustomerKind.CONSUMER:
        raise Conflict("Only a consumer can be converted to a fleet.")
    customer.kind = CustomerKind.FLEET
    customer.interval_miles = customer.interval_miles or company.default_interval_miles
    customer.interval_days = customer.interval_days or company.default_interval_days
    db.session.flush()
    _record(
        customer, "customer.converted_to_fleet", "Converted from consumer to fleet", by, customer.id
    )
    return customer


def _sites_named(customer: Customer, site_ids) -> list[Site]:
    """The customer's sites with these ids; an id of anyone else's refuses."""
    wanted = set(site_ids or [])
    sites = [site for site in sites_of(customer) if site.id in wanted]
    if len(sites) != len(wanted):
        raise Invalid(errors={"site_ids": ["Choose sites of this customer."]})
    return sites


def check_unique_contact(company_id: int, fields: dict, contact_id: int | None) -> None:
    """One portal identity per email and per phone number within the company."""
    for column, label in ((Contact.email, "email"), (Contact.phone, "phone number")):
        value = fields.get(column.key)
        if not value:
            continue
        clash = db.session.scalar(
            select(Contact.id).where(
                Contact.company_id == company_id,
                column == value,
                Contact.id != (contact_id or 0),
            )
        )
        if clash:
            raise Invalid(errors={column.key: [f"Another contact already uses this {label}."]})


def add_contact(customer: Customer, *, by: StaffUser, site_ids=(), **fields) -> Contact:
    """A contact; the customer's first contact is an admin unless said otherwise. Its
    phone is stored in E.164, so one number is one portal identity however it is written."""
    fields = phones.normalised(fields, Company.owning(customer))
    sites = _sites_named(customer, site_ids)
    check_unique_contact(customer.company_id, fields, None)
    if not has_contacts(customer) and fields.get("is_admin") is None:
        fields["is_admin"] = True
    contact = Contact(company_id=customer.company_id, customer_id=customer.id, **fields)
    contact.is_admin = bool(contact.is_admin)
    contact.sites = [] if contact.all_sites else sites
    db.session.add(contact)
    db.session.flush()
    _record(contact, "contact.added", f"Added contact {contact.name}", by, customer.id)
    return contact


def update_contact(contact: Contact, *, by: StaffUser, site_ids=(), **fields) -> Contact:
    """Edit a contact; turning portal access off ends their portal sessions."""
    fields = phones.normalised(fields, contact.company)
    sites = _sites_named(contact.customer, site_ids)
    check_unique_contact(contact.company_id, fields, contact.id)
    had_access = contact.portal_access
    changed = _changed(contact, fields)
    contact.sites = [] if contact.all_sites else sites
    if had_access and not contact.portal_access:
        end_sessions(contact_id=contact.id)
    db.session.flush()
    if changed:
        _record(
            contact,
            "contact.updated",
            f"Edited contact {contact.name}: {', '.join(changed)}",
            by,
            contact.customer_id,
            fields=changed,
        )
    return contact


def remove_contact(contact: Contact, *, by: StaffUser) -> None:
    """Remove a contact: their portal access and sessions end; history keeps their name."""
    contact.removed_at = utcnow()
    contact.portal_access = False
    end_sessions(contact_id=contact.id)
    db.session.flush()
    _record(contact, "contact.removed", f"Removed contact {contact.name}", by, contact.customer_id)


def save_site(customer: Customer, site: Site | None, *, by: StaffUser, **fields) -> Site:
    """Add a site to the customer (``site`` None) or edit one."""
    if site is None:
        site = Site(company_id=customer.company_id, customer_id=customer.id, **fields)
        db.session.add(site)
        db.session.flush()
        _record(site, "site.added", f"Added site {site.name}", by, customer.id)
        return site
    changed = _changed(site, fields)
    db.session.flush()
    if changed:
        _record(site, "site.updated", f"Edited site {site.name}", by, customer.id, fields=changed)
    return site


def save_vehicle(
    customer: Customer, vehicle: Vehicle | None, *, by: StaffUser, **fields
) -> Vehicle:
    """Add or edit a vehicle; a changed odometer is recorded as a reading (never lower)."""
    if fields.get("site_id") is not None:
        site = db.session.get(Site, fields["site_id"])
        if site is None or site.customer_id != customer.id:
            raise Invalid(errors={"site_id": ["Choose a site of this customer."]})
    if vehicle is None:
        vehicle = Vehicle(company_id=customer.company_id, customer_id=customer.id, **fields)
        db.session.add(vehicle)
        db.session.flush()
        _add_reading(vehicle, vehicle.odometer)
        _record(vehicle, "vehicle.added", f"Added vehicle {vehicle.label}", by, customer.id)
        return vehicle
    if fields.get("odometer", vehicle.odometer) < vehicle.odometer:
        raise Invalid(
            errors={
                "odometer": [
                    f"The odometer cannot go backwards: the last reading was {vehicle.odometer:,}."
                ]
            }
        )
    old_odometer = vehicle.odometer
    changed = _changed(vehicle, fields)
    if vehicle.odometer != old_odometer:
        _add_reading(vehicle, vehicle.odometer)
    db.session.flush()
    if changed:
        _record(
            vehicle,
            "vehicle.updated",
            f"Edited vehicle {vehicle.label}: {', '.join(changed)}",
            by,
            customer.id,
            fields=changed,
        )
    return vehicle


def _add_reading(vehicle: Vehicle, reading: int) -> None:
    db.session.add(
        OdometerReading(
            company_id=vehicle.company_id, vehicle_id=vehicle.id, reading=reading, source="staff"
        )
    )


def save_asset(customer: Customer, asset: Asset | None, *, by: StaffUser, **fields) -> Asset:
    """Add an asset to the customer (``asset`` None) or edit one; its ID is unique."""
    if fields.get("site_id") is not None:
        site = db.session.get(Site, fields["site_id"])
        if site is None or site.customer_id != customer.id:
            raise Invalid(errors={"site_id": ["Choose a site of this customer."]})
    clash = db.session.scalar(
        select(Asset.id).where(
            Asset.company_id == customer.company_id,
            Asset.asset_code == fields["asset_code"],
            Asset.id != (asset.id if asset else 0),
        )
    )
    if clash:
        raise Invalid(errors={"asset_code": ["Another asset already has this ID."]})
    if asset is None:
        asset = Asset(company_id=customer.company_id, customer_id=customer.id, **fields)
        db.session.add(asset)
        db.session.flush()
        _record(asset, "asset.added", f"Added asset {asset.asset_code}", by, customer.id)
        return asset
    changed = _changed(asset, fields)
    db.session.flush()
    if changed:
        _record(
            asset,
            "asset.updated",
            f"Edited asset {asset.asset_code}",
            by,
            customer.id,
            fields=changed,
        )
    return asset


def add_asset_test(asset: Asset, *, by: StaffUser, **fields) -> AssetTest:
    """Record a test of the asset (its number, date, result)."""
    test = AssetTest(company_id=asset.company_id, asset_id=asset.id, **fields)
    db.session.add(test)
    db.session.flush()
    _record(
        test,
        "asset.test_recorded",
        f"Test {test.test_number} on {asset.asset_code}",
        by,
        asset.customer_id,
    )
    return test


def add_defect(asset: Asset, *, by: StaffUser, **fields) -> AssetDefect:
    """Record a defect found on the asset; a resolved one is dated today if not given."""
    defect = AssetDefect(company_id=asset.company_id, asset_id=asset.id, **fields)
    if defect.status == DefectStatus.RESOLVED and defect.resolved_on is None:
        defect.resolved_on = date.today()
    db.session.add(defect)
    db.session.flush()
    _record(
        defect,
        "asset.defect_recorded",
        f"Defect on {asset.asset_code}: {defect.severity.value}",
        by,
        asset.customer_id,
    )
    return defect


def set_requestable_job_types(customer: Customer, job_type_ids, *, by: StaffUser) -> None:
    """Which job types the customer may request in the portal (exactly these)."""
    wanted = set(job_type_ids or [])
    job_types = [
        job_type for job_type in offered_job_types(customer.company_id) if job_type.id in wanted
    ]
    if len(job_types) != len(wanted):
        raise Invalid(errors={"job_type_ids": ["Choose job types of your company."]})
    db.session.execute(
        CustomerJobType.__table__.delete().where(CustomerJobType.customer_id == customer.id)
    )
    for job_type in job_types:
        db.session.add(CustomerJobType(customer_id=customer.id, job_type_id=job_type.id))
    db.session.flush()
    db.session.expire(customer, ["requestable_job_types"])
    names = ", ".join(sorted(job_type.name for job_type in job_types)) or "none"
    _record(customer, "customer.job_types_set", f"Requestable job types: {names}", by, customer.id)


# ---------------------------------------------------------------- what the pages show

CUSTOMERS_PER_PAGE = 25
HISTORY_LIMIT = 50
ASSETS_SHOWN = 200
READINGS_SHOWN = 100


@dataclass(frozen=True, kw_only=True)
class CustomerQuery(ListQuery):
    """The customer list: name or email search and kind, by name."""

    q: str = ""
    kind: str = ""

    @classmethod
    def from_args(cls, args) -> "CustomerQuery":
        kind = args.get("kind", "")
        return cls(
            **cls.list_args(args),
            q=(args.get("q") or "").replace("\x00", "").strip()[:100],
            kind=kind if kind in CustomerKind._value2member_map_ else "",
        )

    def filter_params(self) -> dict:
        return {"q": self.q, "kind": self.kind}


def customer_select(company_id: int, query: CustomerQuery) -> Select:
    """The company's customers not archived, searched and filtered, by name: the list
    pages it, the CSV export reads it whole."""
    statement = select(Customer).where(
        Customer.company_id == company_id, Customer.archived_at.is_(None)
    )
    if query.q:
        pattern = f"%{fleets.escape_like(query.q)}%"
        statement = statement.where(
            or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.email.ilike(pattern, escape="\\"),
            )
        )
    if query.kind:
        statement = statement.where(Customer.kind == CustomerKind(query.kind))
    return statement.order_by(func.lower(Customer.name), Customer.id)


def customer_list(company_id: int, query: CustomerQuery) -> Page[Customer]:
    """One page of the company's customers not archived, by name, searched and filtered."""
    return paginate(
        customer_select(company_id, query),
        query,
        per_page=CUSTOMERS_PER_PAGE,
        count_limit=COUNT_LIMIT,
    )


def has_contacts(customer: Customer) -> bool:
    """Whether the customer has a contact (not removed) yet."""
    return bool(
        db.session.scalar(
            select(func.count(Contact.id)).where(
                Contact.customer_id == customer.id, Contact.removed_at.is_(None)
            )
        )
    )


def sites_of(customer: Customer) -> list[Site]:
    """The customer's sites, by name."""
    return list(
        db.session.scalars(
            select(Site)
            .where(Site.customer_id == customer.id, Site.company_id == customer.company_id)
            .order_by(Site.name)
        )
    )


def offered_job_types(company_id: int) -> list[JobType]:
    """The company's active job types, by name: what a customer may be allowed to request."""
    return list(
        db.session.scalars(
            select(JobType)
            .where(JobType.company_id == company_id, JobType.active.is_(True))
            .order_by(JobType.name)
        )
    )


def customer_assets(customer: Customer, search: str = "") -> list[Asset]:
    """The customer's assets (the first 200 by code) with their site, tests and defects,
    searched by code, type or serial number."""
    statement = (
        select(Asset)
        .where(Asset.customer_id == customer.id, Asset.company_id == customer.company_id)
        .options(joinedload(Asset.site), selectinload(Asset.defects), selectinload(Asset.tests))
        .order_by(Asset.asset_code)
        .limit(ASSETS_SHOWN)
    )
    if search:
        pattern = f"%{fleets.escape_like(search)}%"
        statement = statement.where(
            or_(
                Asset.asset_code.ilike(pattern, escape="\\"),
                Asset.asset_type.ilike(pattern, escape="\\"),
                Asset.serial_number.ilike(pattern, escape="\\"),
            )
        )
    return list(db.session.scalars(statement))


@dataclass(frozen=True)
class CustomerDetail:
    """What a customer's page shows besides the customer itself."""

    contacts: list[Contact]
    sites: list[Site]
    vehicles: "list[fleets.VehicleWithStatus]"  # a string: fleets → … → customers, half-built
    assets: list[Asset]
    job_types: list[JobType]
    requestable_ids: list[int]
    history: list[AuditEvent]


def customer_detail(company: Company, customer: Customer, asset_search: str = "") -> CustomerDetail:
    """The customer's current contacts, sites, vehicles (inactive too) with their service
    status, assets, the job types it may request and the latest of its history."""
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.customer_id == customer.id, Contact.removed_at.is_(None))
        .options(selectinload(Contact.sites))
        .order_by(Contact.id)
    )
    requestable = db.session.scalars(
        select(CustomerJobType.job_type_id).where(CustomerJobType.customer_id == customer.id)
    )
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.customer_id == customer.id, AuditEvent.company_id == company.id)
        .options(selectinload(AuditEvent.staff_user), selectinload(AuditEvent.contact))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return CustomerDetail(
        contacts=list(contacts),
        sites=sites_of(customer),
        vehicles=fleets.vehicles_with_status(company, customer, inactive=True),
        assets=customer_assets(customer, asset_search),
        job_types=offered_job_types(company.id),
        requestable_ids=list(requestable),
        history=list(history),
    )


@dataclass(frozen=True)
class VehicleDetail:
    """A vehicle's page: its latest odometer readings and its service status today."""

    readings: list[OdometerReading]
    service_status: ServiceStatus


def vehicle_detail(company: Company, vehicle: Vehicle) -> VehicleDetail:
    readings = db.session.scalars(
        select(OdometerReading)
        .where(OdometerReading.vehicle_id == vehicle.id)
        .order_by(OdometerReading.recorded_at.desc(), OdometerReading.id.desc())
        .limit(READINGS_SHOWN)
    )
    return VehicleDetail(
        readings=list(readings), service_status=fleets.service_status(company, vehicle)
    )


def vehicle_options() -> tuple:
    """Loader options for a vehicle's page: its customer (the interval rule reads it) and site."""
    return (joinedload(Vehicle.customer), joinedload(Vehicle.site))


def asset_options() -> tuple:
    """Loader options for an asset's page: everything it shows."""
    return (
        joinedload(Asset.customer),
        joinedload(Asset.site),
        selectinload(Asset.tests),
        selectinload(Asset.defects),
    )


def contact_options() -> tuple:
    """Loader options for a contact's form: its customer and sites."""
    return (joinedload(Contact.customer), selectinload(Contact.sites))


def with_customer(model) -> tuple:
    """Loader options for a record's form, which names its customer."""
    return (joinedload(model.customer),)
