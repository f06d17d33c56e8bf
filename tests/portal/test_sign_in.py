"""Getting into the portal (QUALITY.md 1-15): magic links, fleet token URL, password,
activation, PIN, throttles and lockouts, sessions."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    AuthSession,
    LoginLink,
    LoginMethod,
    OutboxEmail,
    SignInMethod,
    utcnow,
)
from fieldportal.services.auth.passwords import hash_secret
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.mail.outbox_secrets import reveal
from fieldportal.services.portal import portal_auth
from tests.helpers import age_session, sign_in, text_of

from .conftest import link_token_from_outbox


def _sessions(db):
    return db.session.scalar(select(func.count(AuthSession.id)))


def _request_link(client, company, email):
    return client.post(f"/portal/{company.slug}/sign-in/link", data={"email": email})


# Magic links -------------------------------------------------------------------------


def test_link_request_queues_an_email_with_a_base_url_link(client, company, contact, db):
    response = _request_link(client, company, "Frank@Metro.example")
    assert response.status_code == 200
    email = db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.to_address == "frank@metro.example")
    )
    assert email.kind == "magic_link"
    assert f"https://portal.example.test/portal/{company.slug}/link/" in reveal(email)[0]
    token = link_token_from_outbox(db, "frank@metro.example")
    stored = db.session.scalar(select(LoginLink))
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert len(token) == 43  # 32 random bytes, URL-safe


def test_links_in_email_ignore_the_host_header(app, company, contact, db):
    with app.test_request_context(
        f"/portal/{company.slug}/sign-in/link", base_url="http://evil.example"
    ):
        portal_auth.send_login_link(contact)
    email = db.session.scalar(select(OutboxEmail))
    text, html = reveal(email)
    assert "evil.example" not in text + html and "https://portal.example.test/" in text


def _without_csrf_token(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True))


def test_known_and_unknown_addresses_get_the_same_answer(client, company, contact, db):
    known = _request_link(client, company, contact.email)
    unknown = _request_link(client, company, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf_token(known) == _without_csrf_token(unknown)
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    # Both paths queue one email: the link, or a note that no account uses the address.
    queued = db.session.execute(select(OutboxEmail.to_address, OutboxEmail.kind)).all()
    assert sorted(queued) == [
        ("frank@metro.example", "magic_link"),
        ("nobody@nowhere.example", "no_account"),
    ]


@pytest.mark.parametrize("why", ["unknown", "removed", "no_portal_access", "other_company"])
def test_an_address_without_an_account_is_told_so_by_email_and_gets_no_link(
    client, company, other_company, contact, create, db, why
):
    address = "nobody@nowhere.example"
    if why == "removed":
        contact.removed_at, address = utcnow(), contact.email
    elif why == "no_portal_access":
        contact.portal_access, address = False, contact.email
    elif why == "other_company":
        create.contact(create.customer(other_company), email=address)
    db.session.flush()
    assert _request_link(client, company, address.upper()).status_code == 200
    email = db.session.scalar(select(OutboxEmail))
    assert (email.to_address, email.kind) == (address, "no_account")
    assert email.secrets_ciphertext is None  # nothing in it lets anyone in
    text, html = reveal(email)
    assert "No portal account uses it, so no link was sent." in text
    assert f"https://portal.example.test/portal/{company.slug}/sign-in" in text
    assert "/link/" not in text + html
    assert db.session.scalar(select(func.count(LoginLink.id))) == 0
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "portal.link_requested_without_account")
    )
    assert event.company_id == company.id and event.details == {"email": address}


def test_get_and_head_of_a_link_consume_nothing(client, company, contact, db):
    token = portal_auth.issue_login_link(contact)
    for method in ("GET", "HEAD"):
        response = client.open(f"/portal/{company.slug}/link/{token}", method=method)
        assert response.status_code == 200
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    assert "Continue to Acme Mobile Mechanics" in text_of(
        client.get(f"/portal/{company.slug}/link/{token}")
    )
    assert db.session.scalar(select(LoginLink)).used_at is None
    assert _sessions(db) == 0


def test_post_signs_in_once_and_redirects_token_free(client, company, contact, db):
    token = portal_auth.issue_login_link(contact)
    response = client.post(f"/portal/{company.slug}/link/{token}")
    assert response.status_code == 303
    assert token not in response.headers["Location"]
    assert response.headers["Location"] == f"/portal/{company.slug}/"
    assert _sessions(db) == 1
    assert "Hello, Frank" in text_of(client.get(f"/portal/{company.slug}/"))
    again = client.post(f"/portal/{company.slug}/link/{token}")
    assert again.status_code == 410
    assert "Send me a new link" in text_of(again)
    assert _sessions(db) == 1


def test_link_expiry_boundaries(client, company, contact, db, app):
    token = portal_auth.issue_login_link(contact)
    link = db.session.scalar(select(LoginLink))
    link.expires_at = utcnow() + timedelta(seconds=1)
    db.session.flush()
    assert client.post(f"/portal/{company.slug}/link/{token}").status_code == 303
    client.post(f"/portal/{company.slug}/sign-out")

    token = portal_auth.issue_login_link(contact)
    link = db.session.scalar(select(LoginLink).where(LoginLink.token_hash == token_hash(token)))
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    before = _sessions(db)
    expired = client.post(f"/portal/{company.slug}/link/{token}")
    assert expired.status_code == 410
    assert _sessions(db) == before
    assert "has expired" in text_of(client.get(f"/portal/{company.slug}/link/{token}"))


def test_default_lifetime_is_thirty_minutes(company, contact, db, app):
    portal_auth.issue_login_link(contact)
    link = db.session.scalar(select(LoginLink))
    assert (
        timedelta(minutes=29)
        < link.expires_at - link.created_at
        <= timedelta(minutes=30, seconds=1)
    )


def test_expired_link_sends_a_fresh_one_in_one_click(client, company, contact, db):
    token = portal_auth.issue_login_link(contact)
    db.session.scalar(select(LoginLink)).expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    response = client.post(f"/portal/{company.slug}/link/{token}/fresh")
    assert response.status_code == 200
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "fresh_link"))
    assert email is not None and email.to_address == contact.email
    fresh = link_token_from_outbox(db, contact.email)
    assert client.post(f"/portal/{company.slug}/link/{fresh}").status_code == 303


def test_a_new_link_invalidates_earlier_ones(client, company, contact, db):
    first = portal_auth.issue_login_link(contact)
    second = portal_auth.issue_login_link(contact)
    assert client.post(f"/portal/{company.slug}/link/{first}").status_code == 410
    assert client.post(f"/portal/{company.slug}/link/{second}").status_code == 303


def test_a_link_works_only_for_its_company(client, company, other_company, contact, db):
    token = portal_auth.issue_login_link(contact)
    assert client.post(f"/portal/{other_company.slug}/link/{token}").status_code == 404
    assert client.get(f"/portal/{other_company.slug}/link/{token}").status_code == 404
    assert _sessions(db) == 0


def test_link_sign_in_reads_the_link_and_the_contact_once(
    client, company, contact, db, count_queries
):
    """The POST of a link: the company, one UPDATE consuming the link, the contact, the new
    session, the contact's last sign-in, the audit event, and nothing read twice."""
    token = portal_auth.issue_login_link(contact)
    db.session.flush()
    with count_queries() as queries:
        response = client.post(f"/portal/{company.slug}/link/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/portal/{company.slug}/"
    assert len(queries) <= 6, queries
    flat = [" ".join(statement.split()) for statement in queries]
    assert sum(s.startswith("UPDATE login_links") for s in flat) == 1, flat
    assert sum(s.startswith("SELECT") and "FROM companies" in s for s in flat) == 1, flat
    assert sum(s.startswith("SELECT") and "FROM contacts" in s for s in flat) == 1, flat


def test_sign_in_with_link_says_who_signed_in_where_to_go_or_why_not(app, company, contact, db):
    token = portal_auth.issue_login_link(contact)
    invoices = f"/portal/{company.slug}/invoices"
    with app.test_request_context():
        outcome = portal_auth.sign_in_with_link(
            company, token, next_path="https://evil.example/", remembered_path=invoices
        )
        assert outcome.contact == contact and outcome.refused is None
        assert outcome.return_path == invoices
        again = portal_auth.sign_in_with_link(company, token, next_path=None, remembered_path=None)
        assert again.contact is None and again.refused == portal_auth.LinkState.EXPIRED
        unknown = portal_auth.sign_in_with_link(
            company, new_token(), next_path=None, remembered_path=None
        )
        assert unknown.refused == portal_auth.LinkState.UNKNOWN
    assert _sessions(db) == 1
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "portal.signed_in")
        )
        == 1
    )


def test_a_link_of_a_removed_contact_signs_nobody_in_and_stays_unused(client, company, contact, db):
    token = portal_auth.issue_login_link(contact)
    contact.removed_at = utcnow()
    db.session.flush()
    response = client.post(f"/portal/{company.slug}/link/{token}")
    assert response.status_code == 410
    assert "Send me a new link" in text_of(response)
    assert _sessions(db) == 0
    link = db.session.scalar(select(LoginLink))
    db.session.refresh(link)
    assert link.used_at is None


def test_link_post_without_csrf_is_refused(client, company, contact, db):
    token = portal_auth.issue_login_link(contact)
    assert client.post(f"/portal/{company.slug}/link/{token}", csrf=False).status_code == 400
    assert db.session.scalar(select(LoginLink)).used_at is None


def test_link_requests_are_throttled_per_address_with_the_same_answer(client, company, contact, db):
    answers = {_without_csrf_token(_request_link(client, company, contact.email)) for _ in range(7)}
    assert len(answers) == 1
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 5


def test_link_requests_are_throttled_per_ip(client, company, create, fleet, db):
    for n in range(22):
        create.contact(fleet, email=f"person{n}@metro.example")
    for n in range(22):
        assert _request_link(client, company, f"person{n}@metro.example").status_code == 200
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 20


def test_magic_link_switched_off(client, company, contact, db):
    company.login_methods = [LoginMethod.PASSWORD.value]
    db.session.flush()
    assert _request_link(client, company, contact.email).status_code == 404
    assert "Email me a link" not in text_of(client.get(f"/portal/{company.slug}/sign-in"))


# Fleet token URL ----------------------------------------------------------------------


def test_fleet_token_url_opens_read_only_portal_and_regeneration_revokes(
    client, company, fleet, db
):
    token = new_token()
    fleet.portal_token_hash = token_hash(token)
    db.session.flush()
    response = client.get(f"/portal/t/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/{company.slug}/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Metro Couriers" in text_of(client.get(f"/portal/{company.slug}/"))

    portal_auth.regenerate_fleet_token(fleet)
    db.session.flush()
    assert _dashboard_answer(client, company) == f"redirect to /portal/{company.slug}/sign-in"
    assert client.get(f"/portal/t/{token}").status_code == 404


def test_unknown_fleet_token_is_404(client):
    assert client.get(f"/portal/t/{new_token()}").status_code == 404


# Password, activation, PIN ------------------------------------------------------------


def test_sign_in_returns_to_the_portal_page_first_asked_for(client, company, contact, db):
    contact.password_hash = hash_secret("staff set this one")
    db.session.flush()
    asked = f"/portal/{company.slug}/history?page=2"
    assert client.get(asked).headers["Location"] == f"/portal/{company.slug}/sign-in"
    signed_in = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "staff set this one"},
    )
    assert signed_in.headers["Location"] == asked
    client.post(f"/portal/{company.slug}/sign-out")
    # used once: the next sign-in goes to the dashboard
    again = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "staff set this one"},
    )
    assert again.headers["Location"] == f"/portal/{company.slug}/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/portal/rival/invoices",
        "/fleets",
        "/\\evil",
        "/portal/acme/invoices\r\n",
        "//[::1/x",
    ],
)
def test_a_link_never_leads_outside_this_portal(client, company, contact, db, target):
    token = portal_auth.issue_login_link(contact)
    response = client.post(f"/portal/{company.slug}/link/{token}", data={"next": target})
    assert response.headers["Location"] == f"/portal/{company.slug}/"


def test_a_bad_next_on_a_dead_link_does_not_spoil_the_next_sign_in(client, company, contact, db):
    contact.password_hash = hash_secret("staff set this one")
    db.session.flush()
    dead = client.post(
        f"/portal/{company.slug}/link/{new_token()}", data={"next": "/portal/acme/jobs\n"}
    )
    assert dead.status_code == 404
    signed_in = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "staff set this one"},
    )
    assert signed_in.headers["Location"] == f"/portal/{company.slug}/"


def test_password_sign_in_and_wrong_password(client, company, contact, db):
    contact.password_hash = hash_secret("staff set this one")
    db.session.flush()
    bad = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "nope"},
    )
    assert bad.status_code == 422
    assert "do not match" in text_of(bad)
    good = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "staff set this one"},
    )
    assert good.status_code == 303
    assert db.session.scalar(select(AuthSession)).method == SignInMethod.PASSWORD


def test_ten_wrong_passwords_lock_the_contact_for_fifteen_minutes(client, company, contact, db):
    contact.password_hash = hash_secret("right password here")
    db.session.flush()
    for _ in range(10):
        client.post(
            f"/portal/{company.slug}/sign-in/password",
            data={"email": contact.email, "password": "wrong"},
        )
    assert contact.locked_until is not None
    assert timedelta(minutes=14) < contact.locked_until - utcnow() <= timedelta(minutes=15)
    locked = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "right password here"},
    )
    assert locked.status_code == 422


def test_a_right_password_starts_the_count_of_wrong_ones_again(company, contact, db):
    """Nine wrong, the right one, nine wrong again: not locked (the count started again);
    the tenth wrong one in a row locks."""
    contact.password_hash = hash_secret("right password here")
    db.session.flush()
    for _ in range(9):
        assert portal_auth.authenticate_password(company, contact.email, "wrong") is None
    assert portal_auth.authenticate_password(company, contact.email, "right password here")
    for _ in range(9):
        assert portal_auth.authenticate_password(company, contact.email, "wrong") is None
    assert contact.locked_until is None
    assert portal_auth.authenticate_password(company, contact.email, "right password here")
    for _ in range(10):
        portal_auth.authenticate_password(company, contact.email, "wrong")
    assert contact.locked_until is not None


def test_after_a_lockout_ends_it_takes_ten_more_wrong_passwords_to_lock_again(company, contact, db):
    contact.password_hash = hash_secret("right password here")
    db.session.flush()
    for _ in range(10):
        portal_auth.authenticate_password(company, contact.email, "wrong")
    assert contact.locked_until is not None
    contact.locked_until = utcnow() - timedelta(seconds=1)  # the 15 minutes are over
    for _ in range(9):
        assert portal_auth.authenticate_password(company, contact.email, "wrong") is None
    assert not (contact.locked_until and contact.locked_until > utcnow())
    assert portal_auth.authenticate_password(company, contact.email, "right password here")


def test_activation_forces_a_new_password_before_anything_else(client, company, contact, db):
    portal_auth.send_activation(contact)
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "activation"))
    temporary = reveal(email)[0].split("temporary password:")[1].split()[0]
    response = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": temporary},
    )
    assert response.status_code == 303
    assert (
        client.get(f"/portal/{company.slug}/").headers["Location"]
        == f"/portal/{company.slug}/choose-password"
    )
    weak = client.post(
        f"/portal/{company.slug}/choose-password",
        data={"password": "password", "confirm": "password"},
    )
    assert weak.status_code == 422
    assert "too common" in text_of(weak) or "at least 8" in text_of(weak)
    chosen = client.post(
        f"/portal/{company.slug}/choose-password",
        data={"password": "a much better one", "confirm": "a much better one"},
    )
    assert chosen.status_code == 303
    assert client.get(f"/portal/{company.slug}/").status_code == 200
    client.post(f"/portal/{company.slug}/sign-out")
    reuse = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": temporary},
    )
    assert reuse.status_code == 422


def test_temporary_password_expires_after_a_day(client, company, contact, db):
    portal_auth.set_password(contact, "temporary-pass-1", temporary=True)
    contact.temporary_password_expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    response = client.post(
        f"/portal/{company.slug}/sign-in/password",
        data={"email": contact.email, "password": "temporary-pass-1"},
    )
    assert response.status_code == 422


def test_pin_sign_in_by_phone(client, company, contact, db):
    portal_auth.set_pin(contact, "4321")
    db.session.flush()
    response = client.post(
        f"/portal/{company.slug}/sign-in/pin", data={"phone": "(312) 555-0199", "pin": "4321"}
    )
    assert response.status_code == 303
    assert db.session.scalar(select(AuthSession)).method == SignInMethod.PIN


def test_one_ip_guessing_pins_across_phones_is_blocked_within_twenty_tries(
    client, company, contact, db
):
    portal_auth.set_pin(contact, "4321")
    db.session.flush()
    statuses = [
        client.post(
            f"/portal/{company.slug}/sign-in/pin",
            data={"phone": f"+1 312 555 {1000 + n}", "pin": "0000"},
        ).status_code
        for n in range(20)
    ]
    assert statuses[-1] == 429 or 429 in statuses
    blocked = client.post(
        f"/portal/{company.slug}/sign-in/pin", data={"phone": "+1 312 555 0199", "pin": "4321"}
    )
    assert blocked.status_code == 429


def test_pin_hash_is_slow_and_never_the_pin(contact, db):
    portal_auth.set_pin(contact, "987654")
    assert "987654" not in contact.pin_hash and contact.pin_hash.startswith("scrypt:")


# Sessions -----------------------------------------------------------------------------


def _signed_in_by_link(client, company, contact, db) -> AuthSession:
    """A session opened the real way, so its limits are the ones sign-in sets."""
    token = portal_auth.issue_login_link(contact)
    assert client.post(f"/portal/{company.slug}/link/{token}").status_code == 303
    return db.session.scalar(select(AuthSession).where(AuthSession.contact_id == contact.id))


def _dashboard_answer(client, company) -> str:
    response = client.get(f"/portal/{company.slug}/")
    if response.status_code == 200 and "Hello, Frank" in text_of(response):
        return "dashboard"
    if response.status_code == 302:
        return f"redirect to {response.headers['Location']}"
    return f"{response.status_code}"


def test_portal_idle_timeout_is_thirty_minutes(client, company, contact, db):
    row = sign_in(client, contact)
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    db.session.flush()
    assert _dashboard_answer(client, company) == f"redirect to /portal/{company.slug}/sign-in"
    assert db.session.scalar(select(func.count(AuthSession.id))) == 0


@pytest.mark.parametrize(
    ("idle", "answer"),
    # Seconds either side of 30 minutes, so 29 or 31 minutes would fail one of them.
    [
        (timedelta(minutes=29, seconds=50), "dashboard"),
        (timedelta(minutes=30, seconds=10), "sign-in"),
    ],
)
def test_portal_idle_limit_from_both_sides(client, company, contact, db, idle, answer):
    row = _signed_in_by_link(client, company, contact, db)
    age_session(row, signed_in_ago=idle, idle_for=idle)
    expected = (
        "dashboard" if answer == "dashboard" else f"redirect to /portal/{company.slug}/sign-in"
    )
    assert _dashboard_answer(client, company) == expected


@pytest.mark.parametrize(
    ("signed_in_ago", "answer"),
    [
        (timedelta(hours=11, minutes=59), "dashboard"),
        (timedelta(hours=12, minutes=1), "sign-in"),
    ],
)
def test_portal_absolute_limit_is_twelve_hours_of_use(
    client, company, contact, db, signed_in_ago, answer
):
    """Used every few minutes since signing in, a session still ends 12 hours after it."""
    row = _signed_in_by_link(client, company, contact, db)
    age_session(row, signed_in_ago=signed_in_ago, idle_for=timedelta(minutes=2))
    expected = (
        "dashboard" if answer == "dashboard" else f"redirect to /portal/{company.slug}/sign-in"
    )
    assert _dashboard_answer(client, company) == expected


def test_a_session_is_seen_by_a_successful_page_not_by_a_refused_one(client, company, contact, db):
    row = sign_in(client, contact)
    earlier = utcnow() - timedelta(minutes=5)
    row.last_seen_at = earlier
    db.session.flush()
    assert client.get(f"/portal/{company.slug}/vehicles/{2**31 - 1}").status_code == 404
    db.session.refresh(row)
    assert row.last_seen_at == earlier, "a refused request writes nothing, not even this"
    assert _dashboard_answer(client, company) == "dashboard"
    db.session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_fleet_token_sessions_have_the_portal_limits(client, company, fleet, db):
    token = new_token()
    fleet.portal_token_hash = token_hash(token)
    db.session.flush()
    assert client.get(f"/portal/t/{token}").status_code == 302
    row = db.session.scalar(select(AuthSession).where(AuthSession.customer_id == fleet.id))
    lifetime = row.expires_at - row.created_at
    assert timedelta(hours=11, minutes=59, seconds=59) < lifetime <= timedelta(hours=12)
    age_session(row, signed_in_ago=timedelta(minutes=31), idle_for=timedelta(minutes=31))
    response = client.get(f"/portal/{company.slug}/")
    assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"


@pytest.mark.parametrize("revoke", ["remove", "access_off", "password"])
def test_revocation_ends_live_sessions(client, company, contact, db, revoke):
    sign_in(client, contact)
    assert client.get(f"/portal/{company.slug}/").status_code == 200
    if revoke == "remove":
        contact.removed_at = utcnow()
    elif revoke == "access_off":
        contact.portal_access = False
    else:
        portal_auth.set_password(contact, "brand new password")
    db.session.flush()
    assert _dashboard_answer(client, company) == f"redirect to /portal/{company.slug}/sign-in"


def test_a_new_password_ends_every_session_of_the_contact(app, company, contact, create, db):
    colleague = create.contact(contact.customer, email="colleague@metro.example")
    phone, laptop, theirs = app.test_client(), app.test_client(), app.test_client()
    sign_in(phone, contact)
    sign_in(laptop, contact, SignInMethod.PIN)
    sign_in(theirs, colleague)
    portal_auth.set_password(contact, "brand new password")
    db.session.flush()
    for browser in (phone, laptop):
        response = browser.get(f"/portal/{company.slug}/")
        assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"
    assert theirs.get(f"/portal/{company.slug}/").status_code == 200
    assert (
        db.session.scalar(
            select(func.count(AuthSession.id)).where(AuthSession.contact_id == contact.id)
        )
        == 0
    )


def test_choosing_a_password_keeps_this_browser_and_ends_the_others(app, company, contact, db):
    portal_auth.set_password(contact, "temporary-pass-1", temporary=True)
    db.session.flush()
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        signed_in = browser.post(
            f"/portal/{company.slug}/sign-in/password",
            data={"email": contact.email, "password": "temporary-pass-1"},
        )
        assert signed_in.status_code == 303
    chosen = here.post(
        f"/portal/{company.slug}/choose-password",
        data={"password": "a much better one", "confirm": "a much better one"},
    )
    assert chosen.headers["Location"] == f"/portal/{company.slug}/"
    assert "Hello, Frank" in text_of(here.get(f"/portal/{company.slug}/"))
    response = elsewhere.get(f"/portal/{company.slug}/")
    assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"
    assert (
        db.session.scalar(
            select(func.count(AuthSession.id)).where(AuthSession.contact_id == contact.id)
        )
        == 1
    )


def test_every_sign_in_input_has_its_own_label(client, company):
    html = client.get(f"/portal/{company.slug}/sign-in").get_data(as_text=True)
    label_targets = re.findall(r'<label for="([^"]+)"', html)
    input_ids = re.findall(r'<input[^>]*\bid="([^"]+)"', html)
    visible_inputs = [i for i in input_ids if i != "csrf_token"]
    assert sorted(label_targets) == sorted(visible_inputs)
    assert len(set(input_ids)) == len(input_ids)
