"""Test data builders. Each returns a flushed model; tests commit nothing themselves.

Relationships raise instead of loading lazily (lazy="raise_on_sql"), so a builder links a
new row to its parent through the relationship and starts the collections tests read
empty: ``customer.contacts`` then holds the contacts made for it (until a request expires
the test's objects; read from the database after that)."""

import itertools
from datetime import UTC, date, datetime, timedelta

from fieldportal.extensions import db
from fieldportal.models import (
    Asset,
    BillingTerms,
    Company,
    Contact,
    Customer,
    CustomerKind,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    JobType,
    LineItem,
    PlatformAdmin,
    Quote,
    QuoteStatus,
    ServiceRequest,
    Site,
    StaffRole,
    StaffUser,
    Vehicle,
    utcnow,
)
from fieldportal.services import phones
from fieldportal.services.auth.passwords import hash_secret
from fieldportal.services.billing.numbering import next_number

_sequence = itertools.count(1)
# Hashing is slow on purpose; tests share one hash of the default password.
DEFAULT_PASSWORD = "correct horse battery"
_DEFAULT_HASH = None


def _default_hash() -> str:
    global _DEFAULT_HASH
    if _DEFAULT_HASH is None:
        _DEFAULT_HASH = hash_secret(DEFAULT_PASSWORD)
    return _DEFAULT_HASH


def _phone_as_stored(fields: dict, company: Company) -> dict:
    """A phone given as people write it is stored in E.164, as the services store it; one
    that is no valid number is kept as typed, like the numbers the data migration kept."""
    if fields.get("phone"):
        region = phones.home_region(company)
        fields["phone"] = phones.e164_or_none(fields["phone"], region) or fields["phone"]
    return fields


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def create_company(**fields) -> Company:
    n = next(_sequence)
    fields.setdefault("slug", f"company-{n}")
    fields.setdefault("name", f"Company {n}")
    fields.setdefault("time_zone", "America/Chicago")
    company = Company(**fields)
    _phone_as_stored(fields, company)
    company.phone = fields.get("phone")
    return _add(company)


def create_staff(company: Company, role: StaffRole = StaffRole.OWNER, **fields) -> StaffUser:
    n = next(_sequence)
    fields.setdefault("email", f"staff{n}@example.com")
    fields.setdefault("name", f"Staff Member {n}")
    fields.setdefault("password_hash", _default_hash())
    return _add(StaffUser(company_id=company.id, role=role, **fields))


def create_customer(
    company: Company, kind: CustomerKind = CustomerKind.CONSUMER, **fields
) -> Customer:
    n = next(_sequence)
    fields.setdefault("name", f"Customer {n}")
    fields.setdefault("email", f"customer{n}@example.com")
    fields.setdefault("billing_terms", BillingTerms.NET_30)
    _phone_as_stored(fields, company)
    for collection in ("contacts", "sites", "requestable_job_types"):
        fields.setdefault(collection, [])
    return _add(Customer(company=company, kind=kind, **fields))


def create_site(customer: Customer, **fields) -> Site:
    n = next(_sequence)
    fields.setdefault("name", f"Site {n}")
    fields.setdefault("address_line1", f"{n} Main Street")
    fields.setdefault("city", "Springfield")
    return _add(Site(company_id=customer.company_id, customer=customer, **fields))


def create_contact(customer: Customer, **fields) -> Contact:
    n = next(_sequence)
    fields.setdefault("name", f"Contact Person{n}")
    fields.setdefault("email", f"contact{n}@example.com")
    fields.setdefault("is_admin", True)
    _phone_as_stored(fields, db.session.get(Company, customer.company_id))
    fields.setdefault("sites", [])
    return _add(Contact(company_id=customer.company_id, customer=customer, **fields))


def create_vehicle(customer: Customer, **fields) -> Vehicle:
    n = next(_sequence)
    fields.setdefault("make", "Ford")
    fields.setdefault("model", "Transit")
    fields.setdefault("year", 2021)
    fields.setdefault("plate", f"TST{n:04d}")
    fields.setdefault("odometer", 10_000)
    return _add(Vehicle(company_id=customer.company_id, customer_id=customer.id, **fields))


def create_fleet(company: Company, vehicles: int = 3, **fields) -> Customer:
    fields.setdefault("interval_miles", 5_000)
    fields.setdefault("interval_days", 180)
    fleet = create_customer(company, CustomerKind.FLEET, **fields)
    for _ in range(vehicles):
        create_vehicle(fleet)
    return fleet


def create_asset(customer: Customer, **fields) -> Asset:
    n = next(_sequence)
    fields.setdefault("asset_code", f"EXT-{n:05d}")
    fields.setdefault("asset_type", "Fire extinguisher")
    return _add(Asset(company_id=customer.company_id, customer_id=customer.id, **fields))


def create_job_type(company: Company, **fields) -> JobType:
    n = next(_sequence)
    fields.setdefault("name", f"Service type {n}")
    return _add(JobType(company_id=company.id, **fields))


def create_job(customer: Customer, status: JobStatus = JobStatus.SCHEDULED, **fields) -> Job:
    fields.setdefault("title", "Oil change")
    if status not in (JobStatus.UNSCHEDULED,) and "window_start" not in fields:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        fields["window_start"] = start
        fields.setdefault("window_end", start + timedelta(hours=2))
    if status == JobStatus.COMPLETED:
        fields.setdefault("completed_at", utcnow())
    return _add(
        Job(
            company_id=customer.company_id,
            customer_id=customer.id,
            number=next_number(customer.company_id, "job"),
            status=status,
            **fields,
        )
    )


def create_invoice(
    customer: Customer,
    status: InvoiceStatus = InvoiceStatus.SENT,
    lines: tuple[tuple[str, int], ...] = (("Labour", 10_000),),
    **fields,
) -> Invoice:
    """An invoice whose totals equal its lines (no tax unless tax fields are given)."""
    subtotal = sum(amount for _, amount in lines)
    fields.setdefault("issued_on", date.today())
    fields.setdefault("due_on", date.today() + timedelta(days=30))
    fields.setdefault("payments", [])
    fields.setdefault("subtotal_cents", subtotal)
    fields.setdefault("total_cents", subtotal + fields.get("tax_cents", 0))
    if status == InvoiceStatus.VOID:
        fields.setdefault("voided_at", utcnow())
        fields.setdefault("void_reason", "Raised in error")
    invoice = _add(
        Invoice(
            company_id=customer.company_id,
            customer_id=customer.id,
            number=next_number(customer.company_id, "invoice"),
            status=status,
            billing_terms=customer.billing_terms,
            lines=[
                LineItem(
                    company_id=customer.company_id,
                    position=position,
                    description=description,
                    unit_price_cents=amount,
                    amount_cents=amount,
                )
                for position, (description, amount) in enumerate(lines)
            ],
            **fields,
        )
    )
    return invoice


def create_quote(customer: Customer, status: QuoteStatus = QuoteStatus.SENT, **fields) -> Quote:
    fields.setdefault("title", "Brake replacement")
    fields.setdefault("valid_until", date.today() + timedelta(days=30))
    fields.setdefault("total_cents", 25_000)
    fields.setdefault("subtotal_cents", fields["total_cents"])
    fields.setdefault("lines", [])
    return _add(
        Quote(
            company_id=customer.company_id,
            customer_id=customer.id,
            number=next_number(customer.company_id, "quote"),
            status=status,
            **fields,
        )
    )


def create_request(customer: Customer, **fields) -> ServiceRequest:
    fields.setdefault("description", "Van pulls to the left")
    return _add(ServiceRequest(company_id=customer.company_id, customer_id=customer.id, **fields))


def create_platform_admin(**fields) -> PlatformAdmin:
    """A platform admin with the default password (two-factor not set up)."""
    n = next(_sequence)
    fields.setdefault("email", f"platform{n}@example.com")
    fields.setdefault("password_hash", _default_hash())
    fields.setdefault("active", True)
    fields.setdefault("failed_attempts", 0)
    return _add(PlatformAdmin(**fields))
