"""Helpers for tests that walk Flask's URL map: fill a rule's arguments with real ids,
find the demo companies' people, snapshot the database."""

import hashlib
import re

from sqlalchemy import select

from fieldportal.models import (
    Asset,
    AssetDefect,
    AssetTest,
    AuthSession,
    CheckoutPayment,
    Contact,
    Customer,
    ImportUpload,
    Invoice,
    Job,
    JobType,
    OutboxEmail,
    Payment,
    PlatformSession,
    Quote,
    Report,
    RequestPhoto,
    ServiceRequest,
    Site,
    StaffRole,
    StaffUser,
    Vehicle,
)

ID_MODELS = {
    "customer_id": Customer,
    "fleet_id": Customer,
    "contact_id": Contact,
    "site_id": Site,
    "vehicle_id": Vehicle,
    "asset_id": Asset,
    "test_id": AssetTest,
    "defect_id": AssetDefect,
    "job_id": Job,
    "job_type_id": JobType,
    "invoice_id": Invoice,
    "quote_id": Quote,
    "report_id": Report,
    "payment_id": Payment,
    "checkout_id": CheckoutPayment,
    "request_id": ServiceRequest,
    "photo_id": RequestPhoto,
    "email_id": OutboxEmail,
    "message_id": OutboxEmail,
    "staff_id": StaffUser,
    "user_id": StaffUser,
    "upload_id": ImportUpload,
}
MISSING_ID = 999_999
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
HX = {"HX-Request": "true"}


def rules(app, prefix: str | None = None):
    """Every rule of the URL map but Flask's static files (whose walk is the header test's)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if prefix is not None and not rule.endpoint.startswith(prefix):
            continue
        yield rule


def methods_of(rule) -> list[str]:
    return sorted(rule.methods & ({"GET"} | UNSAFE))


def fill(rule, values: dict) -> str | None:
    """The rule's URL with each argument taken from ``values``; None if one is unknown."""
    arguments = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if name in values:
            arguments[name] = values[name]
        elif getattr(converter, "items", None):  # <any(a, b):name>
            arguments[name] = sorted(converter.items)[0]
        else:
            return None
    path = rule.rule
    for name, value in arguments.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


def ids_of(db, company, customer_id: int | None = None) -> dict:
    """URL arguments naming one object of each kind belonging to ``company`` (and to
    ``customer_id``), drafts last (the portal does not show them); MISSING_ID where it
    has none."""
    values = {"company_slug": company.slug, "token": "x" * 43}
    for argument, model in ID_MODELS.items():
        query = select(model.id)
        if hasattr(model, "company_id"):
            query = query.where(model.company_id == company.id)
        if customer_id is not None and hasattr(model, "customer_id"):
            query = query.where(model.customer_id == customer_id)
        if model in (Quote, Invoice, Report):
            query = query.order_by(model.status == "draft")
        values[argument] = db.session.scalar(query.order_by(model.id).limit(1)) or MISSING_ID
    values["filename"] = company.logo_filename or "x.png"
    values["company_id"] = company.id  # /platform names companies by id
    return values


def owner_of(db, company) -> StaffUser:
    return db.session.scalar(
        select(StaffUser).where(
            StaffUser.company_id == company.id, StaffUser.role == StaffRole.OWNER
        )
    )


def contact_by_email(db, email: str) -> Contact:
    return db.session.scalar(select(Contact).where(Contact.email == email))


def snapshot(db) -> dict[str, str]:
    """A digest of every row of every table (sessions aside: reading a page may refresh
    its own session's last-seen time), so updates show as well as inserts and deletes."""
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name in (AuthSession.__tablename__, PlatformSession.__tablename__):
            continue
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests
