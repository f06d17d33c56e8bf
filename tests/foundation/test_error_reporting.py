"""Sentry error reports (SENTRY_DSN), received by a local HTTP server standing in for
Sentry, from a real gunicorn: an unhandled error arrives exactly once, tagged with the
request id the log line carries, and the envelope holds no cookie, Authorization header,
token from the URL, query string or form body."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

from fieldportal.error_reporting import scrub

from .gunicorn_server import start_gunicorn

SECRETS = {
    "cookie": "cookie-secret-value",
    "authorization": "authorization-secret-value",
    "path": "path-secret-value",
    "query": "query-secret-value",
    "form": "form-secret-value",
}


class SentryStandIn(BaseHTTPRequestHandler):
    """Keeps every envelope POSTed to /api/<project>/envelope/, decompressed."""

    envelopes: list[bytes]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.server.envelopes.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryStandIn)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def events_in(envelopes) -> list[dict]:
    """The error events among the envelopes' items (sessions and client reports aside)."""
    events = []
    for _, envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_an_unhandled_error_reaches_sentry_once_and_without_secrets(
    app, db, sentry_server, tmp_path
):
    port = sentry_server.server_address[1]
    server = start_gunicorn(
        tmp_path,
        app.config["SQLALCHEMY_DATABASE_URI"],
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
        WEB_CONCURRENCY="1",
    )
    try:
        status, headers, _ = server.request(
            "POST",
            f"/__fail/{SECRETS['path']}?token={SECRETS['query']}",
            cookie=f"session={SECRETS['cookie']}",
            headers={"Authorization": f"Bearer {SECRETS['authorization']}"},
            form={"password": SECRETS["form"]},
        )
        assert status == 500
        assert server.request("GET", "/login")[0] == 200
        deadline = time.time() + 15
        while not events_in(sentry_server.envelopes) and time.time() < deadline:
            time.sleep(0.1)
    finally:
        out, _ = server.stop()  # the SDK flushes what is left on the way out

    [event] = events_in(sentry_server.envelopes)
    everything = b"".join(body for _, body in sentry_server.envelopes)
    leaked = [name for name, value in SECRETS.items() if value.encode() in everything]
    assert leaked == []
    assert all(path == "/api/1/envelope/" for path, _ in sentry_server.envelopes)
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the view failed")
    assert event["tags"]["request_id"] == headers["X-Request-ID"]
    assert event["request"]["url"] == "/__fail/<secret>"
    assert event["request"]["method"] == "POST"
    assert headers["X-Request-ID"] in out, "the same id is on the error's log line"


def test_scrub_keeps_only_the_method_route_and_plain_headers(app):
    event = {
        "request": {
            "method": "GET",
            "url": "https://portal.example.test/portal/t/raw-token",
            "query_string": "token=raw",
            "cookies": {"session": "raw"},
            "data": {"password": "raw"},
            "headers": {
                "Cookie": "session=raw",
                "Authorization": "Bearer raw",
                "X-Csrftoken": "raw",
                "User-Agent": "Phone",
            },
        },
        "breadcrumbs": {"values": [{"message": "GET /portal/t/raw-token"}]},
        "user": {"ip_address": "198.51.100.7"},
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"token": "raw"}}]}}]},
    }
    with app.test_request_context("/portal/t/raw-token?token=raw"):
        scrubbed = scrub(event, {})
    assert "raw" not in json.dumps(scrubbed)
    assert scrubbed["request"] == {
        "method": "GET",
        "url": "/portal/t/<token>",
        "headers": {"User-Agent": "Phone"},
    }
