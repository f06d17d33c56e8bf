"""Forgot password at /password/forgot: one answer (and one email) for every address,
a 30-minute single-use link whose token no column holds, throttles per address and per
IP, and a reset that ends every session of the account."""

from datetime import timedelta

from sqlalchemy import func, select

from fieldportal.models import AuditEvent, AuthSession, SetupLink, SetupPurpose, utcnow
from tests.email.test_secrets_at_rest import columns_holding
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

from .conftest import HX, NEW_PASSWORD, emails, token_in

RESET = "/password/reset/"


def _ask(client, email, headers=None, ip="10.0.0.1"):
    return client.post(
        "/password/forgot",
        data={"email": email},
        headers=headers or {},
        environ_base={"REMOTE_ADDR": ip},
    )


def _sessions(db, staff) -> int:
    return db.session.scalar(
        select(func.count(AuthSession.id)).where(AuthSession.staff_user_id == staff.id)
    )


def _reset_token(client, db, staff) -> str:
    assert _ask(client, staff.email).status_code == 303
    return token_in(emails(db, "password_reset")[-1], RESET)


def _signs_in(app, email, password) -> bool:
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return response.status_code == 303


def test_the_page_has_a_labelled_field_and_is_linked_from_sign_in(client, db):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)
    page = client.get("/password/forgot")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert '<label for="email">Your email</label>' in html
    assert "works once, for 30 minutes" in text_of(page)
    refused = _ask(client, "not an address", headers=HX)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert "Enter an email address like name@example.com." in text_of(refused)
    assert emails(db) == []


def test_known_and_unknown_addresses_get_the_same_answer_and_one_email_each(
    client, db, owner, create, company
):
    gone = create.staff(company, email="gone@acme.test", active=False)
    answers = []
    for address in (owner.email.upper(), "nobody@acme.test", gone.email):
        response = _ask(client, address)
        assert response.status_code == 303
        answers.append((response.headers["Location"], text_of(client.get(response.location))))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == "/password/forgot/sent"
    assert "If that address belongs to a staff account" in answers[0][1]
    sent = emails(db)
    assert [(e.kind, e.to_address) for e in sent] == [
        ("password_reset", owner.email),
        ("password_reset_no_account", "nobody@acme.test"),
        ("password_reset_no_account", gone.email),
    ]
    assert "No active staff account uses it" in sent[1].text_body
    [link] = db.session.scalars(select(SetupLink)).all()
    assert (link.staff_user_id, link.purpose) == (owner.id, SetupPurpose.PASSWORD_RESET)
    assert timedelta(minutes=29) < link.expires_at - utcnow() <= timedelta(minutes=30)


def test_the_raw_token_is_in_no_column(client, db, owner):
    token = _reset_token(client, db, owner)
    assert columns_holding(db, token) == []
    assert "[password reset link hidden]" in emails(db, "password_reset")[0].text_for_staff


def test_an_address_gets_five_emails_an_hour_and_a_network_twenty(client, db, owner):
    for _ in range(7):
        assert _ask(client, owner.email).status_code == 303
    assert len(emails(db)) == 5
    for n in range(25):
        assert _ask(client, f"p{n}@x.example", ip="10.9.9.9").status_code == 303
    assert len(emails(db)) == 5 + 20


def test_opening_the_link_consumes_nothing(client, db, owner):
    token = _reset_token(client, db, owner)
    for method in ("GET", "HEAD"):
        response = client.open(RESET + token, method=method)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get(RESET + token)
    assert f"For {owner.email} at Acme Mobile Mechanics" in text_of(page)
    html = page.get_data(as_text=True)
    assert '<label for="password">New password</label>' in html
    assert '<label for="confirm">Repeat the new password</label>' in html
    assert db.session.scalar(select(SetupLink.used_at)) is None


def test_a_reset_sets_the_password_and_ends_every_session(app, client, db, owner):
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, owner)
    sign_in(laptop, owner)
    owner.failed_attempts, owner.locked_until = 4, utcnow() + timedelta(minutes=5)
    token = _reset_token(client, db, owner)
    response = client.post(RESET + token, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "you are signed out everywhere" in text_of(client.get("/login"))
    assert _sessions(db, owner) == 0
    assert phone.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert (owner.failed_attempts, owner.locked_until) == (0, None)
    assert _signs_in(app, owner.email, NEW_PASSWORD)
    assert not _signs_in(app, owner.email, DEFAULT_PASSWORD)
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "staff.password_reset")
    )
    again = client.get(RESET + token)
    assert again.status_code == 410 and "This link was already used" in text_of(again)
    replay = client.post(RESET + token, data={"password": "x" * 12, "confirm": "x" * 12})
    assert replay.status_code == 410
    assert _signs_in(app, owner.email, NEW_PASSWORD)


def test_a_weak_or_mistyped_password_keeps_the_link(client, db, owner):
    token = _reset_token(client, db, owner)
    weak = client.post(RESET + token, data={"password": "password", "confirm": "password"})
    assert weak.status_code == 422 and "too common" in text_of(weak)
    differ = client.post(RESET + token, data={"password": NEW_PASSWORD, "confirm": "other one"})
    assert differ.status_code == 422 and "The two passwords differ." in text_of(differ)
    fragment = client.post(RESET + token, data={"password": "short"}, headers=HX)
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert db.session.scalar(select(SetupLink.used_at)) is None
    done = client.post(
        RESET + token, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, headers=HX
    )
    assert done.status_code == 204 and done.headers["HX-Redirect"] == "/login"


def test_expired_replaced_and_unknown_links_say_what_to_do(client, db, owner):
    old = _reset_token(client, db, owner)
    newer = _reset_token(client, db, owner)
    replaced = client.get(RESET + old)
    assert replaced.status_code == 410 and "This reset link has expired" in text_of(replaced)
    assert 'href="/password/forgot"' in replaced.get_data(as_text=True)
    link = db.session.scalar(select(SetupLink).where(SetupLink.invalidated_at.is_(None)))
    link.expires_at = utcnow() - timedelta(seconds=1)  # 30 minutes went by
    db.session.flush()
    expired = client.post(RESET + newer, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert expired.status_code == 410 and "work once, for 30 minutes" in text_of(expired)
    as_htmx = client.post(
        RESET + newer, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, headers=HX
    )
    assert as_htmx.headers["HX-Redirect"] == f"https://portal.example.test{RESET}{newer}"
    unknown = client.get(RESET + "x" * 43)
    assert unknown.status_code == 404 and "ask for a new one" in text_of(unknown)
    assert not _signs_in(client.application, owner.email, NEW_PASSWORD)


def test_the_link_pages_run_no_sql_while_rendering(app, client, db, owner):
    from tests.security.test_no_sql_while_rendering import statements_while_rendering

    token = _reset_token(client, db, owner)
    with statements_while_rendering(app) as seen:
        for path in ("/password/forgot", "/password/forgot/sent", RESET + token):
            assert client.get(path).status_code == 200
            assert client.get(path, headers=HX).status_code == 200
    assert seen == []
