"""Production settings behind an HTTPS proxy: secure cookies, HSTS, the client's real IP."""


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
