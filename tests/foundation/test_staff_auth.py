"""Staff sign-in: passwords, throttles, CSRF, server-side sessions and their limits."""

from datetime import timedelta

import pytest

from fieldportal.models import AuditEvent, AuthSession, StaffRole, utcnow
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import age_session, sign_in, text_of


def _sign_in(client, email="olivia@acme.test", password=DEFAULT_PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_sign_in_creates_a_server_side_session_and_shows_home(client, owner, db):
    response = _sign_in(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    sessions = db.session.scalars(
        db.select(AuthSession).where(AuthSession.staff_user_id == owner.id)
    ).all()
    assert len(sessions) == 1
    assert owner.last_login_at is not None
    home = client.get("/")
    assert "Today at Acme Mobile Mechanics" in text_of(home)
    assert "Olivia Owner" in text_of(home)


def test_cookie_holds_no_raw_session_hash(client, owner, db):
    _sign_in(client)
    row = db.session.scalar(db.select(AuthSession).where(AuthSession.staff_user_id == owner.id))
    with client.session_transaction() as session:
        cookie_token = session["_user_id"]
    assert cookie_token != row.token_hash
    assert len(row.token_hash) == 64


def test_wrong_password_is_refused_with_a_message(client, owner, db):
    response = _sign_in(client, password="wrong password")
    assert response.status_code == 422
    assert (
        "Those details do not match an account, or the account is locked for a while."
        in text_of(response)
    )
    assert client.get("/").status_code == 302
    assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 0


def test_unknown_email_gets_the_same_answer(client, owner):
    response = _sign_in(client, email="nobody@acme.test")
    assert response.status_code == 422
    assert (
        "Those details do not match an account, or the account is locked for a while."
        in text_of(response)
    )


def test_ten_wrong_passwords_lock_the_account(client, owner, db):
    for _ in range(10):
        assert _sign_in(client, password="nope nope").status_code == 422
    assert owner.locked_until is not None and owner.locked_until > utcnow()
    assert _sign_in(client).status_code == 422, "the right password is refused while locked"
    assert (
        db.session.scalar(
            db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "staff.locked_out")
        )
        == 1
    )


def test_staff_lockout_is_the_contacts_rule_and_ends_after_fifteen_minutes(client, owner, db):
    for _ in range(9):
        _sign_in(client, password="nope nope")
    assert owner.failed_attempts == 9, "each refusal was kept although it answered 422"
    assert _sign_in(client).status_code == 303, "the right password before the tenth"
    assert owner.failed_attempts == 0
    client.post("/logout")
    for _ in range(10):
        _sign_in(client, password="nope nope")
    locked = _sign_in(client)
    wrong = _sign_in(client, password="nope nope")
    assert text_of(locked) == text_of(wrong), "a locked account answers like a wrong password"
    assert timedelta(minutes=14) < owner.locked_until - utcnow() <= timedelta(minutes=15)
    owner.locked_until = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert _sign_in(client).status_code == 303


def test_a_deactivated_account_is_refused_like_a_wrong_password(client, owner, db):
    owner.active = False
    db.session.flush()
    response = _sign_in(client)
    assert response.status_code == 422
    assert "Those details do not match an account" in text_of(response)
    assert owner.failed_attempts == 0


def test_sign_in_attempts_are_throttled_per_ip(client, owner):
    statuses = [
        _sign_in(client, email=f"x{i}@acme.test", password="nope").status_code for i in range(31)
    ]
    assert statuses[:30] == [422] * 30
    assert statuses[30] == 429


def test_missing_csrf_token_is_refused(client, owner, db):
    response = client.post(
        "/login", data={"email": "olivia@acme.test", "password": DEFAULT_PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    assert "form expired" in text_of(response)
    assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 0


def test_sign_out_deletes_the_session_and_a_replayed_cookie_is_signed_out(client, owner, db):
    _sign_in(client)
    with client.session_transaction() as session:
        stolen = dict(session)
    assert client.post("/logout").status_code == 303
    assert db.session.scalar(db.select(db.func.count(AuthSession.id))) == 0
    with client.session_transaction() as session:
        session.update(stolen)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_is_post_only(staff_client):
    assert staff_client.get("/logout").status_code == 405


def test_idle_staff_session_expires_after_eight_hours(client, owner, db):
    row = sign_in(client, owner)
    row_id = row.id
    row.last_seen_at = utcnow() - timedelta(hours=8, minutes=1)
    db.session.flush()
    assert client.get("/").status_code == 302
    assert db.session.get(AuthSession, row_id) is None


def test_remember_me_survives_idleness_but_not_the_absolute_limit(client, owner, db):
    row = sign_in(client, owner)
    row.remember = True
    row.last_seen_at = utcnow() - timedelta(days=2)
    db.session.flush()
    assert client.get("/").status_code == 200
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert client.get("/").status_code == 302


def test_sign_in_sets_absolute_limit_of_seven_days(client, owner, db):
    _sign_in(client, remember="y")
    row = db.session.scalar(db.select(AuthSession).where(AuthSession.staff_user_id == owner.id))
    assert row.remember is True
    assert timedelta(days=6, hours=23) < row.expires_at - row.created_at <= timedelta(days=7)


def _signed_in(client, owner, db, remember: bool) -> AuthSession:
    """A session opened through the sign-in form, so its limits are the ones it sets."""
    assert _sign_in(client, **({"remember": "y"} if remember else {})).status_code == 303
    return db.session.scalar(db.select(AuthSession).where(AuthSession.staff_user_id == owner.id))


def _home_answer(client) -> str:
    response = client.get("/")
    if response.status_code == 200 and "Today at Acme Mobile Mechanics" in text_of(response):
        return "home"
    return f"{response.status_code} {response.headers.get('Location')}"


SIGNED_OUT = "302 /login?next=/"


@pytest.mark.parametrize(
    ("idle", "answer"),
    [(timedelta(hours=7, minutes=59), "home"), (timedelta(hours=8, minutes=1), SIGNED_OUT)],
)
def test_staff_idle_limit_from_both_sides(client, owner, db, idle, answer):
    row = _signed_in(client, owner, db, remember=False)
    age_session(row, signed_in_ago=idle, idle_for=idle)
    assert _home_answer(client) == answer


@pytest.mark.parametrize(
    ("signed_in_ago", "answer"),
    [
        (timedelta(days=6, hours=23, minutes=59), "home"),
        (timedelta(days=7, minutes=1), SIGNED_OUT),
    ],
)
def test_staff_absolute_limit_is_seven_days_even_with_remember_me(
    client, owner, db, signed_in_ago, answer
):
    row = _signed_in(client, owner, db, remember=True)
    age_session(row, signed_in_ago=signed_in_ago, idle_for=timedelta(days=2))
    assert _home_answer(client) == answer


def test_deactivated_staff_is_signed_out_at_next_request(client, owner, db):
    sign_in(client, owner)
    assert client.get("/").status_code == 200
    owner.active = False
    db.session.flush()
    assert client.get("/").status_code == 302


def test_next_redirect_only_to_own_paths(client, owner):
    assert _sign_in(client).headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": "olivia@acme.test", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "olivia@acme.test", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_a_form_posted_after_the_session_ended_leads_back_to_its_page(client, owner):
    # A POST-only URL as next= would answer 405 after sign-in: the form's page is used.
    response = client.post(
        "/outbox/1/retry", headers={"Referer": "http://localhost/outbox?status=failed"}
    )
    assert response.headers["Location"] == "/login?next=/outbox?status%3Dfailed"
    assert _sign_in_next(client, "/outbox?status=failed") == "/outbox?status=failed"
    client.post("/logout")
    htmx = client.post(
        "/requests/1/approve",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/requests"},
    )
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login?next=/requests"
    assert client.post("/outbox/1/retry").headers["Location"] == "/login"
    malformed = client.post("/outbox/1/retry", headers={"Referer": "http://[::1/outbox"})
    assert malformed.status_code == 302 and malformed.headers["Location"] == "/login"


def _sign_in_next(client, next_path: str) -> str:
    response = client.post(
        "/login",
        query_string={"next": next_path},
        data={"email": "olivia@acme.test", "password": DEFAULT_PASSWORD},
    )
    return response.headers["Location"]


def test_signed_out_htmx_request_is_told_to_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_session_cookie_flags(client, owner):
    response = _sign_in(client)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_technician_does_not_see_money_on_home(client, company, create):
    technician = create.staff(company, role=StaffRole.TECHNICIAN)
    sign_in(client, technician)
    page = text_of(client.get("/"))
    assert "Jobs today" in page
    assert "Open A/R" not in page


def test_staff_of_one_company_never_sees_another(client, company, other_company, create):
    rival_owner = create.staff(other_company)
    sign_in(client, rival_owner)
    page = text_of(client.get("/"))
    assert "Rival Fleet Care" in page
    assert "Acme Mobile Mechanics" not in page
