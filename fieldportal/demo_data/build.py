"""``build_demo_data``: both companies, step by step, written in bulk after each step."""

import random
import time
from collections import Counter
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import text

from ..extensions import db
from ..models import Company
from ..services import tenancy
from ..transaction import unit_of_work
from .billing import add_invoices, add_quotes
from .catalog import COMPANIES
from .companies import add_company
from .context import CompanyData
from .credentials import secret_hashes
from .customers import add_customers
from .jobs import add_jobs
from .reports import add_reports
from .requests import add_requests
from .scales import SCALES
from .service_history import add_odometer_readings
from .writer import Batch, IdAllocator, indexes_built_after_load, reset_postgres_sequences

SUMMARY_TABLES = ("customers", "vehicles", "jobs", "invoices", "quotes", "service_requests")


def build_company(data: CompanyData) -> Counter:
    """Make one company's rows; each step reads what the steps before it made. Rows are
    written after each step from the jobs on (the jobs step sets each vehicle's last
    service, the last change to an earlier step's rows), so that the xl scale never holds
    all of a company's rows at once. Returns how many went into each table."""
    add_company(data)
    add_customers(data)
    written = Counter()
    for step in (
        add_jobs,
        add_odometer_readings,
        add_requests,
        add_quotes,
        add_invoices,
        add_reports,
    ):
        step(data)
        written.update(data.batch.flush())
    return written


def build_demo_data(scale: str = "small", seed: int = 1, echo=print) -> str:
    """Load the demo data and commit; returns a one-line summary with timings."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    hashes = secret_hashes()
    ids = IdAllocator()
    totals = Counter()
    tokens = []
    with unit_of_work():
        for spec in COMPANIES:
            if tenancy.company_by_slug(spec["slug"]) is not None:
                raise RuntimeError(
                    f"Company {spec['slug']!r} already exists; use an empty database."
                )
        with indexes_built_after_load():
            for spec in COMPANIES:
                data = CompanyData(spec, SCALES[scale], rng, ids, Batch(), hashes, now)
                totals.update(build_company(data))
                db.session.execute(
                    Company.__table__.update()
                    .where(Company.id == data.company_id)
                    .values(**data.next_numbers())
                )
                tokens.append((spec["slug"], data.fleet_token))
                echo(f"  {spec['name']}: loaded")
            echo("  Indexes and foreign keys: building and checking")
        reset_postgres_sequences()
    # Fresh statistics after a bulk load, so the query planner picks the selective indexes.
    with unit_of_work():
        db.session.execute(text("ANALYZE"))
    return _summary(scale, seed, time.perf_counter() - started, totals, tokens)


def _summary(scale: str, seed: int, elapsed: float, totals: Counter, tokens: list) -> str:
    base_url = current_app.config["BASE_URL"]
    token_lines = "\n".join(
        f"  Fleet portal link ({slug}): {base_url}/portal/t/{token}" for slug, token in tokens
    )
    figures = ", ".join(f"{totals.get(table, 0)} {table}" for table in SUMMARY_TABLES)
    return f"Demo data ({scale}, seed {seed}) loaded in {elapsed:.1f} s: {figures}.\n{token_lines}"
