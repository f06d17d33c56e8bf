"""Walk Flask's URL map: every route, as every kind of outsider.

- every unsafe method without a CSRF token → 400 (the Stripe webhook verifies a signature);
- every operator route with another company's ids → 404, never the object;
- every portal route with another customer's or another company's ids → 404;
- every GET leaves the database unchanged;
- signed out, nothing but sign-in pages, public assets and health answer 200.

A new route whose id argument is not in ID_MODELS fails here until it is added.
"""

import re

import pytest
from sqlalchemy import func, select

from fieldportal.demo_data import build_demo_data
from fieldportal.models import (
    Asset,
    AssetDefect,
    AssetTest,
    AuthSession,
    CheckoutPayment,
    Company,
    Contact,
    Customer,
    CustomerKind,
    Invoice,
    Job,
    JobType,
    OutboxEmail,
    Payment,
    Quote,
    Report,
    RequestPhoto,
    ServiceRequest,
    Site,
    StaffRole,
    StaffUser,
    Vehicle,
)
from tests.helpers import sign_in

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
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_EXEMPT_ENDPOINTS = {"webhooks.stripe"}
PUBLIC_GET_PREFIXES = ("/login", "/static/", "/healthz", "/portal/", "/webhooks/")


def _rules(app, prefix: str | None = None):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if prefix is not None and not rule.endpoint.startswith(prefix):
            continue
        yield rule


def _fill(rule, values: dict) -> str | None:
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


def _row_counts(db) -> dict[str, int]:
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar()
        for table in db.metadata.sorted_tables
    }


@pytest.fixture
def demo(db):
    build_demo_data(scale="small", seed=2, echo=lambda *_: None)
    acme = db.session.scalar(select(Company).where(Company.slug == "acme"))
    northwind = db.session.scalar(select(Company).where(Company.slug == "northwind"))
    return acme, northwind


def _ids_of(db, company_id: int, customer_id: int | None = None) -> dict:
    """One id of each kind of object, all belonging to ``company_id`` (and ``customer_id``)."""
    values = {}
    for argument, model in ID_MODELS.items():
        query = select(model.id)
        if hasattr(model, "company_id"):
            query = query.where(model.company_id == company_id)
        if customer_id is not None and hasattr(model, "customer_id"):
            query = query.where(model.customer_id == customer_id)
        if model is RequestPhoto:
            query = select(RequestPhoto.id).where(RequestPhoto.company_id == company_id)
        values[argument] = db.session.scalar(query.order_by(model.id).limit(1)) or 999_999
    return values


def _owner_of(db, company):
    return db.session.scalar(
        select(StaffUser).where(
            StaffUser.company_id == company.id, StaffUser.role == StaffRole.OWNER
        )
    )


def _own_values(db, company) -> dict:
    """URL arguments pointing at the company's own objects."""
    return {
        **_ids_of(db, company.id),
        "company_slug": company.slug,
        "token": "x" * 43,
        "filename": "x.png",
    }


def test_every_unsafe_method_requires_csrf(app, client, demo, db):
    acme, _ = demo
    sign_in(client, _owner_of(db, acme))
    values = _own_values(db, acme)
    checked = 0
    for rule in _rules(app):
        if rule.endpoint in CSRF_EXEMPT_ENDPOINTS:
            continue
        path = _fill(rule, values)
        assert path is not None, f"no test value for an argument of {rule.rule}"
        for method in sorted(rule.methods & UNSAFE):
            response = client.open(path, method=method, data={"x": "1"}, csrf=False)
            assert response.status_code == 400, (
                f"{method} {rule.rule} without CSRF → {response.status_code}"
            )
            checked += 1
    assert checked >= 2


def test_operator_routes_answer_404_for_another_companys_ids(app, client, demo, db):
    acme, northwind = demo
    sign_in(client, _owner_of(db, acme))
    foreign = _ids_of(db, northwind.id)
    for rule in _rules(app, "operator."):
        id_arguments = [name for name in rule.arguments if name.endswith("_id")]
        if not id_arguments:
            continue
        unknown = [name for name in id_arguments if name not in ID_MODELS]
        assert not unknown, f"add {unknown} of {rule.rule} to ID_MODELS"
        path = _fill(rule, {**foreign, "filename": "x.png"})
        for method in sorted(rule.methods & ({"GET"} | UNSAFE)):
            response = client.open(path, method=method, data={})
            assert response.status_code == 404, (
                f"{method} {rule.rule} with another company's ids → {response.status_code}"
            )


def test_portal_routes_answer_404_for_other_customers_and_companies(app, client, demo, db):
    acme, northwind = demo
    portal_rules = [
        rule for rule in _rules(app, "portal.") if any(n.endswith("_id") for n in rule.arguments)
    ]
    if not portal_rules:
        pytest.skip("no portal routes with ids yet")
    contact = db.session.scalar(select(Contact).where(Contact.email == "fleet@acme.example"))
    sign_in(client, contact)
    other_customer = db.session.scalar(
        select(Customer.id).where(
            Customer.company_id == acme.id,
            Customer.id != contact.customer_id,
            Customer.kind == CustomerKind.ACCOUNT,
        )
    )
    for label, ids in (
        ("another customer", _ids_of(db, acme.id, other_customer)),
        ("another company", _ids_of(db, northwind.id)),
    ):
        for rule in portal_rules:
            id_arguments = [name for name in rule.arguments if name.endswith("_id")]
            unknown = [name for name in id_arguments if name not in ID_MODELS]
            assert not unknown, f"add {unknown} of {rule.rule} to ID_MODELS"
            path = _fill(
                rule, {**ids, "company_slug": acme.slug, "token": "x" * 43, "filename": "x.png"}
            )
            for method in sorted(rule.methods & ({"GET"} | UNSAFE)):
                response = client.open(path, method=method, data={})
                assert response.status_code == 404, (
                    f"{method} {rule.rule} with {label}'s ids → {response.status_code}"
                )


def test_gets_change_nothing_and_signed_out_sees_only_public_pages(app, client, demo, db):
    acme, _ = demo
    values = {
        **_ids_of(db, acme.id),
        "company_slug": acme.slug,
        "token": "x" * 43,
        "filename": "x.png",
    }
    before = _row_counts(db)
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        path = _fill(rule, values)
        response = client.get(path)
        assert response.status_code < 500, f"GET {rule.rule} → {response.status_code}"
        if response.status_code == 200:
            assert rule.rule.startswith(PUBLIC_GET_PREFIXES), f"signed out GET {rule.rule} → 200"
    after = _row_counts(db)
    after.pop(AuthSession.__tablename__), before.pop(AuthSession.__tablename__)
    assert after == before


def test_gets_as_owner_never_fail_and_change_nothing(app, client, demo, db):
    acme, _ = demo
    sign_in(client, _owner_of(db, acme))
    values = _own_values(db, acme)
    before = _row_counts(db)
    for rule in _rules(app, "operator."):
        if "GET" not in rule.methods:
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(_fill(rule, values), headers=headers)
            assert response.status_code < 500, f"GET {rule.rule} {headers} → {response.status_code}"
    after = _row_counts(db)
    after.pop(AuthSession.__tablename__), before.pop(AuthSession.__tablename__)
    assert after == before
