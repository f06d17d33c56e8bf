"""Production settings behind an HTTPS proxy: secure cookies, HSTS, the client's real IP;
a sender address the operator controls; no silent plaintext SMTP."""

import pytest

from fieldportal import create_app
from fieldportal.config import ConfigurationError


def _start(tmp_path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


@pytest.mark.parametrize(
    "mail_from",
    [
        None,
        "",
        "fieldportal <no-reply@fieldportal.local>",
        "NO-REPLY@FIELDPORTAL.LOCAL",
        "Service portal",
        "Service portal <no-reply@localhost>",
    ],
)
def test_production_refuses_to_start_without_a_real_sender_address(
    production_app, monkeypatch, tmp_path, mail_from
):
    if mail_from is None:
        monkeypatch.delenv("MAIL_FROM")
    else:
        monkeypatch.setenv("MAIL_FROM", mail_from)
    with pytest.raises(ConfigurationError, match="MAIL_FROM"):
        _start(tmp_path)


def test_production_sends_from_the_address_it_was_given(production_app):
    assert production_app.config["MAIL_FROM"] == (
        "Service portal <no-reply@mail.service.example.com>"
    )


def test_development_keeps_the_local_default_sender(monkeypatch, tmp_path):
    monkeypatch.delenv("FIELDPORTAL_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "development-test-key")
    monkeypatch.delenv("MAIL_FROM", raising=False)
    assert _start(tmp_path).config["MAIL_FROM"] == "fieldportal <no-reply@fieldportal.local>"


def test_an_unknown_smtp_security_is_refused_not_read_as_plaintext(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "development-test-key")
    monkeypatch.setenv("SMTP_SECURITY", "tls")
    with pytest.raises(ConfigurationError, match="SMTP_SECURITY"):
        _start(tmp_path)
    monkeypatch.setenv("SMTP_SECURITY", "STARTTLS")
    assert _start(tmp_path).config["SMTP_SECURITY"] == "starttls"


def test_https_behind_proxy_gets_hsts_and_secure_cookies(production_app):
    client = production_app.test_client()
    response = client.get(
        "/login",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.7",
            "X-Forwarded-Host": "service.example.com",
        },
    )
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_proxy_count_decides_which_forwarded_address_is_trusted(production_app):
    seen = {}

    @production_app.route("/__ip")
    def ip():
        from flask import request

        seen["ip"] = request.remote_addr
        return "ok"

    production_app.test_client().get(
        "/__ip", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    )
    assert seen["ip"] == "198.51.100.7", "only the last proxy's hop is trusted"


def test_gunicorn_config_loads(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert settings["workers"] == 4
    assert settings["accesslog"] is None
