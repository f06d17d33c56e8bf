"""Logs as production writes them, from a real gunicorn with the repository's
gunicorn.conf.py and wsgi.py (QUALITY.md 45). Every line it prints is JSON on stdout;
each request gives one request line with its id, route pattern, status, duration,
principal and company; an unhandled error gives one line with the traceback and that
request's id; and no secret — a sign-in link's token, a fleet link's token, a session
cookie, a query string, a form value — appears anywhere in what it prints."""

import json
import re

import pytest

from fieldportal.services.portal.portal_auth import issue_login_link, regenerate_fleet_token
from tests import factories

from .gunicorn_server import start_gunicorn

REQUEST_FIELDS = {"time", "level", "request_id", "method", "route", "endpoint", "status"}
REQUEST_FIELDS |= {"duration_ms", "principal", "company_id"}


def session_cookie(headers) -> str:
    [cookie] = headers.get_all("Set-Cookie")
    return cookie.split(";", 1)[0]


@pytest.fixture
def portal_secrets(app, committed_db):
    """A company with a contact holding a live sign-in link and a fleet with a token URL."""
    company = factories.create_company(slug="logs", name="Log Test Co")
    fleet = factories.create_fleet(company, vehicles=1)
    contact = factories.create_contact(fleet, email="reader@logs.example")
    with app.test_request_context():
        link_token = issue_login_link(contact)
        fleet_token = regenerate_fleet_token(fleet)
    committed_db.session.commit()
    secrets = {"company_id": company.id, "link": link_token, "fleet": fleet_token}
    committed_db.session.remove()
    return secrets


def test_gunicorn_writes_one_json_line_per_request_and_no_secret(app, portal_secrets, tmp_path):
    server = start_gunicorn(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    responses = []
    try:

        def call(method, path, **kwargs):
            status, headers, text = server.request(method, path, **kwargs)
            responses.append((method, status, headers))
            return status, headers, text

        call("GET", "/login?next=/query-secret-value")
        # The customer opens the emailed sign-in link, confirms, and lands in the portal.
        status, headers, page = call("GET", f"/portal/logs/link/{portal_secrets['link']}")
        assert status == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        status, headers, _ = call(
            "POST",
            f"/portal/logs/link/{portal_secrets['link']}",
            cookie=session_cookie(headers),
            form={"csrf_token": csrf, "next": "/portal/logs/form-secret-value"},
        )
        assert status in (302, 303)
        contact_cookie = session_cookie(headers)
        assert call("GET", "/portal/logs/", cookie=contact_cookie)[0] == 200
        # The fleet manager opens the fleet link.
        status, headers, _ = call("GET", f"/portal/t/{portal_secrets['fleet']}")
        assert status == 302
        fleet_cookie = session_cookie(headers)
        assert call("GET", "/portal/logs/jobs", cookie=fleet_cookie)[0] == 200
        status, error_headers, _ = call("GET", "/__fail/path-secret-value")
        assert status == 500
    finally:
        out, err = server.stop()

    assert err == "", "everything goes to stdout"
    records = [json.loads(line) for line in out.splitlines()]  # every line is one object
    request_lines = [r for r in records if r["logger"] == "fieldportal.requests"]
    # the health check that found the server up, then each request above
    assert len(request_lines) == 1 + len(responses)
    assert all(REQUEST_FIELDS <= set(r) for r in request_lines)
    mine = request_lines[1:]
    ids = [headers["X-Request-ID"] for _, _, headers in responses]
    assert [r["request_id"] for r in mine] == ids and len(set(ids)) == len(ids)
    assert [(r["method"], r["status"]) for r in mine] == [(m, s) for m, s, _ in responses]
    assert [r["route"] for r in mine] == [
        "/login",
        "/portal/<company_slug>/link/<token>",
        "/portal/<company_slug>/link/<token>",
        "/portal/<company_slug>/",
        "/portal/t/<token>",
        "/portal/<company_slug>/jobs",
        "/__fail/<secret>",
    ]
    company_id = portal_secrets["company_id"]
    assert [(r["principal"], r["company_id"]) for r in mine] == [
        ("anonymous", None),
        ("anonymous", company_id),
        ("contact", company_id),  # signed in by this very request
        ("contact", company_id),
        ("fleet_token", company_id),
        ("fleet_token", company_id),
        ("anonymous", None),
    ]
    assert all(isinstance(r["duration_ms"], float) and r["level"] == "INFO" for r in mine)

    [error] = [r for r in records if r["level"] == "ERROR"]
    assert error["logger"] == "fieldportal.errors"
    assert error["request_id"] == error_headers["X-Request-ID"]
    assert error["route"] == "/__fail/<secret>"
    assert "Traceback (most recent call last)" in error["traceback"]
    assert 'raise RuntimeError("the view failed")' in error["traceback"]

    secrets = [
        portal_secrets["link"],
        portal_secrets["fleet"],
        contact_cookie.split("=", 1)[1],
        fleet_cookie.split("=", 1)[1],
        "query-secret-value",
        "form-secret-value",
        "path-secret-value",
    ]
    assert [secret for secret in secrets if secret in out] == []
