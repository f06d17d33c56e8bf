import json
import logging

from tests.helpers import sign_in


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_request_log_has_route_pattern_not_concrete_path(client, caplog):
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        client.get("/login?next=/secret-token-in-query")
    records = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "fieldportal.requests"
    ]
    assert records[-1]["route"] == "/login"
    assert records[-1]["status"] == 200
    assert "secret-token" not in caplog.text


def test_request_log_for_signed_in_staff(client, owner, caplog):
    sign_in(client, owner)
    with caplog.at_level(logging.INFO, logger="fieldportal.requests"):
        client.get("/", headers={"HX-Request": "true"})
    record = json.loads(
        [r for r in caplog.records if r.name == "fieldportal.requests"][-1].getMessage()
    )
    assert record == {
        **record,
        "method": "GET",
        "route": "/",
        "endpoint": "operator.home",
        "status": 200,
        "htmx": True,
    }
