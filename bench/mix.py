"""Throughput of the realistic mix against gunicorn on PostgreSQL large (issue 14).

    python -m bench.mix [--contacts 400] [--seconds 20] [--connections 16] [--workers 4]

Many distinct users: --contacts portal contacts (each its own fleet) and two staff, each
with its own server-side session. Every request is a random user and a random one of that
user's pages, from keep-alive connections in client processes apart from the server, as
fast as the server answers. The same run measures the bare route before and after each
mix, and the mix twice: with the dashboard page cache (PAGE_CACHE_URL, as in production)
and without it. Prints each figure and writes the table into bench/results.md.
"""

import argparse
import http.client
import multiprocessing
import os
import random
import statistics
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select

from bench.databases import TARGETS, database_url, make_app
from bench.load import signed_cookie, start_gunicorn
from bench.sessions import new_session_token

PORT = 8766
STAFF_EMAILS = ["owner@acme.example", "dispatcher@acme.example"]
STAFF_PAGES = ["/fleets", "/jobs", "/requests", "/invoices"]
PORTAL_PAGES = [
    "/portal/acme/",
    "/portal/acme/jobs",
    "/portal/acme/history",
    "/portal/acme/invoices",
    "/portal/acme/vehicles",
]
RATIO_BUDGET = 20  # % of the bare route's req/s
P99_BUDGET_MS = 100


def users(app, contacts: int) -> list[tuple[str, list[str]]]:
    """(session token, pages) of each user: ``contacts`` administrators of Acme's fleets
    (each sees every portal tab) and the staff."""
    from fieldportal.extensions import db
    from fieldportal.models import Company, Contact, Customer, CustomerKind

    with app.app_context():
        emails = db.session.scalars(
            select(Contact.email)
            .join(Customer, Customer.id == Contact.customer_id)
            .join(Company, Company.id == Customer.company_id)
            .where(
                Company.slug == "acme",
                Customer.kind == CustomerKind.FLEET,
                Contact.is_admin.is_(True),
                Contact.portal_access.is_(True),
                Contact.email.is_not(None),
            )
            .order_by(Contact.id)
            .limit(contacts)
        ).all()
    found = [(new_session_token(app, email), PORTAL_PAGES) for email in emails]
    return found + [(new_session_token(app, email), STAFF_PAGES) for email in STAFF_EMAILS]


def _client_process(people, seconds: float, threads: int, seed: int, queue) -> None:
    """``threads`` keep-alive connections; each request a random user and page. A user's
    cookie is the one the server last set for it (as that user's browser would keep)."""
    cookies = [signed_cookie(token) for token, _pages in people]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def loop(n: int):
        rng = random.Random(seed * 1000 + n)
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        end = time.perf_counter() + seconds
        mine = []
        failed = 0
        while time.perf_counter() < end:
            who = rng.randrange(len(people))
            path = rng.choice(people[who][1])
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookies[who]})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                for header in response.headers.get_all("Set-Cookie") or []:
                    if header.startswith("session="):
                        cookies[who] = header.split(";", 1)[0]
            except (OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                ok = False
            mine.append((time.perf_counter() - started) * 1000)
            failed += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, errors[0]))


def run_mix(people, seconds: float, connections: int, processes: int = 2) -> dict:
    queue = multiprocessing.Queue()
    per_process = connections // processes
    clients = [
        multiprocessing.Process(
            target=_client_process, args=(people, seconds, per_process, seed, queue)
        )
        for seed in range(processes)
    ]
    for client in clients:
        client.start()
    latencies, errors = [], 0
    for _ in clients:
        got, failed = queue.get()
        latencies += got
        errors += failed
    for client in clients:
        client.join()
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "rps": len(latencies) / seconds,
        "requests": len(latencies),
        "errors": errors,
        "p50": statistics.median(latencies),
        "p99": percentile(0.99),
    }


def measure(url: str, people, args, *, cache: bool) -> dict:
    from bench.load import requests_per_second

    server = start_gunicorn(url, PORT, args.workers, page_cache=cache)
    try:
        run_mix(people, 3, args.connections)  # warm: workers' imports, templates, pool
        before = requests_per_second(PORT, "/__hello", None, args.ratio_seconds)
        mix = run_mix(people, args.seconds, args.connections)
        after = requests_per_second(PORT, "/__hello", None, args.ratio_seconds)
    finally:
        server.terminate()
        server.wait(timeout=20)
    mix.update(hello_before=before, hello_after=after)
    mix["ratio"] = 100 * mix["rps"] / ((before + after) / 2)
    return mix


def _row(name: str, figures: dict) -> str:
    verdict = (
        figures["ratio"] >= RATIO_BUDGET
        and figures["p99"] <= P99_BUDGET_MS
        and figures["errors"] == 0
    )
    return (
        f"| {name} | {figures['hello_before']:.0f} | {figures['rps']:.0f} | "
        f"{figures['hello_after']:.0f} | {figures['ratio']:.1f} % | {figures['p50']:.0f} | "
        f"{figures['p99']:.0f} | {figures['errors']} of {figures['requests']} | "
        f"{'ok' if verdict else 'OVER'} |"
    )


def main() -> None:
    from bench.sections import replace_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--ratio-seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    url = database_url(TARGETS["pg-large"], rebuild=False)
    people = users(make_app(url), args.contacts)
    print(f"{len(people)} users ({len(people) - len(STAFF_EMAILS)} portal contacts)")
    results = {}
    for name, cache in (("with the page cache", True), ("without the page cache", False)):
        results[name] = measure(url, people, args, cache=cache)
        print(name, {key: round(value, 1) for key, value in results[name].items()})
    replace_section(
        "Realistic mix (issue 14)",
        [
            f"gunicorn, {args.workers} sync workers, PostgreSQL large demo data, "
            f"{len(people) - len(STAFF_EMAILS)} portal contacts and {len(STAFF_EMAILS)} staff, "
            f"each request a random user and one of their pages (portal: "
            f"{', '.join(PORTAL_PAGES)}; staff: {', '.join(STAFF_PAGES)}), "
            f"{args.connections} keep-alive connections from 2 client processes on the same "
            f"machine, {args.seconds:.0f} s; the bare route {args.ratio_seconds:.0f} s before and "
            f"after each mix. {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()} "
            "(shared with other work). Budget: mix >= "
            f"{RATIO_BUDGET} % of the bare route, p99 <= {P99_BUDGET_MS} ms, 0 errors.",
            "",
            "| Mix | bare req/s before | mix req/s | bare req/s after | mix / bare | "
            "p50 ms | p99 ms | errors | verdict |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            *(_row(name, figures) for name, figures in results.items()),
        ],
    )


if __name__ == "__main__":
    main()
