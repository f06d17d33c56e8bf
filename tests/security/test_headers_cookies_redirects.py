"""Security headers on every kind of response (QUALITY.md 22), session cookie flags in
production (16), and ``next=`` never leaving the site (23)."""

from urllib.parse import urlsplit

import pytest

from fieldportal.extensions import db as _db
from fieldportal.models import JobStatus, LoginMethod
from fieldportal.safe_redirect import safe_next_path
from fieldportal.services.auth.passwords import hash_secret
from tests import factories
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in

from .forms import forms_on

HTTPS = "https://localhost"  # the host the test cookies belong to
CSP_DIRECTIVES = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def _assert_security_headers(response, kind: str):
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in CSP_DIRECTIVES:
        assert directive in csp, f"{kind}: CSP lacks {directive}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, kind
    assert response.headers.get("X-Content-Type-Options") == "nosniff", kind
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), kind
    assert "max-age=" in response.headers.get("Strict-Transport-Security", ""), kind


@pytest.fixture
def world(company, owner, create):
    fleet = create.fleet(company, vehicles=1)
    contact = create.contact(fleet, email="fleet@acme.test")
    job = create.job(fleet, JobStatus.SCHEDULED)
    invoice = create.invoice(fleet)
    return company, owner, contact, job, invoice


def _boom():
    raise RuntimeError("a bug")


RESPONSE_KINDS = {
    # kind: (who, method, path, request options, expected status)
    "full page": ("nobody", "GET", "/login", {}, 200),
    "htmx fragment": ("staff", "GET", "/fleets", {"headers": {"HX-Request": "true"}}, 200),
    "htmx 401 to sign in": ("nobody", "GET", "/fleets", {"headers": {"HX-Request": "true"}}, 401),
    "JSON health check": ("nobody", "GET", "/healthz", {}, 200),
    "PDF": ("staff", "GET", "/invoices/{invoice}.pdf", {}, 200),
    "portal PDF": ("contact", "GET", "/portal/{slug}/invoices/{invoice}.pdf", {}, 200),
    "calendar .ics": ("contact", "GET", "/portal/{slug}/jobs/{job}/calendar.ics", {}, 200),
    "static file": ("nobody", "GET", "/static/css/app.css", {}, 200),
    "redirect": ("nobody", "GET", "/fleets", {}, 302),
    "redirect after POST": ("staff", "POST", "/logout", {}, 303),
    "404": ("staff", "GET", "/invoices/999999", {}, 404),
    "404 fragment": ("staff", "GET", "/no-such-page", {"headers": {"HX-Request": "true"}}, 404),
    "405": ("nobody", "GET", "/logout", {}, 405),
    "413": ("nobody", "POST", "/login", {"data": {"email": "x" * (11 * 1024 * 1024)}}, 413),
    "400 CSRF": ("staff", "POST", "/customers/new", {"csrf": False}, 400),
    "400 NUL": ("staff", "GET", "/fleets?q=a%00b", {}, 400),
    "503 portal off": ("contact", "GET", "/portal/{slug}/", {}, 503),
    "500": ("nobody", "GET", "/healthz", {}, 500),
}


@pytest.mark.parametrize("kind", sorted(RESPONSE_KINDS))
def test_security_headers_on_every_kind_of_response(app, world, monkeypatch, kind):
    company, owner, contact, job, invoice = world
    who, method, path, options, expected = RESPONSE_KINDS[kind]
    client = app.test_client()
    if who != "nobody":
        sign_in(client, owner if who == "staff" else contact)
    if kind == "500":
        monkeypatch.setitem(app.view_functions, "system.healthz", _boom)
    if kind == "503 portal off":
        company.portal_enabled = False
    path = path.format(slug=company.slug, invoice=invoice.id, job=job.id)
    response = client.open(path, method=method, base_url=HTTPS, **options)
    assert response.status_code == expected, kind
    _assert_security_headers(response, kind)


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.fixture
def production(production_app):
    """The production app (CSRF on) with a staff user and a contact who has a password."""
    app = production_app
    with app.app_context():
        _db.create_all()
        company = factories.create_company(slug="acme")
        company.login_methods = [method.value for method in LoginMethod]
        staff = factories.create_staff(company, email="olivia@acme.test")
        fleet = factories.create_fleet(company, vehicles=0)
        factories.create_contact(
            fleet, email="fleet@acme.test", password_hash=hash_secret(DEFAULT_PASSWORD)
        )
        _db.session.commit()
        emails = {"staff": staff.email}
    yield app, emails
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


PROXIED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "service.example.com"}


def _submit(client, page: str, action: str, data: dict):
    """Open the page, take its form's CSRF token, and post the form like a browser."""
    html = client.get(page, headers=PROXIED_HTTPS).get_data(as_text=True)
    form = next(form for form in forms_on(page, html) if form.action.startswith(action))
    token = form.fields["csrf_token"].default
    return client.post(form.action, data={"csrf_token": token, **data}, headers=PROXIED_HTTPS)


def _cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize(
    ("page", "action", "data"),
    [
        ("/login", "/login", {"email": "olivia@acme.test", "remember": "y"}),
        ("/portal/acme/sign-in", "/portal/acme/sign-in/password", {"email": "fleet@acme.test"}),
    ],
    ids=["staff", "portal"],
)
def test_session_cookies_are_secure_httponly_samesite_in_production(production, page, action, data):
    app, _ = production
    client = app.test_client()
    response = _submit(client, page, action, {**data, "password": DEFAULT_PASSWORD})
    assert response.status_code == 303, response.status_code
    cookies = _cookies(response)
    assert "session" in cookies
    for name, header in cookies.items():
        for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
            assert flag in header, f"{name} cookie lacks {flag}: {header}"


EVIL_TARGETS = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "///evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_safe_next_path_keeps_only_our_own_paths(target):
    assert safe_next_path(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/fleets?q=a", "/jobs/3", "/portal/acme/invoices"])
def test_safe_next_path_keeps_our_paths(target):
    assert safe_next_path(target, "/home") == target


def _where_to(response) -> str:
    return response.headers.get("HX-Redirect") or response.headers.get("Location", "")


def _assert_stays_on_site(response, where: str):
    target = _where_to(response)
    assert target, f"{where}: no redirect ({response.status_code})"
    parts = urlsplit(target)
    assert not parts.scheme and not parts.netloc, f"{where} → {target}"
    assert target.startswith("/") and not target.startswith(("//", "/\\")), f"{where} → {target}"
    assert "evil" not in target and "javascript" not in target, f"{where} → {target}"


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_no_sign_in_or_view_as_redirect_leaves_the_site(app, world, target):
    company, owner, contact, _, _ = world
    contact.password_hash = hash_secret(DEFAULT_PASSWORD)
    company.login_methods = [method.value for method in LoginMethod]
    staff, portal, signed_in = app.test_client(), app.test_client(), app.test_client()
    sign_in(signed_in, owner)
    password = {"password": DEFAULT_PASSWORD}
    attempts = {
        "staff sign-in": staff.post(
            "/login", query_string={"next": target}, data={"email": owner.email, **password}
        ),
        "staff sign-in (htmx)": app.test_client().post(
            "/login",
            query_string={"next": target},
            data={"email": owner.email, **password},
            headers={"HX-Request": "true"},
        ),
        "signed-in staff opening sign-in": signed_in.get("/login", query_string={"next": target}),
        "portal sign-in": portal.post(
            f"/portal/{company.slug}/sign-in/password",
            query_string={"next": target},
            data={"email": contact.email, "next": target, **password},
        ),
        "signed-in contact opening sign-in": portal.get(
            f"/portal/{company.slug}/sign-in", query_string={"next": target}
        ),
        "view as customer": signed_in.post(
            f"/customers/{contact.customer_id}/contacts/{contact.id}/view-as",
            query_string={"next": target},
            data={"next": target},
        ),
        "stop viewing as customer": signed_in.post(
            "/view-as/stop", query_string={"next": target}, data={"next": target}
        ),
    }
    for where, response in attempts.items():
        _assert_stays_on_site(response, where)
