import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from fieldportal import create_app
from fieldportal.log_config import json_formatter
from fieldportal.services.portal.page_cache import PageCache
from tests.helpers import sign_in
from tests.redis_server import redis_url_or_skip

from .gunicorn_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def json_lines(caplog, logger: str) -> list[dict]:
    """The records of ``logger`` as the JSON lines the configured processes print."""
    formatter = json_formatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    dead = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"}
    )
    response = dead.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_healthz_is_503_when_the_page_cache_redis_is_down(app, client, monkeypatch):
    closed = PageCache(f"redis://127.0.0.1:{free_port()}/15")
    monkeypatch.setitem(app.extensions, "page_cache", closed)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "ok",
        "page_cache_redis": "unreachable",
    }


HEALTH_IN_A_FRESH_PROCESS = """
import json
from fieldportal import create_app
response = create_app().test_client().get("/healthz")
print(json.dumps([response.status_code, response.get_json()]))
"""


def _healthz_of_a_process_with(tmp_path, **env) -> tuple[int, dict]:
    """/healthz of an app configured from ``env`` (the rate limiter is process-wide, so
    an app with another limiter storage lives in its own process)."""
    result = subprocess.run(
        [sys.executable, "-c", HEALTH_IN_A_FRESH_PROCESS],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'health.db'}",
            "SECRET_KEY": "health",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.splitlines()[-1])
    return status, body


def test_healthz_is_503_when_the_rate_limit_redis_is_down(tmp_path):
    status, body = _healthz_of_a_process_with(
        tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/15"
    )
    assert (status, body) == (
        503,
        {"status": "unavailable", "database": "ok", "rate_limit_storage": "unreachable"},
    )


def test_healthz_lists_each_configured_redis_when_they_answer(tmp_path):
    url = redis_url_or_skip()
    status, body = _healthz_of_a_process_with(
        tmp_path, RATELIMIT_STORAGE_URI=url, PAGE_CACHE_URL=url
    )
    assert (status, body) == (
        200,
        {"status": "ok", "database": "ok", "page_cache_redis": "ok", "rate_limit_storage": "ok"},
    )


def test_request_log_has_route_pattern_not_concrete_path(client, caplog):
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        client.get("/login?next=/secret-token-in-query")
    records = json_lines(caplog, "fieldportal.requests")
    assert records[-1]["route"] == "/login"
    assert records[-1]["status"] == 200
    assert "secret-token" not in caplog.text
    assert "secret-token" not in json.dumps(records)


def test_request_log_for_signed_in_staff(client, owner, caplog):
    sign_in(client, owner)
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        client.get("/", headers={"HX-Request": "true"})
    record = json_lines(caplog, "fieldportal.requests")[-1]
    assert record == {
        **record,
        "method": "GET",
        "route": "/",
        "endpoint": "operator.home",
        "status": 200,
        "htmx": True,
    }
    assert (record["principal"], record["company_id"]) == ("staff", owner.company_id)
    assert record["level"] == "INFO" and record["time"].endswith("+00:00")


def test_each_request_gets_its_own_id_and_ignores_one_sent_without_a_proxy(client, caplog):
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        first = client.get("/login")
        second = client.get("/login", headers={"X-Request-ID": "chosen-by-the-client"})
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert [r["request_id"] for r in json_lines(caplog, "fieldportal.requests")] == ids
    assert len(set(ids)) == 2 and "chosen-by-the-client" not in ids
    assert all(len(request_id) == 32 for request_id in ids)


def test_the_trusted_proxys_request_id_is_used_and_sent_back(production_app, caplog):
    client = production_app.test_client()
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        kept = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a9c"})
        replaced = client.get("/healthz", headers={"X-Request-ID": "bad id {json}"})
    assert kept.headers["X-Request-ID"] == "edge-7f3a9c"
    assert replaced.headers["X-Request-ID"] not in ("", "bad id {json}")
    logged = [r["request_id"] for r in json_lines(caplog, "fieldportal.requests")]
    assert logged == ["edge-7f3a9c", replaced.headers["X-Request-ID"]]


def test_a_request_refused_before_its_view_is_logged_too(staff_client, owner, caplog):
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        response = staff_client.get("/fleets?q=a%00b")
    assert response.status_code == 400
    [record] = json_lines(caplog, "fieldportal.requests")
    assert (record["route"], record["status"]) == ("/fleets", 400)
    assert record["request_id"] == response.headers["X-Request-ID"]


def test_contact_and_fleet_token_principals_are_named(client, company, create, caplog):
    fleet = create.fleet(company, vehicles=0, portal_token_hash="not-a-real-token-hash")
    contact = create.contact(fleet)
    sign_in(client, contact)
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        client.get(f"/portal/{contact.company.slug}/")
        other = client.application.test_client()
        sign_in(other, fleet)
        other.get(f"/portal/{contact.company.slug}/jobs")
        client.application.test_client().get(f"/portal/{contact.company.slug}/sign-in")
    assert [
        (r["principal"], r["company_id"]) for r in json_lines(caplog, "fieldportal.requests")
    ] == [
        ("contact", contact.company_id),
        ("fleet_token", contact.company_id),
        ("anonymous", contact.company_id),
    ]


def _fail():
    raise RuntimeError("a bug")


def test_an_unhandled_error_is_one_line_with_traceback_and_request_id(
    app, client, monkeypatch, caplog
):
    monkeypatch.setitem(app.view_functions, "auth.login", _fail)
    with caplog.at_level(logging.INFO):
        response = client.get("/login?next=/query-secret")
    assert response.status_code == 500
    [error] = json_lines(caplog, "fieldportal.errors")
    assert error["level"] == "ERROR"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["route"] == "/login"
    assert error["traceback"].startswith("Traceback (most recent call last)")
    assert error["traceback"].rstrip().endswith("RuntimeError: a bug")
    [request_line] = json_lines(caplog, "fieldportal.requests")
    assert request_line["status"] == 500
    assert "query-secret" not in caplog.text


def _fail_in_sql():
    from sqlalchemy import text

    from fieldportal.extensions import db

    typed = "-".join(["typed", "value"])  # not spelled out in the traceback's source lines
    db.session.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": typed})


def test_a_failed_statement_is_logged_without_the_values_bound_to_it(
    app, client, monkeypatch, caplog
):
    monkeypatch.setitem(app.view_functions, "auth.login", _fail_in_sql)
    with caplog.at_level(logging.INFO):
        assert client.get("/login").status_code == 500
    [error] = json_lines(caplog, "fieldportal.errors")
    assert "no_such_table" in error["traceback"]
    assert "typed-value" not in error["traceback"]
