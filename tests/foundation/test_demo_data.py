"""The small demo data: every status of every object, two companies kept apart."""

from collections import defaultdict

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from fieldportal.demo_data import SCALES, build_demo_data
from fieldportal.demo_data import build as demo_build
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
    JobStatusChange,
    OdometerReading,
    Quote,
    QuoteStatus,
    Report,
    ReportStatus,
    RequestStatus,
    ServiceRequest,
    Site,
    Vehicle,
)
from fieldportal.services import phones
from fieldportal.services.clock import company_today
from fieldportal.services.fleet.intervals import ServiceState, vehicle_service_status
from fieldportal.services.portal import portal_auth
from tests.helpers import sign_in, text_of


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


def test_every_demo_phone_is_a_valid_number_of_its_company_in_e164(db, demo):
    """Stored as the app stores them, and the demo PINs work with the numbers as people
    there write them: "020 7946 0101" in London, "(312) 555-0101" in Chicago."""
    written = {"acme": "(312) 555-0101", "northwind": "020 7946 0101"}
    for company in db.session.scalars(select(Company)):
        region = phones.home_region(company)
        numbers = [company.phone]
        for model in (Customer, Contact):
            numbers += db.session.scalars(
                select(model.phone).where(model.company_id == company.id, model.phone.is_not(None))
            ).all()
        assert len(numbers) > 10
        assert all(phones.e164_or_none(number, region) == number for number in numbers), region
        found = portal_auth.contact_for_phone(company, written[company.slug])
        assert found is not None and found.email == f"fleet@{company.slug}.example"


def test_sizes_follow_the_scale(db, demo):
    """Per company: the scale's rows, plus each household's one or two vehicles, 30
    completed jobs for each of the three demo customers and a job per approved request."""
    small = SCALES["small"]
    household_vehicles = sum(1 + index % 2 for index in range(small.consumers))
    approved_requests = len(range(1, small.requests, 3))
    expected = {
        Customer: small.fleets + small.consumers + small.accounts,
        Vehicle: small.vehicles + household_vehicles,
        Job: small.jobs + 3 * 30 + approved_requests,
        Invoice: small.invoices,
        Quote: small.quotes,
        ServiceRequest: small.requests,
    }
    for model, per_company in expected.items():
        assert db.session.scalar(select(func.count(model.id))) == 2 * per_company, model
    assert (
        "90 customers, 644 vehicles, 1200 jobs, 360 invoices, 96 quotes, 60 service_requests"
        in demo
    )


def _completed_services(db) -> dict[int, list[Job]]:
    """Each vehicle's completed jobs, oldest first."""
    services = defaultdict(list)
    for job in db.session.scalars(
        select(Job)
        .where(Job.status == JobStatus.COMPLETED, Job.vehicle_id.is_not(None))
        .order_by(Job.completed_at, Job.id)
    ):
        services[job.vehicle_id].append(job)
    return services


def test_every_vehicles_last_service_is_its_latest_completed_job(db, demo):
    services = _completed_services(db)
    companies = {c.id: c for c in db.session.scalars(select(Company))}
    vehicles = db.session.scalars(select(Vehicle)).all()
    for vehicle in vehicles:
        jobs = services[vehicle.id]
        if not jobs:
            assert (vehicle.last_service_on, vehicle.last_service_odometer) == (None, None)
            continue
        latest = jobs[-1]
        company = companies[vehicle.company_id]
        assert vehicle.last_service_on == company_today(company, latest.completed_at), vehicle.id
        assert vehicle.last_service_odometer == latest.odometer_at_service, vehicle.id
        odometers = [job.odometer_at_service for job in jobs]
        assert None not in odometers and odometers == sorted(odometers), vehicle.id
        assert odometers[-1] <= vehicle.odometer, vehicle.id
    # A vehicle with no service on record is overdue at once by the miles rule: only a
    # few (before the service history was built from jobs, half the vehicles had none).
    never = [v for v in vehicles if not services[v.id]]
    assert len(never) <= len(vehicles) // 6


def test_odometer_readings_never_go_down_and_include_every_service(db, demo):
    services = _completed_services(db)
    readings = defaultdict(list)
    for reading in db.session.scalars(
        select(OdometerReading).order_by(OdometerReading.recorded_at, OdometerReading.id)
    ):
        readings[reading.vehicle_id].append(reading)
    for vehicle in db.session.scalars(select(Vehicle)):
        values = [r.reading for r in readings[vehicle.id]]
        assert values and values == sorted(values), vehicle.id
        assert values[-1] == vehicle.odometer, vehicle.id
        taken_by_jobs = {r.job_id: r.reading for r in readings[vehicle.id] if r.job_id}
        assert taken_by_jobs == {j.id: j.odometer_at_service for j in services[vehicle.id]}


def test_portal_vehicle_pages_agree_with_their_service_history(db, client, demo):
    """What the demo fleet manager sees: the next service by miles and by date counts
    from the latest job in the history shown on the same page."""
    contact = db.session.scalar(select(Contact).where(Contact.email == "fleet@acme.example"))
    fleet = db.session.get(Customer, contact.customer_id)
    sign_in(client, contact)
    services = _completed_services(db)
    checked = 0
    for vehicle in db.session.scalars(select(Vehicle).where(Vehicle.customer_id == fleet.id)):
        page = text_of(client.get(f"/portal/acme/vehicles/{vehicle.id}"))
        latest = services[vehicle.id][-1]
        miles = vehicle.interval_miles or fleet.interval_miles
        next_by_miles = f"Next service by miles {latest.odometer_at_service + miles:,} miles"
        assert next_by_miles in page, vehicle.id
        history = page[page.index("Service history") :]
        assert f"{latest.odometer_at_service:,} miles" in history, vehicle.id
        checked += 1
    assert checked >= 3


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


def _indexes_and_constraints(db) -> set:
    indexes = db.session.scalars(
        text("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()")
    ).all()
    constraints = db.session.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
        )
    ).all()
    return set(indexes) | {tuple(row) for row in constraints}


@pytest.mark.postgres_only
def test_a_load_on_postgresql_puts_back_every_index_and_constraint(db):
    """The load drops foreign keys, unique constraints and indexes for its COPY and makes
    them again: the schema after it is the schema before it, every constraint checked."""
    before = _indexes_and_constraints(db)
    build_demo_data(scale="small", seed=5, echo=lambda *_: None)
    assert _indexes_and_constraints(db) == before
    assert len(before) > 100


@pytest.mark.postgres_only
def test_a_row_breaking_a_foreign_key_fails_the_load_on_postgresql(db, monkeypatch):
    """Foreign keys added back after the COPY check every row: a dangling id is refused
    as an INSERT would have refused it."""
    add_requests = demo_build.add_requests

    def with_a_dangling_row(data):
        add_requests(data)
        data.add(
            JobStatusChange,
            job_id=10**9,
            from_status=None,
            to_status=JobStatus.SCHEDULED,
            changed_at=data.now,
            changed_by_id=data.owner_id,
        )

    monkeypatch.setattr(demo_build, "add_requests", with_a_dangling_row)
    with pytest.raises(IntegrityError, match="job_status_changes"):
        build_demo_data(scale="small", seed=5, echo=lambda *_: None)
