"""The sign-in method switches hold exactly: for every combination of switches, each way in
works when its own switch is on and is refused when it is off (a permanent password
answers to "Username and password" alone, a temporary one to "Activation email" alone);
at least one stays on; switching one off ends the sessions opened with it."""

from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import AuditEvent, AuthSession, LoginMethod, SignInMethod, utcnow
from fieldportal.services.auth.passwords import hash_secret
from fieldportal.services.portal import portal_auth
from tests.helpers import sign_in, text_of

from ..operator.test_settings import VALID as VALID_SETTINGS

PERMANENT, TEMPORARY, PIN = "own-password-123", "temporary-789", "4321"
METHODS = list(LoginMethod)
COMBINATIONS = [
    set(chosen) for size in range(1, len(METHODS) + 1) for chosen in combinations(METHODS, size)
]


@pytest.fixture(scope="module")
def hashes():
    return {secret: hash_secret(secret) for secret in (PERMANENT, TEMPORARY, PIN)}


@pytest.fixture
def ways_in(create, company, fleet, hashes):
    """One credential for each way in, at the test company."""
    own = create.contact(fleet, email="own@metro.example", phone="+13125550101")
    own.password_hash, own.pin_hash = hashes[PERMANENT], hashes[PIN]
    temporary = create.contact(fleet, email="temp@metro.example")
    temporary.password_hash, temporary.password_is_temporary = hashes[TEMPORARY], True
    temporary.temporary_password_expires_at = utcnow() + timedelta(hours=1)
    link = portal_auth.issue_login_link(create.contact(fleet, email="link@metro.example"))
    fleet_token = portal_auth.regenerate_fleet_token(fleet)
    db.session.flush()
    return {"link": link, "fleet_token": fleet_token}


def _attempt(app, method: LoginMethod, ways_in) -> int:
    client = app.test_client()
    if method == LoginMethod.MAGIC_LINK:
        return client.post(f"/portal/acme/link/{ways_in['link']}").status_code
    if method == LoginMethod.TOKEN_URL:
        return client.get(f"/portal/t/{ways_in['fleet_token']}").status_code
    if method == LoginMethod.PASSWORD:
        data = {"email": "own@metro.example", "password": PERMANENT}
        return client.post("/portal/acme/sign-in/password", data=data).status_code
    if method == LoginMethod.ACTIVATION:
        data = {"email": "temp@metro.example", "password": TEMPORARY}
        return client.post("/portal/acme/sign-in/password", data=data).status_code
    data = {"phone": "(312) 555-0101", "pin": PIN}
    return client.post("/portal/acme/sign-in/pin", data=data).status_code


@pytest.mark.parametrize(
    "switched_on", COMBINATIONS, ids=["+".join(m.value for m in c) for c in COMBINATIONS]
)
def test_each_way_in_works_exactly_while_its_switch_is_on(app, company, ways_in, switched_on):
    company.login_methods = [method.value for method in switched_on]
    db.session.flush()
    outcome = {method: _attempt(app, method, ways_in) for method in METHODS}
    for method, status in outcome.items():
        if method in switched_on:
            assert status in (302, 303), (method, outcome)
        else:
            assert status in (404, 422), (method, outcome)
    opened = {row.value for row in db.session.scalars(select(AuthSession.method).distinct())}
    assert opened == {method.value for method in switched_on}


def test_password_off_refuses_a_permanent_password_while_activation_is_on(app, company, ways_in):
    company.login_methods = [LoginMethod.ACTIVATION.value]
    db.session.flush()
    page = text_of(app.test_client().get("/portal/acme/sign-in"))
    assert "Password" in page, "the form stays for the temporary password"
    response = app.test_client().post(
        "/portal/acme/sign-in/password",
        data={"email": "own@metro.example", "password": PERMANENT},
    )
    assert response.status_code == 422
    assert "Those details do not match an account" in text_of(response)
    assert _attempt(app, LoginMethod.ACTIVATION, ways_in) == 303


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["plain", "htmx"])
def test_switching_every_method_off_is_refused_with_a_clear_message(staff_client, company, headers):
    data = {key: value for key, value in VALID_SETTINGS.items() if key != "login_methods"}
    response = staff_client.post("/settings", data=data, headers=headers)
    assert response.status_code == 422
    assert "Keep at least one way for customers to sign in." in text_of(response)
    db.session.refresh(company)
    assert company.login_methods == [method.value for method in LoginMethod]
    assert company.time_zone == "America/Chicago", "nothing else was saved either"


def test_switching_a_method_off_ends_the_sessions_opened_with_it(
    app, staff_client, company, fleet, create
):
    by_pin, by_link = create.contact(fleet), create.contact(fleet)
    pin_browser, link_browser = app.test_client(), app.test_client()
    sign_in(pin_browser, by_pin, SignInMethod.PIN)
    sign_in(link_browser, by_link, SignInMethod.MAGIC_LINK)
    assert pin_browser.get("/portal/acme/").status_code == 200
    data = {**VALID_SETTINGS, "login_methods": ["magic_link", "password"]}
    assert staff_client.post("/settings", data=data).status_code == 303
    db.session.refresh(company)
    assert company.login_methods == ["magic_link", "password"]
    assert pin_browser.get("/portal/acme/").status_code == 302
    assert link_browser.get("/portal/acme/").status_code == 200
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "portal.sign_in_methods_switched_off")
    )
    assert event.details["methods"] == ["token_url", "activation", "pin"]
    assert event.details["sessions"] == 1
    assert (
        db.session.scalar(
            select(func.count(AuthSession.id)).where(AuthSession.method == SignInMethod.PIN)
        )
        == 0
    )
