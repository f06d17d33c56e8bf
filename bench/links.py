"""Sign-in "email me a link" (portal) and "Forgot password" (staff) for a known and an
unknown address (QUALITY.md 7): both should take the same time, so the answer's timing
does not tell which addresses have an account.

    python -m bench.links [--runs 30]

In-process (Flask test client, no network) on a throwaway SQLite file and, when the local
PostgreSQL answers, on a throwaway PostgreSQL database. Known and unknown requests
alternate, every request with its own address and client IP, so the throttles count as
in production and never refuse one. Prints the medians of wall-clock and CPU time and the
SQL statements per request, and writes them into bench/results.md.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "fp_bench_links"
WARMUP = 3
KINDS = ("known", "unknown")
# What is measured: the form each request posts to, the section of results.md, its title.
REQUESTS = {
    "portal": ("/portal/bench/sign-in/link", "Sign-in link requests, known vs unknown address"),
    "staff": ("/password/forgot", "Staff password resets, known vs unknown address"),
}


def _postgres_url() -> str | None:
    """A fresh, empty PostgreSQL database, or None when there is no local server."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    except OperationalError:
        return None
    finally:
        admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"


def _drop_postgres() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
    admin.dispose()


def measure(database_url: str, runs: int, path: str) -> dict:
    from fieldportal import create_app
    from fieldportal.extensions import db
    from fieldportal.models import Company, Contact, Customer, CustomerKind, StaffRole, StaffUser

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-links",
            "BASE_URL": "http://bench.local",
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        company = Company(slug="bench", name="Bench Mobile Mechanics")
        db.session.add(company)
        db.session.flush()
        fleet = Customer(company_id=company.id, kind=CustomerKind.FLEET, name="Bench Fleet")
        db.session.add(fleet)
        db.session.flush()
        db.session.add_all(
            Contact(
                company_id=company.id,
                customer_id=fleet.id,
                name=f"Known {n}",
                email=f"known-{n}@bench.test",
                is_admin=True,
            )
            for n in range(WARMUP + runs)
        )
        db.session.add_all(
            StaffUser(
                company_id=company.id,
                name=f"Known {n}",
                email=f"known-{n}@bench.test",
                role=StaffRole.DISPATCHER,
                password_hash="unused",
            )
            for n in range(WARMUP + runs)
        )
        db.session.commit()
        engine = db.engine

    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    client = app.test_client()
    wall = {kind: [] for kind in KINDS}
    cpu = {kind: [] for kind in KINDS}
    counts = {kind: [] for kind in KINDS}
    for n in range(WARMUP + runs):
        for kind in KINDS if n % 2 else reversed(KINDS):
            statements.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.post(
                path,
                data={"email": f"{kind}-{n}@bench.test"},
                environ_base={"REMOTE_ADDR": f"10.{kind == 'known'}.{n // 250}.{n % 250}"},
            )
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            assert response.status_code in (200, 303), response.status_code
            if n >= WARMUP:
                wall[kind].append(elapsed * 1000)
                cpu[kind].append(elapsed_cpu * 1000)
                counts[kind].append(len(statements))
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return {
        kind: {
            "median_ms": round(statistics.median(wall[kind]), 2),
            "cpu_median_ms": round(statistics.median(cpu[kind]), 2),
            "statements": sorted(set(counts[kind])),
        }
        for kind in KINDS
    }


def _table(path: str, runs: int, results: dict) -> list[str]:
    lines = [
        f"POST {path.replace('/bench/', '/<company>/')}, medians of {runs} per address kind, "
        "in-process; SQL statements per request.",
        "",
        "| Database | address | median ms | CPU median ms | statements |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for database, by_kind in results.items():
        for kind, figures in by_kind.items():
            line = (
                f"| {database} | {kind} | {figures['median_ms']} | {figures['cpu_median_ms']} "
                f"| {', '.join(map(str, figures['statements']))} |"
            )
            lines.append(line)
            print(line)
    return lines


def main() -> int:
    from bench.sections import replace_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    for path, title in REQUESTS.values():
        results = {}
        with tempfile.TemporaryDirectory(prefix="bench-links-") as work:
            results["SQLite"] = measure(f"sqlite:///{Path(work) / 'links.db'}", runs, path)
        postgres = _postgres_url()
        if postgres:
            try:
                results["PostgreSQL"] = measure(postgres, runs, path)
            finally:
                _drop_postgres()
        else:
            print("no PostgreSQL on 127.0.0.1:5432: measured on SQLite only")
        replace_section(f"{title} (QUALITY.md 7)", _table(path, runs, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
