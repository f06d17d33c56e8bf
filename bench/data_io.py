"""Time and memory of data in and out, through the app's own URLs (Flask test client, one
process), on PostgreSQL large: the CSV exports of every operator list read whole, and a
10,000-row import of customers (each with its first contact), then of a vehicle for each of
them (upload, preview, confirm, then the same file again, which changes nothing). The
issue's budget: 10,000 rows imported in at most 30 s on PostgreSQL.

    python -m bench.data_io [--url postgresql+psycopg://postgres@127.0.0.1:5432/DB]
                            [--email owner@acme.example] [--rows 10000]
                            [--skip-import] [--skip-exports] [--no-write]

Without ``--url`` it runs on the page benchmark's PostgreSQL large database
(bench/databases.py: built once, reused). The import writes its customers and vehicles
there, each run with references of its own. Memory is the peak of Python's allocations
while a download is read chunk by chunk and thrown away (tracemalloc, in a second pass: it
slows the run), and the process's peak RSS. Writes its section of bench/results.md.
"""

import argparse
import csv
import io
import re
import resource
import secrets
import time
import tracemalloc
from datetime import UTC, datetime

from bench.databases import TARGETS, database_url, make_app
from bench.sections import replace_section
from bench.sessions import new_session_token

IMPORT_BUDGET_S = 30  # 10,000 rows, upload to confirmed (issue 15)
EXPORTS = (
    "/customers?format=csv",
    "/fleets?format=csv",
    "/jobs?format=csv",
    "/jobs?format=csv&status=scheduled",
    "/quotes?format=csv",
    "/invoices?format=csv",
    "/payments?format=csv",
    "/requests?format=csv",
    "/reports/ageing?format=csv",
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DIGEST = re.compile(r'name="digest"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="digest"')


def _client(app, email: str):
    token = new_session_token(app, email)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def _read_streamed(client, url: str) -> tuple[int, int]:
    """Bytes and lines of the download, read a chunk at a time and not kept."""
    response = client.get(url, buffered=False)
    assert response.status_code == 200, (url, response.status_code)
    size = lines = 0
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return size, lines


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_export(client, url: str) -> dict:
    started = time.perf_counter()
    size, lines = _read_streamed(client, url)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    _read_streamed(client, url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "url": url,
        "rows": lines - 1,
        "mb": size / 1e6,
        "seconds": seconds,
        "peak_heap_mb": peak / 1e6,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _csv(header: tuple, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def customers_file(rows: int, run: str) -> bytes:
    """A customers import file of ``rows`` new customers, each with a first contact."""
    header = ("external_ref", "name", "kind", "email", "phone", "billing_address")
    header += ("billing_terms", "notes", "contact_name", "contact_email", "contact_phone")
    return _csv(
        header,
        (
            (f"{run}-{n}", f"Bench Customer {run} {n}", "fleet" if n % 3 else "consumer")
            + (f"ap{n}@{run}.bench.example", f"+1 312 7{n % 100:02} {n % 10_000:04}")
            + (f"{n} Main Street, Springfield IL", "net_30", "")
            + (f"Contact {n}", f"contact{n}@{run}.bench.example", "")
            for n in range(rows)
        ),
    )


def vehicles_file(rows: int, run: str) -> bytes:
    """A vehicles import file: one new vehicle for each customer of ``customers_file``,
    named by its external reference, with its first odometer reading."""
    header = ("customer", "plate", "vin", "year", "make", "model", "odometer")
    return _csv(
        header,
        (
            (f"{run}-{n}", f"B{run[:3].upper()} {n:05}", f"BENCH{run.upper()}{n:06}"[:17])
            + (str(2010 + n % 15), "Ford", "Transit", str(1_000 + n))
            for n in range(rows)
        ),
    )


def _form_value(pattern: re.Pattern, html: str) -> str:
    return next(group for group in pattern.search(html).groups() if group)


def _upload(client, kind: str, data: bytes) -> tuple[str, float]:
    token = _form_value(CSRF, client.get("/import").get_data(as_text=True))
    started = time.perf_counter()
    response = client.post(
        "/import",
        data={"kind": kind, "file": (io.BytesIO(data), f"{kind}.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"], time.perf_counter() - started


def _preview(client, upload_path: str) -> tuple[str, float]:
    started = time.perf_counter()
    response = client.get(upload_path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True), time.perf_counter() - started


def _confirm(client, upload_path: str, html: str) -> float:
    form = {"digest": _form_value(DIGEST, html), "csrf_token": _form_value(CSRF, html)}
    started = time.perf_counter()
    response = client.post(f"{upload_path}/confirm", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return time.perf_counter() - started


def import_timings(client, kind: str, data: bytes, rows: int) -> dict:
    """Upload, preview and confirm the file, then the same file again (nothing changes)."""
    upload, upload_s = _upload(client, kind, data)
    html, preview_s = _preview(client, upload)
    assert f"{rows} rows: {rows} to create, 0 to update" in html, html[:2000]
    confirm_s = _confirm(client, upload, html)
    again, again_upload_s = _upload(client, kind, data)
    html, again_preview_s = _preview(client, again)
    # Nothing to create or update: the preview says so and offers nothing to confirm.
    assert f"0 to create, 0 to update, {rows} already as the file says" in html, html[:2000]
    assert DIGEST.search(html) is None, "a file that changes nothing has nothing to confirm"
    return {
        "kind": kind,
        "rows": rows,
        "upload_s": upload_s,
        "preview_s": preview_s,
        "confirm_s": confirm_s,
        "total_s": upload_s + preview_s + confirm_s,
        "again_s": again_upload_s + again_preview_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="default: the page benchmark's PostgreSQL large")
    parser.add_argument("--email", default="owner@acme.example")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch results.md")
    args = parser.parse_args()
    app = make_app(args.url or database_url(TARGETS["pg-large"], rebuild=False))
    client = _client(app, args.email)
    lines = []
    if not args.skip_exports:
        lines += [
            "| export | rows | MB | s | peak heap MB | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for url in EXPORTS:
            m = measure_export(client, url)
            lines.append(
                f"| `{m['url']}` | {m['rows']:,} | {m['mb']:.1f} | {m['seconds']:.2f} "
                f"| {m['peak_heap_mb']:.1f} | {m['peak_rss_mb']:.0f} |"
            )
            print(lines[-1], flush=True)
        lines.append("")
    if not args.skip_import:
        run = secrets.token_hex(3)
        lines += [
            f"Import of {args.rows:,} rows (budget {IMPORT_BUDGET_S} s from upload to "
            "confirmed; then the same file again, which changes nothing):",
            "",
            "| kind | upload s | preview s | confirm s | total s | same file again (upload + preview) s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for kind, data in (
            ("customers", customers_file(args.rows, run)),
            ("vehicles", vehicles_file(args.rows, run)),
        ):
            t = import_timings(client, kind, data, args.rows)
            verdict = "" if t["total_s"] <= IMPORT_BUDGET_S else " **over budget**"
            lines.append(
                f"| {kind} | {t['upload_s']:.2f} | {t['preview_s']:.2f} | {t['confirm_s']:.2f} "
                f"| {t['total_s']:.2f}{verdict} | {t['again_s']:.2f} |"
            )
            print(lines[-1], flush=True)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        where = "the given database" if args.url else "PostgreSQL large"
        replace_section(
            "Data in and out (issue 15)",
            [f"`python -m bench.data_io`, {stamp}, {where}, Flask test client.", "", *lines],
        )


if __name__ == "__main__":
    main()
