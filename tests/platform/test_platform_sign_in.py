"""Getting in to /platform (issue 15, Platform admin): created from the command line with
a one-time set-password link, a password, then a second factor that is REQUIRED and can be
set up only in the session that link opened. A platform session lives in its own cookie;
no staff or contact session grants /platform (404), nor does a platform session grant the
operator app."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.models import PlatformAdmin, PlatformAuditEvent, PlatformLink, PlatformSession
from fieldportal.services.platform import accounts, sessions
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

from .helpers import code_for, enrol, platform_sign_in, secret_of

HX = {"HX-Request": "true"}
NEW_PASSWORD = "a long platform passphrase"
SIGN_IN_FAILED = "Those details do not match an account, or the account is locked for a while."


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _token_of(output: str) -> str:
    match = re.search(
        r"https://portal\.example\.test/platform/welcome/([A-Za-z0-9_\-]{43})", output
    )
    assert match, output
    return match.group(1)


def _sessions(db) -> int:
    return db.session.scalar(select(func.count(PlatformSession.id)))


def _password_sign_in(client, email="pat@platform.example.com", password=DEFAULT_PASSWORD):
    return client.post("/platform/sign-in", data={"email": email, "password": password})


@pytest.fixture
def enrolled(platform_admin, db):
    """The admin with two-factor on; the authenticator's secret."""
    return enrol(platform_admin)


# The command and the set-password link


def test_create_platform_admin_prints_a_one_time_link_and_stores_only_its_hash(app, committed_db):
    result = _cli(app, "create-platform-admin", "  Ops@Example.com ")
    assert result.exit_code == 0, result.output
    assert "Created platform admin ops@example.com." in result.output
    assert "works once, for 24 hours" in result.output
    token = _token_of(result.output)
    admin = committed_db.session.scalar(select(PlatformAdmin))
    link = committed_db.session.scalar(select(PlatformLink))
    assert admin.email == "ops@example.com" and admin.password_hash is None
    assert link.token_hash != token and len(link.token_hash) == 64
    event = committed_db.session.scalar(select(PlatformAuditEvent))
    assert (event.action, event.platform_admin_id) == ("platform_admin.created", None)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("not-an-address", "Enter an email address like name@example.com."),
        ("pat@platform.example.com", "That address is a platform admin already"),
    ],
)
def test_create_platform_admin_refuses_bad_input_with_exit_code_2(
    app, committed_db, argument, message
):
    assert _cli(app, "create-platform-admin", "pat@platform.example.com").exit_code == 0
    result = _cli(app, "create-platform-admin", argument)
    assert result.exit_code == 2
    assert message in result.output
    assert committed_db.session.scalar(select(func.count(PlatformAdmin.id))) == 1


def test_platform_admin_link_for_an_unknown_address_exits_2(app, committed_db):
    result = _cli(app, "platform-admin-link", "nobody@example.com")
    assert result.exit_code == 2 and "No platform admin has that address." in result.output


def test_the_link_page_consumes_nothing_and_the_post_sets_the_password(
    app, client, db, platform_admin
):
    link = accounts.password_link(platform_admin)
    token = link.rsplit("/", 1)[1]
    for method in ("GET", "HEAD"):
        page = client.open(f"/platform/welcome/{token}", method=method)
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Choose a password" in text_of(client.get(f"/platform/welcome/{token}"))
    assert db.session.scalar(select(PlatformLink.used_at)) is None

    short = client.post(
        f"/platform/welcome/{token}", data={"password": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "at least 8 characters" in text_of(short)
    assert db.session.scalar(select(PlatformLink.used_at)) is None  # still usable

    chosen = client.post(
        f"/platform/welcome/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == "/platform/two-factor"
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/platform" in cookie
    assert token not in chosen.headers["Location"]
    row = db.session.scalar(select(PlatformSession))
    assert row.via_link and row.two_factor_at is None
    again = app.test_client().post(
        f"/platform/welcome/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert again.status_code == 410 and "This link has expired" in text_of(again)
    assert app.test_client().get("/platform/welcome/" + "x" * 43).status_code == 404


def test_a_newer_link_replaces_the_older_one(client, db, platform_admin):
    first = accounts.password_link(platform_admin).rsplit("/", 1)[1]
    accounts.password_link(platform_admin)
    assert client.get(f"/platform/welcome/{first}").status_code == 410


# Setting two-factor up, in the session the link opened


def test_setting_up_two_factor_from_the_link_then_signing_in_with_a_code(
    app, client, db, platform_admin
):
    token = accounts.password_link(platform_admin).rsplit("/", 1)[1]
    client.post(
        f"/platform/welcome/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert client.get("/platform/").headers["Location"] == "/platform/two-factor"
    offer = client.get("/platform/two-factor")
    assert "Set up two-factor" in text_of(offer)
    assert client.post("/platform/two-factor/start").status_code == 303
    page = client.get("/platform/two-factor")
    assert '<svg role="img" aria-label="QR code for fieldportal platform"' in page.get_data(
        as_text=True
    )
    db.session.refresh(platform_admin)
    secret = secret_of(platform_admin)
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in text_of(page)

    wrong = client.post("/platform/two-factor/confirm", data={"code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in text_of(wrong)
    assert client.get("/platform/").status_code == 302

    confirmed = client.post("/platform/two-factor/confirm", data={"code": code_for(secret)})
    assert confirmed.status_code == 200
    assert confirmed.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z0-9-]{19})</code>", confirmed.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/platform/").status_code == 200
    actions = db.session.scalars(
        select(PlatformAuditEvent.action).order_by(PlatformAuditEvent.id)
    ).all()
    assert actions[-2:] == ["platform_admin.password_set", "platform_admin.signed_in"]


def test_the_password_alone_cannot_set_two_factor_up(client, db, platform_admin):
    signed = _password_sign_in(client)
    assert signed.status_code == 303 and signed.headers["Location"] == "/platform/two-factor"
    page = client.get("/platform/two-factor")
    assert "Two-factor is not set up" in text_of(page)
    assert "flask platform-admin-link EMAIL" in text_of(page)
    assert client.post("/platform/two-factor/start").status_code == 409
    assert client.post("/platform/two-factor/confirm", data={"code": "123456"}).status_code == 409
    assert client.get("/platform/").status_code == 302
    db.session.refresh(platform_admin)
    assert platform_admin.totp_secret_sealed is None


def test_a_new_link_replaces_a_lost_authenticator(client, db, platform_admin, enrolled):
    token = accounts.password_link(platform_admin).rsplit("/", 1)[1]
    client.post(
        f"/platform/welcome/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    db.session.refresh(platform_admin)
    assert not platform_admin.has_two_factor and platform_admin.totp_secret_sealed is None
    assert "Set up two-factor" in text_of(client.get("/platform/two-factor"))


# Signing in: password, then code


def test_sign_in_takes_the_password_then_a_code(client, db, platform_admin, enrolled):
    assert _password_sign_in(client, password="wrong").status_code == 422
    assert _password_sign_in(client, email="nobody@example.com").status_code == 422
    assert SIGN_IN_FAILED in text_of(_password_sign_in(client, password="wrong"))
    assert _sessions(db) == 0

    assert _password_sign_in(client).status_code == 303
    assert "Enter your code" in text_of(client.get("/platform/two-factor"))
    assert client.get("/platform/").status_code == 302
    wrong = client.post("/platform/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in text_of(wrong)
    db.session.refresh(platform_admin)
    assert platform_admin.failed_attempts == 3  # two wrong passwords and a wrong code

    right = client.post("/platform/two-factor", data={"code": code_for(enrolled)})
    assert right.status_code == 303 and right.headers["Location"] == "/platform/"
    assert client.get("/platform/").status_code == 200
    db.session.refresh(platform_admin)
    assert platform_admin.failed_attempts == 0 and platform_admin.last_login_at is not None


def test_a_code_is_refused_when_used_again(app, db, platform_admin, enrolled):
    code = code_for(enrolled)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        _password_sign_in(browser)
    assert first.post("/platform/two-factor", data={"code": code}).status_code == 303
    assert second.post("/platform/two-factor", data={"code": code}).status_code == 422
    assert second.get("/platform/").status_code == 302


def test_a_recovery_code_works_once(app, db, platform_admin, enrolled):
    from fieldportal.models import PlatformRecoveryCode
    from fieldportal.services.auth import two_factor

    [code, *_] = two_factor.issue_recovery_codes(platform_admin, PlatformRecoveryCode)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        _password_sign_in(browser)
    assert first.post("/platform/two-factor", data={"code": code.upper()}).status_code == 303
    assert second.post("/platform/two-factor", data={"code": code}).status_code == 422


def test_ten_wrong_codes_lock_the_account_even_for_the_right_code(
    client, db, platform_admin, enrolled
):
    _password_sign_in(client)
    for _ in range(9):
        assert client.post("/platform/two-factor", data={"code": "000000"}).status_code == 422
    db.session.refresh(platform_admin)
    assert platform_admin.failed_attempts == 9
    client.post("/platform/two-factor", data={"code": "000000"})
    db.session.refresh(platform_admin)
    assert platform_admin.locked_until is not None
    assert client.post("/platform/two-factor", data={"code": code_for(enrolled)}).status_code == 422
    assert _password_sign_in(client).status_code == 422  # the password too, while locked
    assert (
        "platform_admin.locked_out" in db.session.scalars(select(PlatformAuditEvent.action)).all()
    )


def test_the_right_password_again_does_not_buy_more_code_guesses(app, db, platform_admin, enrolled):
    browser = app.test_client()
    _password_sign_in(browser)
    for _ in range(9):
        browser.post("/platform/two-factor", data={"code": "000000"})
    again = app.test_client()
    assert _password_sign_in(again).status_code == 303
    db.session.refresh(platform_admin)
    assert platform_admin.failed_attempts == 9
    again.post("/platform/two-factor", data={"code": "000000"})
    db.session.refresh(platform_admin)
    assert platform_admin.locked_until is not None


def test_sign_in_is_throttled_per_ip(app, client, db, platform_admin):
    for _ in range(20):
        assert _password_sign_in(client, password="wrong").status_code == 422
    throttled = _password_sign_in(client)
    assert throttled.status_code == 429
    assert "Too many attempts. Try again in" in text_of(throttled)


# Sessions


def test_sign_out_ends_the_session_and_a_replayed_cookie(app, client, db, platform_admin):
    row_id = platform_sign_in(client, platform_admin).id
    token_cookie = client.get_cookie(sessions.COOKIE_NAME, path="/platform").value
    signed_out = client.post("/platform/sign-out")
    assert signed_out.status_code == 303 and signed_out.headers["Location"] == "/platform/sign-in"
    assert db.session.get(PlatformSession, row_id) is None
    replay = app.test_client()
    replay.set_cookie(sessions.COOKIE_NAME, token_cookie, path="/platform")
    assert replay.get("/platform/").status_code == 302


def test_idle_and_absolute_limits(app, client, db, platform_admin):
    row = platform_sign_in(client, platform_admin)
    row.last_seen_at -= app.config["PLATFORM_IDLE_TIMEOUT"] + timedelta(seconds=1)
    db.session.flush()
    assert client.get("/platform/").status_code == 302
    row = platform_sign_in(client, platform_admin)
    row.expires_at = row.created_at  # past its absolute limit
    db.session.flush()
    assert client.get("/platform/").status_code == 302


def test_a_deactivated_admin_is_signed_out(client, db, platform_admin):
    platform_sign_in(client, platform_admin)
    platform_admin.active = False
    db.session.flush()
    assert client.get("/platform/").status_code == 302


# Tenancy: a platform admin is not a staff user


def test_staff_and_contacts_get_404_and_signed_out_visitors_the_sign_in(
    app, db, owner, create, company
):
    staff = app.test_client()
    sign_in(staff, owner)
    contact = create.contact(create.fleet(company, vehicles=0))
    customer = app.test_client()
    sign_in(customer, contact)
    for browser in (staff, customer):
        for path in ("/platform/", "/platform/audit", f"/platform/companies/{company.id}"):
            assert browser.get(path).status_code == 404, path
            assert browser.get(path, headers=HX).status_code == 404, path
        assert browser.post(f"/platform/companies/{company.id}/suspend").status_code == 404
    signed_out = app.test_client()
    assert signed_out.get("/platform/").headers["Location"] == "/platform/sign-in"
    fragment = signed_out.get("/platform/", headers=HX)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/platform/sign-in"
    assert company.suspended_at is None


def test_a_platform_session_grants_nothing_in_the_operator_app_or_portal(
    client, db, platform_admin, company
):
    platform_sign_in(client, platform_admin)
    assert client.get("/platform/").status_code == 200
    assert client.get("/").status_code == 302  # staff sign-in
    assert client.get(f"/portal/{company.slug}/").status_code == 302  # portal sign-in
