"""Build the large demo data once (cached SQLite file), then time the operator pages.

Runs in-process with the Flask test client (no network): p50 / p95 server time and the
number of SQL queries per page, plus fragment vs page bytes. Prints a table and writes
bench/results.md.

    python -m bench [--runs 30] [--rebuild]
"""

import argparse
import hashlib
import logging
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, select

HERE = Path(__file__).parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results.md"
SCALE, SEED = "large", 1
BUDGET_MS = 50
AGGREGATE_BUDGET_MS = 100
PORTAL_BUDGET_MS = 30


def make_app(database: Path):
    from fieldportal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": "bench-secret-key",
            "BASE_URL": "http://bench.local",
            "RATELIMIT_ENABLED": False,
        }
    )


def cached_database(rebuild: bool) -> Path:
    """The large demo database, built once and reused (rebuilt when asked)."""
    from flask_migrate import upgrade

    from fieldportal.demo_data import build_demo_data
    from fieldportal.extensions import db

    CACHE.mkdir(exist_ok=True)
    # A new migration (index, column) means a new cached database.
    migrations = sorted(p.name for p in (HERE.parent / "migrations" / "versions").glob("*.py"))
    schema = hashlib.sha256("\n".join(migrations).encode()).hexdigest()[:10]
    target = CACHE / f"demo-{SCALE}-seed{SEED}-{schema}.db"
    if target.exists() and not rebuild:
        return target
    building = target.with_suffix(".building")
    for stale in CACHE.glob(f"demo-{SCALE}-seed{SEED}*"):
        stale.unlink()
    app = make_app(building)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        print(build_demo_data(scale=SCALE, seed=SEED, echo=lambda _line: None).splitlines()[0])
        db.session.remove()
        db.engine.dispose()
    building.rename(target)
    print(f"Built {target} in {time.perf_counter() - started:.0f} s")
    return target


def signed_in_client(app, email: str):
    """A test client with a live server-side session for this staff user or portal contact."""
    from bench.sessions import new_session_token

    token = new_session_token(app, email)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def largest_fleet_id(app, email: str) -> int:
    from fieldportal.extensions import db
    from fieldportal.models import Customer, CustomerKind, StaffUser, Vehicle

    with app.app_context():
        company_id = db.session.scalar(select(StaffUser.company_id).where(StaffUser.email == email))
        return db.session.execute(
            select(Vehicle.customer_id, func.count())
            .join(Customer, Customer.id == Vehicle.customer_id)
            .where(Customer.company_id == company_id, Customer.kind == CustomerKind.FLEET)
            .group_by(Vehicle.customer_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()[0]


def measure(app, client, url: str, runs: int, headers=None) -> dict:
    from fieldportal.extensions import db

    statements: list[str] = []

    def count(*_args):
        statements.append("q")

    with app.app_context():
        engine = db.engine
    for _ in range(3):  # warm caches (SQLite pages, Jinja templates)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
    timings = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(runs):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            queries = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "queries": queries,
        "bytes": len(response.get_data()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    app = make_app(cached_database(args.rebuild))
    email = "owner@acme.example"
    client = signed_in_client(app, email)
    fleet_id = largest_fleet_id(app, email)
    hx = {"HX-Request": "true"}

    cases = [("Fleet index, default sort", "/fleets", BUDGET_MS)]
    for column in ("name", "vehicles", "overdue", "next_job", "mtd", "ar"):
        budget = BUDGET_MS if column == "name" else AGGREGATE_BUDGET_MS
        for direction in ("asc", "desc"):
            cases.append(
                (
                    f"Fleet index, sort {column} {direction}",
                    f"/fleets?sort={column}&dir={direction}",
                    budget,
                )
            )
    cases += [
        ("Fleet index, search 'tr'", "/fleets?q=tr", BUDGET_MS),
        ("Fleet index, has overdue vehicles", "/fleets?overdue=1", BUDGET_MS),
        ("Fleet index, page 40", "/fleets?page=40", BUDGET_MS),
        ("Fleet detail, largest fleet", f"/fleets/{fleet_id}", None),
    ]
    if "operator.job_list" in app.view_functions:
        cases += [
            ("Jobs list, default", "/jobs", None),
            ("Jobs list, status completed, page 20", "/jobs?status=completed&page=20", None),
        ]

    portal_cases = [
        ("Portal dashboard (fleet)", "/portal/acme/", "fleet@acme.example"),
        ("Portal active jobs (fleet)", "/portal/acme/jobs", "fleet@acme.example"),
        ("Portal history (fleet)", "/portal/acme/history", "fleet@acme.example"),
        (
            "Portal history page 2 (fleet)",
            "/portal/acme/history?page=2&more=1",
            "fleet@acme.example",
        ),
        ("Portal vehicles (fleet)", "/portal/acme/vehicles", "fleet@acme.example"),
        ("Portal assets (account)", "/portal/acme/assets", "account@acme.example"),
        ("Portal account (consumer)", "/portal/acme/account", "consumer@acme.example"),
    ]
    for view in ("quotes", "invoices", "reports", "requests"):
        if f"portal.{view}" in app.view_functions:
            portal_cases.append(
                (f"Portal {view} (fleet)", f"/portal/acme/{view}", "fleet@acme.example")
            )
    portal_clients = {email: signed_in_client(app, email) for _, _, email in portal_cases}

    rows = []
    for label, url, budget in cases + [
        (label, url, PORTAL_BUDGET_MS) for label, url, _ in portal_cases
    ]:
        portal_email = next(
            (email for case_label, _, email in portal_cases if case_label == label), None
        )
        result = measure(
            app, portal_clients[portal_email] if portal_email else client, url, args.runs
        )
        verdict = "" if budget is None else ("ok" if result["p95"] <= budget else "OVER")
        rows.append((label, url, result, budget, verdict))
        print(
            f"{label:44} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  "
            f"{result['queries']:2d} queries  {verdict}"
        )

    # (label, URL htmx fetches, URL of the page it is swapped into)
    fragments = [
        ("Fleet index table", "/fleets?sort=ar&dir=desc", None),
        ("Fleet detail history", f"/fleets/{fleet_id}?page=2", None),
        ("Pending-requests panel refresh", "/requests/panel", "/fleets"),
    ]
    if "operator.job_list" in app.view_functions:
        fragments.append(("Jobs list table", "/jobs?page=2", None))
    portal_fragments = [
        ("Portal tab: jobs", "/portal/acme/jobs", None),
        ("Portal tab: history", "/portal/acme/history", None),
        ("Portal history: Load more", "/portal/acme/history?page=2&more=1", "/portal/acme/history"),
        ("Portal tab: vehicles", "/portal/acme/vehicles", None),
        ("Portal tab: account", "/portal/acme/account", None),
    ]
    fleet_client = portal_clients["fleet@acme.example"]
    byte_rows = []
    for label, url, page_url in fragments + portal_fragments:
        source = fleet_client if url.startswith("/portal/") else client
        page = len(source.get(page_url or url).get_data())
        fragment = len(source.get(url, headers=hx).get_data())
        byte_rows.append((label, url, page, fragment, 100 * fragment / page))
        print(
            f"{label:44} page {page:7d} B  fragment {fragment:7d} B  {100 * fragment / page:5.1f} %"
        )

    lines = [
        "# Bench results",
        "",
        f"Large demo data (seed {SEED}), SQLite, Flask test client in-process, "
        f"{args.runs} runs after 3 warm-up requests; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| Page | URL | p50 ms | p95 ms | queries | budget p95 | |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, url, result, budget, verdict in rows:
        lines.append(
            f"| {label} | `{url}` | {result['p50']:.1f} | {result['p95']:.1f} | "
            f"{result['queries']} | {budget or '—'} | {verdict} |"
        )
    lines += [
        "",
        "| Fragment | URL | page bytes | fragment bytes | % of page |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for label, url, page, fragment, share in byte_rows:
        lines.append(f"| {label} | `{url}` | {page} | {fragment} | {share:.1f} |")
    lines += [
        "",
        "Small swaps (the pending-requests panel, inline approve/decline of one row) stay under",
        "the 25 % budget. A sort, filter or page change swaps the whole table (25 rows), a",
        "portal tab its panel and Load more the next 20 rows: that content is most of the page,",
        "so those swaps stay above 25 % — the budget is not met for them (see the issue notes).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
