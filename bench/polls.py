"""What a tab left open costs: the polled fragments (the portal's Active jobs, the
operator's pending-requests badge) answered in full, as 304 by the company's data version
(production: PAGE_CACHE_URL on Redis), and as 304 by the rendered fragment's hash (no
Redis), side by side in one run on PostgreSQL large (fieldportal/live_updates.py).

    python -m bench.polls [--runs 200] [--sessions 30]

In-process (Flask test client, no network). Each poll comes from another of --sessions
live sessions, spread over the demo company's portal contacts and staff, as many open
tabs would; each session first fetches once to learn its tag. Prints p50 / p95 server
time, SQL statements and bytes on the wire (status line, headers and body) per poll, and
writes them into bench/results.md. Needs the PostgreSQL on 127.0.0.1:5432 and the Redis on
127.0.0.1:6379 (database 0, its own key namespace).
"""

import argparse
import statistics
import time
import uuid

from sqlalchemy import event

from bench.__main__ import signed_in_client
from bench.databases import TARGETS, database_url, make_app
from bench.pages import ACCOUNT_CONTACT, CONSUMER_CONTACT, FLEET_CONTACT, OWNER
from bench.sections import replace_section

REDIS_URL = "redis://127.0.0.1:6379/0"
HX = {"HX-Request": "true", "Accept-Encoding": "gzip, deflate, br"}  # as a browser sends
POLLS = {
    "Portal Active jobs": ("/portal/acme/jobs", (FLEET_CONTACT, ACCOUNT_CONTACT, CONSUMER_CONTACT)),
    "Operator pending badge": ("/requests/pending-count", (OWNER, "dispatcher@acme.example")),
}
WAYS = ("full answer", "304 by data version", "304 by rendered hash")


def wire_bytes(response) -> int:
    head = sum(len(f"{name}: {value}\r\n") for name, value in response.headers.items())
    return len(f"HTTP/1.1 {response.status}\r\n") + head + 2 + len(response.get_data())


def measure(app, clients, url: str, way: str, runs: int) -> dict:
    from fieldportal.extensions import db

    tags = {}
    for index, client in enumerate(clients):
        response = client.get(url, headers=HX)
        assert response.status_code == 200, (url, response.status_code)
        tags[index] = response.headers["ETag"]
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    timings, queries, sizes = [], [], []
    try:
        for run in range(runs):
            index = run % len(clients)
            headers = (
                dict(HX) if way == "full answer" else dict(HX, **{"If-None-Match": tags[index]})
            )
            statements.clear()
            started = time.perf_counter()
            response = clients[index].get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            expected = 200 if way == "full answer" else 304
            assert response.status_code == expected, (url, way, response.status_code)
            queries.append(len(statements))
            sizes.append(wire_bytes(response))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p95": timings[round(0.95 * (len(timings) - 1))],
        "queries": statistics.median(queries),
        "bytes": statistics.median(sizes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=30)
    args = parser.parse_args()

    from fieldportal.services.portal.page_cache import PageCache

    app = make_app(database_url(TARGETS["pg-large"], rebuild=False))
    lines = [
        f"{args.runs} polls from {args.sessions} sessions each, PostgreSQL large, in-process.",
        "",
        "| fragment | answer | p50 ms | p95 ms | SQL statements | bytes on the wire |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, (url, emails) in POLLS.items():
        clients = [signed_in_client(app, emails[n % len(emails)]) for n in range(args.sessions)]
        for way in WAYS:
            cache = None
            if way == "304 by data version":
                cache = PageCache(REDIS_URL, namespace=f"bench-polls-{uuid.uuid4().hex}")
                app.extensions["page_cache"] = cache
            else:
                app.extensions.pop("page_cache", None)
            result = measure(app, clients, url, way, args.runs)
            if cache is not None:
                for key in cache.redis.scan_iter(f"{cache.namespace}:*"):
                    cache.redis.delete(key)
            print(
                f"{label:24} {way:22} p50 {result['p50']:5.2f} ms  p95 {result['p95']:5.2f} ms  "
                f"{result['queries']:3.0f} statements  {result['bytes']:6.0f} bytes"
            )
            lines.append(
                f"| {label} | {way} | {result['p50']:.2f} | {result['p95']:.2f} | "
                f"{result['queries']:.0f} | {result['bytes']:.0f} |"
            )
    app.extensions.pop("page_cache", None)
    replace_section("Idle polls: full answer vs 304", lines)


if __name__ == "__main__":
    main()
