"""Two-factor at staff sign-in: after a right password the browser is half signed in and
asked for a code (or a recovery code), reaches nothing else, and wrong codes count towards
the lockout; a company that requires two-factor sends staff without it to set it up first.
On the profile page: set it up, see the recovery codes once, make new ones, turn it off."""

import re
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    AuthSession,
    StaffRecoveryCode,
    StaffRole,
    TwoFactorPolicy,
    utcnow,
)
from fieldportal.services.auth import two_factor
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

from .conftest import HX

CODE_PAGE = "/login/code"
SETUP_PAGE = "/login/two-factor"
RECOVERY = re.compile(
    r"\b[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}\b"
)


def _with_two_factor(db, staff) -> tuple[str, list[str]]:
    """Turn two-factor on for ``staff`` (the previous step's code confirmed it, so the current
    code is still unused); returns the secret and the recovery codes."""
    enrolment = two_factor.start_enrolment(staff, account_name=staff.email, issuer="Acme")
    two_factor.confirm_enrolment(
        staff, pyotp.TOTP(enrolment.secret).at(utcnow() - timedelta(seconds=30))
    )
    codes = two_factor.issue_recovery_codes(staff, StaffRecoveryCode)
    db.session.flush()
    return enrolment.secret, codes


def _password(client, staff, password=DEFAULT_PASSWORD, next_path=None):
    url = "/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"email": staff.email, "password": password})


def _sessions(db, staff, *, awaiting=False):
    condition = AuthSession.awaiting.is_not(None) if awaiting else AuthSession.awaiting.is_(None)
    return db.session.scalar(
        select(func.count(AuthSession.id)).where(AuthSession.staff_user_id == staff.id, condition)
    )


def _now_code(secret):
    return pyotp.TOTP(secret).now()


def test_without_two_factor_the_password_alone_signs_in(client, db, owner):
    response = _password(client, owner)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_password_then_the_code_signs_in_and_goes_on_to_next(client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    response = _password(client, owner, next_path="/jobs")
    assert response.status_code == 303 and response.headers["Location"] == "/login/code?next=/jobs"
    assert _sessions(db, owner) == 0 and _sessions(db, owner, awaiting=True) == 1
    assert client.get("/jobs").headers["Location"].startswith("/login")  # not signed in yet

    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert '<label for="code">Code</label>' in html and 'autocomplete="one-time-code"' in html
    fragment = client.get(CODE_PAGE, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)

    signed_in = client.post("/login/code?next=%2Fjobs", data={"code": _now_code(secret)})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/jobs"
    assert client.get("/jobs").status_code == 200
    assert _sessions(db, owner) == 1 and _sessions(db, owner, awaiting=True) == 0
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.signed_in"))
    assert event.summary == "with a two-factor code"
    db.session.refresh(owner)
    assert owner.last_login_at is not None


def test_a_code_used_once_is_refused_the_second_time(app, client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    code = _now_code(secret)
    _password(client, owner)
    assert client.post(CODE_PAGE, data={"code": code}).status_code == 303
    other = app.test_client()
    _password(other, owner)
    replay = other.post(CODE_PAGE, data={"code": code}, headers=HX)
    assert replay.status_code == 422 and "<html" not in replay.get_data(as_text=True)
    assert "That code is not right or was already used" in text_of(replay)
    assert other.get("/").status_code == 302


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(app, client, db, owner):
    _, codes = _with_two_factor(db, owner)
    _password(client, owner)
    response = client.post(CODE_PAGE, data={"code": codes[3].upper()})
    assert response.status_code == 303
    assert "You used a recovery code: 9 left." in text_of(client.get("/"))
    again = app.test_client()
    _password(again, owner)
    assert again.post(CODE_PAGE, data={"code": codes[3]}).status_code == 422


def test_wrong_codes_count_towards_the_lockout_like_passwords(client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    _password(client, owner)
    for _ in range(10):
        assert client.post(CODE_PAGE, data={"code": "000000"}).status_code == 422
    db.session.refresh(owner)
    assert owner.locked_until is not None
    locked = client.post(CODE_PAGE, data={"code": _now_code(secret)})
    assert locked.status_code == 422 and "locked for a while" in text_of(locked)
    assert client.get("/").status_code == 302
    assert (
        len(
            list(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "staff.locked_out")
                )
            )
        )
        == 1
    )


def test_the_right_password_again_does_not_wipe_out_the_wrong_codes(client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    for _ in range(5):
        assert _password(client, owner).status_code == 303
        for _ in range(2):
            assert client.post(CODE_PAGE, data={"code": "000000"}).status_code == 422
    db.session.refresh(owner)
    assert owner.locked_until is not None  # 10 wrong codes, whatever came between
    _password(client, owner)
    assert client.post(CODE_PAGE, data={"code": _now_code(secret)}).status_code == 422


def test_the_code_step_expires_after_ten_minutes(client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    _password(client, owner)
    row = db.session.scalar(select(AuthSession).where(AuthSession.awaiting.is_not(None)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    late = client.post(CODE_PAGE, data={"code": _now_code(secret)})
    assert late.status_code == 303 and late.headers["Location"].startswith("/login")
    assert "Sign in again" in text_of(client.get("/login"))
    assert _sessions(db, owner) == 0


def test_without_a_right_password_the_code_pages_send_to_sign_in(client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    assert client.get(CODE_PAGE).status_code == 303
    assert client.post(CODE_PAGE, data={"code": _now_code(secret)}).status_code == 303
    wrong = _password(client, owner, password="not the password")
    assert wrong.status_code == 422
    assert client.get(CODE_PAGE).headers["Location"].startswith("/login")
    assert _sessions(db, owner) == 0 and _sessions(db, owner, awaiting=True) == 0


def test_a_half_signed_in_row_is_no_session_even_as_the_sign_in_cookie(client, db, owner):
    """Presented where a session's token goes, a half-signed-in token is refused."""
    _with_two_factor(db, owner)
    _password(client, owner)
    with client.session_transaction() as session:
        token = session["half_signed_in"]
    thief = client.application.test_client()
    with thief.session_transaction() as session:
        session["_user_id"] = token
    assert thief.get("/").status_code == 302


def _require(db, company, policy):
    company.two_factor_required = policy
    db.session.flush()


def test_a_company_that_requires_it_sends_staff_to_set_it_up_first(client, db, company, create):
    _require(db, company, TwoFactorPolicy.ALL)
    tech = create.staff(company, StaffRole.TECHNICIAN, email="tech@acme.test")
    response = _password(client, tech)
    assert response.status_code == 303 and response.headers["Location"] == SETUP_PAGE
    assert client.get("/jobs").status_code == 302  # nothing else until it is set up
    assert client.get(CODE_PAGE).status_code == 303  # not the code step either

    page = client.get(SETUP_PAGE)
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200
        and '<svg role="img" aria-label="QR code for Acme Mobile Mechanics"' in html
    )
    secret = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', html)[1].replace(
        " ", ""
    )
    db.session.refresh(tech)
    assert secret not in (tech.totp_secret_sealed or "")
    again = app_client_page(client)  # the page shown again keeps the same secret
    assert secret in again.replace(" ", "")

    wrong = client.post(SETUP_PAGE, data={"code": "12"}, headers=HX)
    assert wrong.status_code == 422 and "<html" not in wrong.get_data(as_text=True)
    done = client.post(SETUP_PAGE, data={"code": _now_code(secret)})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert "shown only this once" in text_of(done)
    assert client.get("/jobs").status_code == 200
    db.session.refresh(tech)
    assert tech.has_two_factor


def app_client_page(client) -> str:
    return client.get(SETUP_PAGE).get_data(as_text=True)


def test_requiring_it_for_owners_asks_nothing_of_the_others(client, db, company, create, owner):
    _require(db, company, TwoFactorPolicy.OWNERS)
    tech = create.staff(company, StaffRole.TECHNICIAN)
    assert _password(client, tech).headers["Location"] == "/"
    assert _password(client.application.test_client(), owner).headers["Location"] == SETUP_PAGE


def test_a_live_session_of_someone_newly_required_ends_at_the_next_request(
    client, db, company, create
):
    tech = create.staff(company, StaffRole.TECHNICIAN)
    sign_in(client, tech)
    assert client.get("/jobs").status_code == 200
    _require(db, company, TwoFactorPolicy.ALL)
    assert client.get("/jobs").headers["Location"].startswith("/login")
    assert _password(client, tech).headers["Location"] == SETUP_PAGE


def test_a_half_signed_in_browser_gets_what_a_signed_out_one_gets_but_its_step(
    app, client, db, owner, company
):
    """Every page without an id (those with one are walked signed out by the route walk)."""
    _with_two_factor(db, owner)
    _password(client, owner)
    signed_out = app.test_client()
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.arguments - {"company_slug"} or "GET" not in rule.methods:
            continue
        if rule.endpoint in ("auth.two_factor", "static") or rule.endpoint.startswith("system."):
            continue
        path = rule.rule.replace("<company_slug>", company.slug)
        half, out = client.get(path), signed_out.get(path)
        assert (half.status_code, half.headers.get("Location")) == (
            out.status_code,
            out.headers.get("Location"),
        ), path
        walked += 1
    assert walked > 30
    assert client.get(CODE_PAGE).status_code == 200
