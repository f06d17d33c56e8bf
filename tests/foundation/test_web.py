"""htmx plumbing, security headers, error pages as page and as fragment."""

import json

import pytest
from flask import Flask

from fieldportal import htmx
from fieldportal.htmx import add_trigger
from tests.helpers import text_of

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/css/app.css"])
def test_security_headers_on_pages_errors_and_static(client, path):
    _assert_security_headers(client.get(path))


def test_security_headers_on_fragments(staff_client):
    response = staff_client.get("/", headers={"HX-Request": "true"})
    _assert_security_headers(response)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://portal.example.test")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_html_responses_vary_on_hx_request(client):
    assert "HX-Request" in client.get("/login").headers.get("Vary", "")


def test_not_found_is_a_page_or_a_fragment(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "<html" in page.get_data(as_text=True)
    assert "Not found" in text_of(page)
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Not found" in text_of(fragment)


def test_unexpected_error_is_a_500_page_without_details(tmp_path):
    from fieldportal import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.db'}",
        }
    )

    @app.route("/__boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Something went wrong" in text_of(response)
    assert "secret internal detail" not in response.get_data(as_text=True)
    _assert_security_headers(response)


def test_home_page_full_and_boosted_get_the_page(staff_client):
    assert "<html" in staff_client.get("/").get_data(as_text=True)
    boosted = staff_client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_body_carries_csrf_header_for_htmx(staff_client):
    html = staff_client.get("/").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "responseHandling" in html


def test_pages_have_no_inline_scripts(app, staff_client):
    anonymous = app.test_client()
    for html in (
        staff_client.get("/").get_data(as_text=True),
        anonymous.get("/login").get_data(as_text=True),
    ):
        assert "<script>" not in html
        assert " onclick=" not in html
        assert "<script src=" in html


def test_add_trigger_merges_events():
    app = Flask(__name__)
    with app.test_request_context():
        response = app.make_response("ok")
        add_trigger(response, "requests-changed", {"pending": 3})
        add_trigger(response, "flash")
        assert json.loads(response.headers["HX-Trigger"]) == {
            "requests-changed": {"pending": 3},
            "flash": None,
        }
        response.headers["HX-Trigger"] = "a, b"
        add_trigger(response, "c")
        assert json.loads(response.headers["HX-Trigger"]) == {"a": None, "b": None, "c": None}


FRAGMENT = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


@pytest.mark.parametrize(
    ("headers", "status", "hx_redirect"),
    [({}, 302, None), (BOOSTED, 302, None), (FRAGMENT, 401, "/login")],
)
def test_signed_out_redirect_is_a_302_or_for_a_fragment_a_401_with_hx_redirect(
    app, headers, status, hx_redirect
):
    with app.test_request_context("/jobs", headers=headers):
        response = htmx.redirect_signed_out("/login")
    assert response.status_code == status
    assert response.headers.get("HX-Redirect") == hx_redirect
    assert (response.headers.get("Location") is None) == (hx_redirect is not None)


@pytest.mark.parametrize(
    ("headers", "status", "location", "hx_redirect"),
    [
        ({}, 303, "https://pay.example/x", None),
        (FRAGMENT, 204, None, "https://pay.example/x"),
        (BOOSTED, 204, None, "https://pay.example/x"),  # htmx follows HX-Redirect whole
    ],
)
def test_redirect_after_post_answers_htmx_with_hx_redirect(
    app, headers, status, location, hx_redirect
):
    with app.test_request_context("/x", method="POST", headers=headers):
        response = htmx.redirect_after_post("https://pay.example/x")
    assert response.status_code == status
    assert response.headers.get("Location") == location
    assert response.headers.get("HX-Redirect") == hx_redirect


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        ({}, None),
        ({"Referer": "http://localhost/outbox?status=failed"}, "/outbox?status=failed"),
        ({"HX-Current-URL": "http://localhost/requests"}, "/requests"),
        (
            {"HX-Current-URL": "http://localhost/jobs?page=2", "Referer": "http://localhost/"},
            "/jobs?page=2",
        ),
        ({"Referer": "http://[::1/outbox"}, None),  # malformed
    ],
)
def test_current_path_is_the_page_the_request_came_from(app, headers, path):
    with app.test_request_context("/x", method="POST", headers=headers):
        assert htmx.current_path() == path


def test_boosted_and_history_restores_are_htmx_but_get_the_page(app):
    for headers, fragment in (
        ({}, False),
        (FRAGMENT, True),
        (BOOSTED, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
    ):
        with app.test_request_context("/", headers=headers):
            assert htmx.is_htmx_request() == bool(headers)
            assert htmx.is_fragment_request() == fragment
