"""Load test and throughput ratio against gunicorn on PostgreSQL (QUALITY.md 38, issue 8).

    python -m bench.load [--users 50] [--seconds 120] [--ratio-seconds 10]

1. Creates a fresh PostgreSQL database (127.0.0.1:5432, trust auth), migrates it and
   loads the demo data (--scale small by default).
2. Starts gunicorn (4 workers) with this app plus a bare "hello" route.
3. Throughput: requests per second of the portal dashboard and of the hello route, each
   for --ratio-seconds with the same number of keep-alive clients, from client processes
   separate from the server: the dashboard must reach ≥ 25 % of hello.
4. Load: --users simulated users (half staff on the operator pages, half customers on
   the portal) for --seconds, each a keep-alive connection with 0.2–1 s think time;
   reports error rate, p50 / p90 / p99 and requests per second.
Results are printed and written to bench/load_results.md.
"""

import argparse
import http.client
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "load_results.md"
SECRET = "bench-load-secret"
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STAFF_PAGES = [
    "/",
    "/fleets",
    "/fleets?sort=ar&dir=desc",
    "/jobs",
    "/customers",
    "/requests",
    "/invoices",
]
PORTAL_PAGES = [
    "/portal/acme/",
    "/portal/acme/jobs",
    "/portal/acme/history",
    "/portal/acme/vehicles",
    "/portal/acme/invoices",
]
STAFF_EMAILS = ["owner@acme.example", "dispatcher@acme.example"]
CONTACT_EMAILS = ["fleet@acme.example", "consumer@acme.example", "account@acme.example"]
HELLO_APP = """
from wsgi import app

@app.route("/__hello")
def hello():
    return "hello"
"""


def fresh_database(name: str, scale: str) -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "FLASK_APP": "wsgi:app"}
    flask = str(Path(sys.executable).with_name("flask"))
    subprocess.run([flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [flask, "demo-data", "--scale", scale], env=env, cwd=ROOT, check=True, capture_output=True
    )
    return url


def signed_cookie(token: str) -> str:
    """The Cookie header value the server (SECRET) reads as this server-side session."""
    from flask import Flask

    signer_app = Flask("signer")
    signer_app.secret_key = SECRET
    signer = signer_app.session_interface.get_signing_serializer(signer_app)
    return "session=" + signer.dumps({"_user_id": token, "_fresh": True})


def session_cookies(url: str, emails: list[str], per_email: int) -> list[str]:
    """Signed session cookies, each for its own new server-side session."""
    from bench.sessions import new_session_token
    from fieldportal import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    return [
        signed_cookie(new_session_token(app, email)) for email in emails for _ in range(per_email)
    ]


def start_gunicorn(
    url: str, port: int, workers: int, *, page_cache: bool = True
) -> subprocess.Popen:
    (HERE / ".cache").mkdir(exist_ok=True)
    module = HERE / ".cache" / "hello_app.py"
    module.write_text(HELLO_APP)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{module.parent}",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        # the production settings and JSON logs (gunicorn.conf.py), warnings and errors only
        "WEB_CONCURRENCY": str(workers),
        "BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    if page_cache:
        # as in production (README): dashboards kept while their company's data is unchanged
        env["PAGE_CACHE_URL"] = "redis://127.0.0.1:6379/0"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "--log-level", "warning", "hello_app:app"],
        env=env,
        cwd=ROOT,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


class Client:
    """One keep-alive connection that, like a browser, sends back the session cookie the
    server last set (the first answer adds Flask-Login's session-protection id to it)."""

    def __init__(self, port: int, cookie: str | None):
        self.port, self.cookie = port, cookie
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> int:
        try:
            self.connection.request(
                "GET", path, headers={"Cookie": self.cookie} if self.cookie else {}
            )
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("session="):
                self.cookie = header.split(";", 1)[0]
        return response.status


def _hammer(port: int, path: str, cookie: str | None, seconds: float, threads: int, queue) -> None:
    """One client process: ``threads`` keep-alive connections as fast as they can."""
    counts = []

    def loop():
        client = Client(port, cookie)
        done = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            if client.get(path) == 200:
                done += 1
        counts.append(done)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(sum(counts))


def requests_per_second(
    port: int, path: str, cookie: str | None, seconds: float, processes=2, threads=8
) -> float:
    queue = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=_hammer, args=(port, path, cookie, seconds, threads, queue))
        for _ in range(processes)
    ]
    for client in clients:
        client.start()
    total = sum(queue.get() for _ in clients)
    for client in clients:
        client.join()
    return total / seconds


def simulate_users(port: int, staff_cookies, portal_cookies, users: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def user(n: int):
        nonlocal errors
        staff = n % 2 == 0
        cookie = (staff_cookies if staff else portal_cookies)[n // 2]
        pages = STAFF_PAGES if staff else PORTAL_PAGES
        rng = random.Random(n)
        client = Client(port, cookie)
        while time.perf_counter() < end:
            started = time.perf_counter()
            try:
                ok = client.get(rng.choice(pages)) == 200
            except (OSError, http.client.HTTPException):
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1
            time.sleep(rng.uniform(0.2, 1.0))

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "requests": len(latencies),
        "errors": errors,
        "error_rate": 100 * errors / max(1, len(latencies)),
        "p50": statistics.median(latencies),
        "p90": percentile(0.90),
        "p99": percentile(0.99),
        "rps": len(latencies) / seconds,
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def _ratio_table(hello: float, dashboard: float, ratio: float) -> list[str]:
    return [
        "| Throughput (same run) | req/s |",
        "| --- | ---: |",
        f"| bare hello route | {hello:.0f} |",
        f"| portal dashboard | {dashboard:.0f} |",
        f"| ratio (budget ≥ 25 %) | {ratio:.1f} % {verdict(ratio >= 25)} |",
    ]


def add_ratio_to_bench_results(args, hello: float, dashboard: float, ratio: float) -> None:
    from bench.sections import replace_section

    replace_section(
        "Throughput under gunicorn (QUALITY.md 38)",
        [
            f"gunicorn, {args.workers} workers, PostgreSQL, {args.scale} demo data, "
            f"{args.ratio_seconds:.0f} s each from two client processes on loopback; "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            *_ratio_table(hello, dashboard, ratio),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--ratio-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument(
        "--ratio-only",
        action="store_true",
        help="measure only the throughput ratio and add it to bench/results.md (make bench)",
    )
    args = parser.parse_args()

    print("Preparing PostgreSQL database …")
    url = fresh_database("fieldportal_load", args.scale)
    half = args.users // 2 + 1
    staff_cookies = session_cookies(url, STAFF_EMAILS, half // len(STAFF_EMAILS) + 1)
    portal_cookies = session_cookies(url, CONTACT_EMAILS, half // len(CONTACT_EMAILS) + 1)
    port = 8765
    server = start_gunicorn(url, port, args.workers)
    try:
        hello = requests_per_second(port, "/__hello", None, args.ratio_seconds)
        dashboard = requests_per_second(
            port, "/portal/acme/", portal_cookies[0], args.ratio_seconds
        )
        ratio = 100 * dashboard / hello
        print(f"hello {hello:.0f} req/s, portal dashboard {dashboard:.0f} req/s: {ratio:.1f} %")
        if args.ratio_only:
            add_ratio_to_bench_results(args, hello, dashboard, ratio)
            return
        print(f"Simulating {args.users} users for {args.seconds:.0f} s …")
        load = simulate_users(port, staff_cookies, portal_cookies, args.users, args.seconds)
        print(
            f"{load['requests']} requests, {load['error_rate']:.2f} % errors, p50 {load['p50']:.0f} ms, "
            f"p90 {load['p90']:.0f} ms, p99 {load['p99']:.0f} ms, {load['rps']:.1f} req/s"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    RESULTS.write_text(
        "\n".join(
            [
                "# Load results",
                "",
                f"gunicorn, {args.workers} workers, PostgreSQL, {args.scale} demo data, "
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, clients on the same 2-core machine.",
                "",
                *_ratio_table(hello, dashboard, ratio),
                "",
                f"| Load: {args.users} users for {args.seconds:.0f} s | value | budget |",
                "| --- | ---: | --- |",
                f"| requests | {load['requests']} | |",
                f"| error rate | {load['error_rate']:.2f} % | < 1 % {verdict(load['error_rate'] < 1)} |",
                f"| p50 | {load['p50']:.0f} ms | |",
                f"| p90 | {load['p90']:.0f} ms | < 200 ms {verdict(load['p90'] < 200)} |",
                f"| p99 | {load['p99']:.0f} ms | < 1000 ms {verdict(load['p99'] < 1000)} |",
                f"| throughput | {load['rps']:.1f} req/s | |",
                "",
            ]
        )
    )
    print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
