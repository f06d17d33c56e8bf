"""flask create-company for self-hosters: a live company, a one-time link printed for the
owner to choose a password, exit code 2 with a clear message for anything wrong."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    Company,
    Plan,
    SetupLink,
    SetupPurpose,
    StaffRole,
    StaffUser,
    utcnow,
)
from fieldportal.services.auth.tokens import token_hash
from fieldportal.services.companies import signup
from tests.helpers import text_of

LINK = re.compile(r"https://portal\.example\.test/welcome/([A-Za-z0-9_-]{43})")
ARGS = ["create-company", "--name", "Bright Sparks Ltd", "--slug", "bright-sparks"]


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _created(app, *extra, email="Owner@Bright.example"):
    result = _run(app, *ARGS, "--owner-email", email, *extra)
    assert result.exit_code == 0, result.output
    [token] = LINK.findall(result.output)
    return result, token


def test_creates_a_live_company_with_the_countrys_proposals_and_prints_a_link(app, db):
    result, token = _created(app, "--owner-name", "Bea Bright", "--country", "gb")
    company = db.session.scalar(select(Company).where(Company.slug == "bright-sparks"))
    assert (company.name, company.country, company.time_zone, company.currency) == (
        "Bright Sparks Ltd",
        "GB",
        "Europe/London",
        "GBP",
    )
    assert (company.locale, company.paper_size, company.plan) == ("en_GB", "A4", Plan.PRO)
    assert company.is_live and company.portal_open
    [owner] = db.session.scalars(select(StaffUser).where(StaffUser.company_id == company.id))
    assert (owner.email, owner.name, owner.role) == (
        "owner@bright.example",
        "Bea Bright",
        StaffRole.OWNER,
    )
    assert "Created Bright Sparks Ltd (bright-sparks), plan pro." in result.output
    assert "owner@bright.example" in result.output and "7 days" in result.output
    # The token is only hashed at rest.
    link = db.session.scalar(select(SetupLink).where(SetupLink.staff_user_id == owner.id))
    assert link.token_hash == token_hash(token) and token not in repr(link.__dict__)
    assert link.purpose == SetupPurpose.OWNER_PASSWORD
    assert timedelta(days=6, hours=23) < link.expires_at - utcnow() <= timedelta(days=7)
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.company_id == company.id)
    )
    assert list(events) == ["company.created"]


def test_time_zone_currency_and_plan_can_be_given(app, db):
    _created(
        app,
        "--country",
        "US",
        "--time-zone",
        "America/Denver",
        "--currency",
        "CAD",
        "--plan",
        "free",
    )
    company = db.session.scalar(select(Company).where(Company.slug == "bright-sparks"))
    assert (company.time_zone, company.currency, company.plan) == (
        "America/Denver",
        "CAD",
        Plan.FREE,
    )
    assert not company.portal_open  # the portal is a Pro feature


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--country", "XX"], "--country: Choose a country from the list."),
        (["--time-zone", "Mars/Olympus"], "--time-zone: Choose a time zone from the list."),
        (["--currency", "EURO"], "--currency: Choose a currency from the list."),
    ],
)
def test_a_bad_value_exits_2_with_a_message_and_creates_nothing(app, db, extra, message):
    result = _run(app, *ARGS, "--owner-email", "o@bright.example", *extra)
    assert result.exit_code == 2 and message in result.output
    assert db.session.scalar(select(func.count(Company.id))) == 0


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("acme", "--slug: Another company has this web address."),
        ("admin", "--slug: “admin” is reserved."),
        ("platform", "--slug: “platform” is reserved."),
        ("Bad Slug!", "--slug: Use lowercase letters, digits and single hyphens"),
        ("ab", "--slug: Use 3 to 40 characters."),
    ],
)
def test_a_taken_or_reserved_slug_exits_2(app, db, company, slug, message):
    result = _run(
        app, "create-company", "--name", "X Co", "--slug", slug, "--owner-email", "x@x.example"
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    # (The command's rollback also takes the test's own company with it.)
    assert db.session.scalar(select(func.count(Company.id)).where(Company.name == "X Co")) == 0


def test_an_address_already_in_use_or_malformed_exits_2(app, db, create, company):
    owner = create.staff(company, email="olivia@acme.example")
    result = _run(app, *ARGS, "--owner-email", owner.email.upper())
    assert (
        result.exit_code == 2
        and "--owner-email: A staff account with this email already exists." in result.output
    )
    result = _run(app, *ARGS, "--owner-email", "not-an-address")
    assert result.exit_code == 2 and "--owner-email: Enter an email address" in result.output


def test_the_owner_cannot_sign_in_before_choosing_a_password(app, db, client):
    _created(app)
    response = client.post("/login", data={"email": "owner@bright.example", "password": ""})
    assert response.status_code == 422


def test_the_link_shows_a_form_and_consumes_nothing_until_posted(app, db, client):
    _, token = _created(app, "--owner-name", "Bea Bright")
    for _ in range(2):
        page = client.get(f"/welcome/{token}")
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "Welcome to Bright Sparks Ltd" in text_of(page)
        assert 'value="Bea Bright"' in page.get_data(as_text=True)
    assert client.head(f"/welcome/{token}").status_code == 200
    assert db.session.scalar(select(SetupLink.used_at)) is None


def test_choosing_a_password_then_signing_in(app, db, client):
    _, token = _created(app)
    response = client.post(
        f"/welcome/{token}",
        data={
            "name": "Bea Bright",
            "password": "sparks fly upward",
            "confirm": "sparks fly upward",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    owner = db.session.scalar(select(StaffUser).where(StaffUser.email == "owner@bright.example"))
    assert owner.name == "Bea Bright"
    signed_in = client.post(
        "/login", data={"email": "owner@bright.example", "password": "sparks fly upward"}
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"
    assert "Today at Bright Sparks Ltd" in text_of(client.get("/"))
    # Used once: the link now says so and changes nothing.
    again = client.post(
        f"/welcome/{token}",
        data={"name": "Mallory", "password": "another password", "confirm": "another password"},
    )
    assert again.status_code == 410 and "Your password is already set" in text_of(again)
    db.session.expire_all()
    assert owner.name == "Bea Bright"


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "Use at least 8 characters."),
        ("password123", "password123", "too common"),
        ("sparks fly upward", "sparks fly up", "The two passwords differ."),
    ],
)
def test_a_refused_password_keeps_the_link_usable(app, db, client, password, confirm, message):
    _, token = _created(app)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            f"/welcome/{token}",
            data={"name": "Bea", "password": password, "confirm": confirm},
            headers=headers,
        )
        assert response.status_code == 422 and message in text_of(response)
    assert db.session.scalar(select(SetupLink.used_at)) is None


def test_an_expired_link_is_refused_and_says_to_ask_for_a_new_one(app, db, client):
    _, token = _created(app)
    link = db.session.scalar(select(SetupLink))
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    for response in (
        client.get(f"/welcome/{token}"),
        client.post(
            f"/welcome/{token}",
            data={"name": "B", "password": "sparks fly upward", "confirm": "sparks fly upward"},
        ),
    ):
        assert response.status_code == 410 and "This link has expired" in text_of(response)
    assert client.get("/welcome/" + "x" * 43).status_code == 404


def test_owner_link_prints_a_new_link_and_the_old_one_stops_working(app, db, client):
    _, first = _created(app)
    result = _run(app, "owner-link", "bright-sparks")
    assert result.exit_code == 0, result.output
    [second] = LINK.findall(result.output)
    assert client.get(f"/welcome/{first}").status_code == 410
    assert client.get(f"/welcome/{second}").status_code == 200
    missing = _run(app, "owner-link", "nobody")
    assert missing.exit_code == 2 and "No company with the slug 'nobody'" in missing.output


def test_the_welcome_post_needs_csrf(app, db, client):
    _, token = _created(app)
    response = client.post(
        f"/welcome/{token}",
        data={"name": "B", "password": "sparks fly upward", "confirm": "sparks fly upward"},
        csrf=False,
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Mobile Mechanics", "acme-mobile-mechanics"),
        ("Ça Va Plumbing & Heating", "ca-va-plumbing-heating"),
        ("  --Zoë's  Vans--  ", "zoes-vans"),
        ("Admin", "admin-co"),
        ("AB", ""),
        ("日本", ""),
        ("x" * 80, "x" * 40),
    ],
)
def test_a_slug_is_proposed_from_the_name(name, slug):
    assert signup.propose_slug(name) == slug
