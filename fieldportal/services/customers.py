"""Customer records staff keep: customers, contacts, sites, vehicles, assets, job types.

Each function applies one change, audits it against the customer, flushes, and leaves the
commit to the view.
"""

from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import (
    Asset,
    AssetDefect,
    AssetTest,
    Company,
    Contact,
    Customer,
    CustomerJobType,
    CustomerKind,
    DefectStatus,
    JobType,
    OdometerReading,
    PortalPermission,
    Site,
    StaffUser,
    Vehicle,
    utcnow,
)
from . import audit
from .auth_sessions import end_sessions


class CustomerRuleError(ValueError):
    """A change the rules refuse; the message is shown as is."""


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
    """A new customer; a new fleet starts with the company's default interval and terms."""
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
        raise CustomerRuleError("Only a consumer can be converted to a fleet.")
    customer.kind = CustomerKind.FLEET
    customer.interval_miles = customer.interval_miles or company.default_interval_miles
    customer.interval_days = customer.interval_days or company.default_interval_days
    db.session.flush()
    _record(
        customer, "customer.converted_to_fleet", "Converted from consumer to fleet", by, customer.id
    )
    return customer


def _check_sites(customer: Customer, sites: list[Site]) -> None:
    if any(site.customer_id != customer.id for site in sites):
        raise CustomerRuleError("Choose sites of this customer.")


def _check_unique_contact(contact: Contact) -> None:
    for column, label in ((Contact.email, "email"), (Contact.phone, "phone number")):
        value = getattr(contact, column.key)
        if not value:
            continue
        clash = db.session.scalar(
            select(Contact.id).where(
                Contact.company_id == contact.company_id,
                column == value,
                Contact.id != (contact.id or 0),
            )
        )
        if clash:
            raise CustomerRuleError(f"Another contact already uses this {label}.")


def add_contact(customer: Customer, *, by: StaffUser, sites: list[Site], **fields) -> Contact:
    """A contact; the customer's first contact is an admin unless said otherwise."""
    _check_sites(customer, sites)
    first = not db.session.scalar(
        select(func.count(Contact.id)).where(
            Contact.customer_id == customer.id, Contact.removed_at.is_(None)
        )
    )
    if first and fields.get("is_admin") is None:
        fields["is_admin"] = True
    contact = Contact(company_id=customer.company_id, customer_id=customer.id, **fields)
    contact.is_admin = bool(contact.is_admin)
    contact.sites = [] if contact.all_sites else sites
    _check_unique_contact(contact)
    db.session.add(contact)
    db.session.flush()
    _record(contact, "contact.added", f"Added contact {contact.name}", by, customer.id)
    return contact


def update_contact(contact: Contact, *, by: StaffUser, sites: list[Site], **fields) -> Contact:
    """Edit a contact; turning portal access off ends their portal sessions."""
    _check_sites(contact.customer, sites)
    had_access = contact.portal_access
    changed = _changed(contact, fields)
    contact.sites = [] if contact.all_sites else sites
    _check_unique_contact(contact)
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


def permission_choices() -> list[tuple[str, str]]:
    return [(p.value, p.value.capitalize()) for p in PortalPermission]


def save_site(customer: Customer, site: Site | None, *, by: StaffUser, **fields) -> Site:
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
            raise CustomerRuleError("Choose a site of this customer.")
    if vehicle is None:
        vehicle = Vehicle(company_id=customer.company_id, customer_id=customer.id, **fields)
        db.session.add(vehicle)
        db.session.flush()
        _add_reading(vehicle, vehicle.odometer)
        _record(vehicle, "vehicle.added", f"Added vehicle {vehicle.label}", by, customer.id)
        return vehicle
    if fields.get("odometer", vehicle.odometer) < vehicle.odometer:
        raise CustomerRuleError(
            f"The odometer cannot go backwards: the last reading was {vehicle.odometer:,}."
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
    if fields.get("site_id") is not None:
        site = db.session.get(Site, fields["site_id"])
        if site is None or site.customer_id != customer.id:
            raise CustomerRuleError("Choose a site of this customer.")
    clash = db.session.scalar(
        select(Asset.id).where(
            Asset.company_id == customer.company_id,
            Asset.asset_code == fields["asset_code"],
            Asset.id != (asset.id if asset else 0),
        )
    )
    if clash:
        raise CustomerRuleError("Another asset already has this ID.")
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


def set_requestable_job_types(
    customer: Customer, job_types: list[JobType], *, by: StaffUser
) -> None:
    """Which job types the customer may request in the portal (exactly these)."""
    if any(job_type.company_id != customer.company_id for job_type in job_types):
        raise CustomerRuleError("Choose job types of your company.")
    db.session.execute(
        CustomerJobType.__table__.delete().where(CustomerJobType.customer_id == customer.id)
    )
    for job_type in job_types:
        db.session.add(CustomerJobType(customer_id=customer.id, job_type_id=job_type.id))
    db.session.flush()
    db.session.expire(customer, ["requestable_job_types"])
    names = ", ".join(sorted(job_type.name for job_type in job_types)) or "none"
    _record(customer, "customer.job_types_set", f"Requestable job types: {names}", by, customer.id)
