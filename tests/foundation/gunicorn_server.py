"""A real gunicorn started as production starts it — the repository's gunicorn.conf.py
and wsgi.py — plus one route that fails, for tests of what it prints and reports."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "gunicorn-test-secret"
FAILING_APP = """
from flask import request
from wsgi import app
from fieldportal.extensions import csrf

@app.route("/__fail/<secret>", methods=["GET", "POST"])
@csrf.exempt
def fail(secret):
    request.form  # read, as a real view would, before it fails
    raise RuntimeError("the view failed")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port

    def request(self, method: str, path: str, *, cookie=None, form=None, headers=None):
        """(status, headers, body text) of one request on a new connection."""
        headers = dict(headers or {})
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()

    def stop(self) -> tuple[str, str]:
        """SIGTERM (a graceful stop); what it printed on stdout and on stderr."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.communicate(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.communicate()


def start_gunicorn(tmp_path: Path, database_url: str, **env) -> Gunicorn:
    """Serving once /healthz answered 200 (exactly one request before the caller's)."""
    (tmp_path / "failing_app.py").write_text(FAILING_APP)
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("PAGE_CACHE_URL", "SENTRY_DSN")},
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "FIELDPORTAL_ENV": "development",
        "LOG_LEVEL": "INFO",
        "RATELIMIT_STORAGE_URI": "memory://",
        **env,
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py"]
        + ["failing_app:app"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 30
    while process.poll() is None and time.time() < deadline:
        try:
            # A long timeout: a request waiting for a booting worker is answered once,
            # never sent twice.
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return Gunicorn(process, port)
        except OSError:
            time.sleep(0.2)
    process.kill()
    out, err = process.communicate()
    pytest.fail(f"gunicorn did not start:\n{out}\n{err}")
