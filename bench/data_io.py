"""Time and memory of data in and out, through the app's own URLs (Flask test client, one
process): the CSV exports of the big lists read whole, and a 10,000-row customer import
(upload, preview, confirm, then the same file again).

    python -m bench.data_io --url postgresql+psycopg://postgres@127.0.0.1:5432/DB
                            [--email owner@acme.example] [--rows 10000] [--skip-import]
                            [--skip-exports]

The database must hold the demo data (``flask demo-data --scale large``); the import
writes its customers there (each run with references of its own). Memory is the peak of
Python's allocations while the response is read chunk by chunk and thrown away
(tracemalloc, in a second pass: it slows the run), and the process's peak RSS.
"""

import argparse
import csv
import io
import re
import resource
import secrets
import time
import tracemalloc

from bench.databases import make_app
from bench.sessions import new_session_token

EXPORTS = (
    "/jobs?format=csv",
    "/jobs?format=csv&status=scheduled",
    "/payments?format=csv",
    "/reports/ageing?format=csv",
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


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


def customers_file(rows: int, run: str) -> bytes:
    """A customers import file of ``rows`` new customers, each with a first contact."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ("external_ref", "name", "kind", "email", "phone", "billing_address", "billing_terms")
        + ("notes", "contact_name", "contact_email", "contact_phone")
    )
    for n in range(rows):
        writer.writerow(
            (f"{run}-{n}", f"Bench Customer {run} {n}", "fleet" if n % 3 else "consumer")
            + (f"ap{n}@{run}.bench.example", f"+1 312 7{n % 100:02} {n % 10_000:04}")
            + (f"{n} Main Street, Springfield IL", "net_30", "")
            + (f"Contact {n}", f"contact{n}@{run}.bench.example", "")
        )
    return out.getvalue().encode()


def _csrf(html: str) -> str:
    return CSRF.search(html)[1]


def _confirm(client, upload_path: str) -> float:
    html = client.get(upload_path).get_data(as_text=True)
    digest = re.search(r'name="digest"[^>]*value="([^"]+)"', html)
    if digest is None:
        digest = re.search(r'value="([^"]+)"[^>]*name="digest"', html)
    started = time.perf_counter()
    response = client.post(
        f"{upload_path}/confirm", data={"digest": digest[1], "csrf_token": _csrf(html)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return time.perf_counter() - started


def _upload(client, data: bytes) -> tuple[str, float]:
    token = _csrf(client.get("/import").get_data(as_text=True))
    started = time.perf_counter()
    response = client.post(
        "/import",
        data={
            "kind": "customers",
            "file": (io.BytesIO(data), "customers.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"], time.perf_counter() - started


def import_timings(client, rows: int) -> dict:
    data = customers_file(rows, secrets.token_hex(3))
    first_upload, upload_s = _upload(client, data)
    started = time.perf_counter()
    assert client.get(first_upload).status_code == 200
    preview_s = time.perf_counter() - started
    confirm_s = _confirm(client, first_upload)
    again, _ = _upload(client, data)
    again_s = _confirm(client, again)
    return {
        "rows": rows,
        "upload_s": upload_s,
        "preview_s": preview_s,
        "confirm_s": confirm_s,
        "reimport_confirm_s": again_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", default="owner@acme.example")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-exports", action="store_true")
    args = parser.parse_args()
    app = make_app(args.url)
    client = _client(app, args.email)
    print(f"{'export':45} {'rows':>8} {'MB':>7} {'s':>6} {'heap MB':>8} {'RSS MB':>7}")
    for url in () if args.skip_exports else EXPORTS:
        m = measure_export(client, url)
        print(
            f"{m['url']:45} {m['rows']:8,} {m['mb']:7.1f} {m['seconds']:6.2f} "
            f"{m['peak_heap_mb']:8.1f} {m['peak_rss_mb']:7.0f}",
            flush=True,
        )
    if not args.skip_import:
        t = import_timings(client, args.rows)
        print(
            f"import {t['rows']:,} customers: upload {t['upload_s']:.2f} s, preview "
            f"{t['preview_s']:.2f} s, confirm {t['confirm_s']:.2f} s; the same file again: "
            f"confirm {t['reimport_confirm_s']:.2f} s (nothing changes)"
        )


if __name__ == "__main__":
    main()
