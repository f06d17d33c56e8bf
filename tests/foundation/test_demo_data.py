"""The small demo data: every status of every object, two companies kept apart."""

import pytest
from sqlalchemy import func, select

from fieldportal.demo_data import build_demo_data
from fieldportal.models import (
    Asset,
    AssetDefect,
    AssetTest,
    Company,
    Contact,
    Customer,
    CustomerKind,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Quote,
    QuoteStatus,
    Report,
    ReportStatus,
    RequestStatus,
    ServiceRequest,
    Site,
    Vehicle,
)
from fieldportal.services.clock import company_today
from fieldportal.services.intervals import ServiceState, vehicle_service_status


@pytest.fixture
def demo(db):
    summary = build_demo_data(scale="small", seed=7, echo=lambda *_: None)
    return summary


def _values(db, column, **where):
    query = select(column).distinct()
    for name, value in where.items():
        query = query.where(getattr(column.class_, name) == value)
    return set(db.session.scalars(query))


def test_two_companies_with_own_name_logo_and_zone(db, demo):
    companies = db.session.scalars(select(Company).order_by(Company.slug)).all()
    assert [c.slug for c in companies] == ["acme", "northwind"]
    assert len({c.time_zone for c in companies}) == 2
    assert all(c.logo_filename for c in companies)


def test_every_status_exists_in_each_company(db, demo):
    for company in db.session.scalars(select(Company)):
        cid = company.id
        assert _values(db, Job.status, company_id=cid) == set(JobStatus)
        assert _values(db, Quote.status, company_id=cid) == set(QuoteStatus)
        assert _values(db, Invoice.status, company_id=cid) == set(InvoiceStatus)
        assert _values(db, Report.status, company_id=cid) == set(ReportStatus)
        assert _values(db, ServiceRequest.status, company_id=cid) == set(RequestStatus)
        assert _values(db, Customer.kind, company_id=cid) == set(CustomerKind)


def test_fleets_vehicles_and_interval_states(db, demo):
    for company in db.session.scalars(select(Company)):
        fleets = db.session.scalars(
            select(Customer).where(
                Customer.company_id == company.id, Customer.kind == CustomerKind.FLEET
            )
        ).all()
        assert len(fleets) >= 20
        counts = dict(
            db.session.execute(
                select(Vehicle.customer_id, func.count(Vehicle.id))
                .where(Vehicle.company_id == company.id)
                .group_by(Vehicle.customer_id)
            ).all()
        )
        assert all(3 <= counts[f.id] <= 30 for f in fleets)
        today = company_today(company)
        states = set()
        reasons = set()
        for fleet in fleets:
            for vehicle in db.session.scalars(
                select(Vehicle).where(Vehicle.customer_id == fleet.id)
            ):
                status = vehicle_service_status(vehicle, today, fleet=fleet)
                states.add(status.state)
                if status.state == ServiceState.OVERDUE:
                    if status.miles_left is not None and status.miles_left < 0:
                        reasons.add("miles")
                    if status.days_left is not None and status.days_left < 0:
                        reasons.add("days")
        assert {ServiceState.OVERDUE, ServiceState.DUE_SOON, ServiceState.OK} <= states
        assert reasons == {"miles", "days"}


def test_partial_and_full_payments(db, demo):
    partial = db.session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.status == InvoiceStatus.SENT,
            Invoice.amount_paid_cents > 0,
            Invoice.amount_paid_cents < Invoice.total_cents,
        )
    )
    full = db.session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.status == InvoiceStatus.PAID, Invoice.amount_paid_cents == Invoice.total_cents
        )
    )
    assert partial > 0 and full > 0


def test_active_jobs_today_and_accounts_with_sites_assets_tests_defects(db, demo):
    active = (JobStatus.ASSIGNED, JobStatus.EN_ROUTE, JobStatus.ARRIVED, JobStatus.IN_PROGRESS)
    for company in db.session.scalars(select(Company)):
        today_jobs = [
            job
            for job in db.session.scalars(
                select(Job).where(Job.company_id == company.id, Job.status.in_(active))
            )
            if job.window_start
            and company_today(company, job.window_start) == company_today(company)
        ]
        assert len(today_jobs) >= 4
    assert db.session.scalar(select(func.count(Site.id))) > 0
    assert db.session.scalar(select(func.count(Asset.id))) > 0
    assert db.session.scalar(select(func.count(AssetTest.id))) > 0
    assert db.session.scalar(select(func.count(AssetDefect.id))) > 0


def test_rows_never_point_across_companies(db, demo):
    for model in (Job, Invoice, Quote, Vehicle, ServiceRequest, Contact, Report):
        crossing = db.session.scalar(
            select(func.count(model.id))
            .join(Customer, Customer.id == model.customer_id)
            .where(Customer.company_id != model.company_id)
        )
        assert crossing == 0, model.__name__


def test_demo_credentials_exist(db, demo):
    for slug in ("acme", "northwind"):
        for kind in ("fleet", "consumer", "account"):
            contact = db.session.scalar(
                select(Contact).where(Contact.email == f"{kind}@{slug}.example")
            )
            assert (
                contact is not None and contact.password_hash and contact.pin_hash and contact.phone
            )


def _fingerprint(tmp_path, name: str, seed: int):
    from flask_migrate import upgrade

    from fieldportal import create_app
    from fieldportal.extensions import db as database

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    with app.app_context():
        upgrade()
        build_demo_data(scale="small", seed=seed, echo=lambda *_: None)
        rows = database.session.execute(
            select(Job.number, Job.title, Job.status, Job.customer_id, Job.vehicle_id).order_by(
                Job.id
            )
        ).all()
        invoices = database.session.execute(
            select(Invoice.number, Invoice.total_cents).order_by(Invoice.id)
        ).all()
        database.session.remove()
        database.engine.dispose()
    return rows, invoices


def test_same_seed_gives_same_data_and_another_seed_differs(tmp_path):
    first = _fingerprint(tmp_path, "a.db", seed=3)
    second = _fingerprint(tmp_path, "b.db", seed=3)
    other = _fingerprint(tmp_path, "c.db", seed=4)
    assert first == second
    assert first != other
