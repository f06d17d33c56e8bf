"""Self-serve sign-up at /signup: proposals from the name and country (htmx and without
JavaScript), one answer for every address, a confirmation link that makes the company
live, throttles, and sign-ups never confirmed released."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.models import (
    AuditEvent,
    Company,
    OutboxEmail,
    Plan,
    SetupLink,
    SetupPurpose,
    StaffUser,
    utcnow,
)
from fieldportal.services.mail.outbox_secrets import reveal
from tests.helpers import text_of

HX = {"HX-Request": "true"}
CONFIRM = re.compile(r"https://portal\.example\.test/signup/confirm/([A-Za-z0-9_-]{43})")
FORM = {
    "name": "Bright Sparks Ltd",
    "slug": "bright-sparks",
    "proposed_slug": "",
    "country": "GB",
    "proposed_for": "GB",
    "time_zone": "Europe/London",
    "currency": "GBP",
    "owner_name": "Bea Bright",
    "owner_email": "Bea@Bright-Sparks.example",
    "password": "sparks fly upward",
}


def _post(client, headers=None, **changes):
    return client.post("/signup", data={**FORM, **changes}, headers=headers or {})


def _company(db, slug="bright-sparks") -> Company | None:
    return db.session.scalar(select(Company).where(Company.slug == slug))


def _emails(db, kind=None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(query))


def _confirmation_token(db, index=-1) -> str:
    text, _ = reveal(_emails(db, "signup_confirm")[index])
    [token] = CONFIRM.findall(text)
    return token


def _selected(html: str, name: str) -> str:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)[1]
    return re.search(r'<option selected value="([^"]*)"', select_html)[1]


def _value(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)[1]


# --- the form and its proposals -----------------------------------------------------------


def test_the_page_proposes_from_the_browsers_country(client, db):
    page = client.get("/signup", headers={"Accept-Language": "en-GB,en;q=0.8"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert (
        _selected(html, "country"),
        _selected(html, "time_zone"),
        _selected(html, "currency"),
    ) == (
        "GB",
        "Europe/London",
        "GBP",
    )
    for label in (
        "Company name",
        "Web address",
        "Country",
        "Time zone",
        "Currency",
        "Your name",
        "Your email",
        "Choose a password",
    ):
        assert f">{label}</label>" in html, label
    default = client.get("/signup", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert (
        _selected(default, "country") == "US"
        and _selected(default, "time_zone") == "America/New_York"
    )


def test_changing_the_country_proposes_its_zone_and_currency_as_a_fragment(client, db):
    response = client.post(
        "/signup/propose", data={**FORM, "country": "DE", "proposed_for": "GB"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="proposals"' in html
    assert (_selected(html, "time_zone"), _selected(html, "currency")) == ("Europe/Berlin", "EUR")
    assert _value(html, "proposed_for") == "DE"
    assert _value(html, "slug") == "bright-sparks"  # typed by hand: kept
    # Germany's own zones are offered first.
    zones = re.findall(
        r'<option (?:selected )?value="([^"]+)"',
        re.search(r'name="time_zone"[^>]*>(.*?)</select>', html, re.S)[1],
    )
    assert zones[:2] == ["Europe/Berlin", "Europe/Busingen"] and "Pacific/Auckland" in zones


def test_choices_made_by_hand_stay_while_the_country_stays(client, db):
    data = {
        **FORM,
        "slug": "sparky",
        "proposed_slug": "bright-sparks-ltd",
        "time_zone": "Europe/Dublin",
        "currency": "EUR",
    }
    html = client.post(
        "/signup/propose", data={**data, "name": "Brighter Sparks"}, headers=HX
    ).get_data(as_text=True)
    assert _value(html, "slug") == "sparky"
    assert (_selected(html, "time_zone"), _selected(html, "currency")) == ("Europe/Dublin", "EUR")
    # A slug still equal to its proposal follows the name.
    html = client.post(
        "/signup/propose",
        data={**data, "slug": "bright-sparks-ltd", "name": "Brighter Sparks"},
        headers=HX,
    ).get_data(as_text=True)
    assert _value(html, "slug") == "brighter-sparks"


def test_without_javascript_the_propose_button_answers_the_whole_page(client, db):
    response = client.post("/signup/propose", data={**FORM, "country": "AU", "proposed_for": "GB"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert (
        _selected(html, "time_zone") == "Australia/Sydney" and _selected(html, "currency") == "AUD"
    )
    assert _value(html, "owner_email") == FORM["owner_email"]  # what was typed stays
    assert 'value="sparks fly upward"' not in html  # never the password


def test_signing_up_with_a_country_changed_since_the_proposals_shows_them_first(client, db):
    response = _post(client, country="US", proposed_for="GB")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Proposed for the country you chose" in html
    assert (_selected(html, "time_zone"), _selected(html, "currency")) == (
        "America/New_York",
        "USD",
    )
    assert _company(db) is None


# --- signing up -----------------------------------------------------------------------


def test_a_sign_up_waits_for_its_confirmation_then_goes_live(app, client, db):
    response = _post(client)
    assert response.status_code == 303 and response.headers["Location"] == "/signup/sent"
    assert "Check your email" in text_of(client.get("/signup/sent"))
    company = _company(db)
    assert (company.name, company.country, company.time_zone, company.currency) == (
        "Bright Sparks Ltd", "GB", "Europe/London", "GBP",
    )  # fmt: skip
    assert company.plan == Plan.FREE and not company.is_live and not company.portal_open
    owner = db.session.scalar(select(StaffUser).where(StaffUser.company_id == company.id))
    assert (owner.email, owner.name, owner.active) == (
        "bea@bright-sparks.example",
        "Bea Bright",
        False,
    )
    # Not before the email is confirmed.
    refused = client.post("/login", data={"email": owner.email, "password": FORM["password"]})
    assert refused.status_code == 422

    [email] = _emails(db)
    assert (email.kind, email.to_address) == ("signup_confirm", owner.email)
    token = _confirmation_token(db)
    assert token not in email.text_body and token not in (email.html_body or "")
    assert "[confirmation link hidden]" in email.text_for_staff
    assert "expires in 2 days" in reveal(email)[0]
    link = db.session.scalar(select(SetupLink))
    assert link.purpose == SetupPurpose.CONFIRM_SIGNUP and token not in link.token_hash

    # Opening the link shows a button and consumes nothing (scanners).
    for _ in range(2):
        page = client.get(f"/signup/confirm/{token}")
        assert page.status_code == 200 and "Confirm and start Bright Sparks Ltd" in text_of(page)
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.head(f"/signup/confirm/{token}").status_code == 200
    db.session.expire_all()
    assert not company.is_live

    confirmed = client.post(f"/signup/confirm/{token}")
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/login"
    db.session.expire_all()
    assert company.is_live and owner.active
    signed_in = client.post("/login", data={"email": owner.email, "password": FORM["password"]})
    assert signed_in.status_code == 303
    assert "Today at Bright Sparks Ltd" in text_of(client.get("/"))
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.company_id == company.id)
    )
    assert {"company.created", "company.confirmed"} <= set(actions)

    # Used: it says so, and a second POST changes nothing.
    again = client.post(f"/signup/confirm/{token}")
    assert again.status_code == 410 and "already confirmed" in text_of(again)


def test_the_form_as_htmx_answers_the_form_with_its_messages(client, db):
    response = _post(client, headers=HX, owner_email="not an address", password="short", name="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html and 'id="signup-form"' in html
    text = text_of(response)
    assert "nothing was saved" in text
    assert "Invalid email address." in text
    assert "This field is required." in text
    assert _company(db) is None and _emails(db) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "short"}, "Use at least 8 characters."),
        ({"password": "password123"}, "That password is too common."),
        ({"slug": "acme"}, "Another company has this web address."),
        ({"slug": "portal"}, "“portal” is reserved."),
        ({"slug": "signup"}, "“signup” is reserved."),
        ({"slug": "Not OK!"}, "Use lowercase letters, digits and single hyphens"),
        ({"country": "XX", "proposed_for": "XX"}, "Not a valid choice."),
        ({"time_zone": "Mars/Base"}, "Not a valid choice."),
        ({"currency": "ZZZ"}, "Not a valid choice."),
    ],
)
def test_bad_input_is_refused_with_its_message_and_nothing_written(
    client, db, company, changes, message
):
    for headers in ({}, HX):
        response = _post(client, headers=headers, **changes)
        assert response.status_code == 422, changes
        assert message in text_of(response)
    assert _company(db) is None and _emails(db) == []


def test_an_empty_slug_is_made_from_the_name(client, db):
    assert _post(client, name="Zoë's Vans", slug="").status_code == 303
    assert _company(db, "zoes-vans").name == "Zoë's Vans"


def test_an_address_in_use_gets_the_same_answer_and_an_email_saying_what_happened(
    client, db, create, company
):
    staff = create.staff(company, name="Olivia Owner", email="olivia@acme.example")
    new = _post(client, owner_email="someone-new@bright-sparks.example", slug="new-co")
    used = _post(client, owner_email="OLIVIA@acme.example", slug="other-co")
    assert (new.status_code, new.headers["Location"]) == (
        used.status_code,
        used.headers["Location"],
    )
    assert _company(db, "other-co") is None
    [email] = _emails(db, "signup_address_in_use")
    text, _ = reveal(email)
    assert email.to_address == staff.email
    assert "It already belongs to your account at Acme Mobile Mechanics" in text
    assert "Bright Sparks Ltd" in text and "https://portal.example.test/login" in text
    db.session.expire_all()
    assert db.session.get(StaffUser, staff.id).company_id == company.id  # nothing changed
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "company.signup_with_address_in_use")
    )


def test_signing_up_again_before_confirming_sends_a_new_link_for_the_same_company(client, db):
    _post(client)
    first = _confirmation_token(db)
    assert _post(client, name="Something Else", slug="something-else").status_code == 303
    assert _company(db, "something-else") is None
    assert len(_emails(db, "signup_confirm")) == 2
    second = _confirmation_token(db)
    assert "still waits for you to confirm" in reveal(_emails(db, "signup_confirm")[-1])[0]
    assert client.post(f"/signup/confirm/{first}").status_code == 410  # replaced
    assert client.post(f"/signup/confirm/{second}").status_code == 303
    db.session.expire_all()
    assert _company(db).is_live


def test_an_expired_confirmation_offers_a_new_link_in_one_click(client, db):
    _post(client)
    token = _confirmation_token(db)
    link = db.session.scalar(select(SetupLink))
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    for response in (
        client.get(f"/signup/confirm/{token}"),
        client.post(f"/signup/confirm/{token}"),
    ):
        assert response.status_code == 410 and "Send me a new link" in text_of(response)
    assert not _company(db).is_live
    fresh = client.post(f"/signup/confirm/{token}/fresh")
    assert fresh.status_code == 200 and "Check your email" in text_of(fresh)
    assert client.post(f"/signup/confirm/{_confirmation_token(db)}").status_code == 303
    # An unknown token gets the same neutral answer and sends nothing.
    count = len(_emails(db))
    assert client.post("/signup/confirm/" + "x" * 43 + "/fresh").status_code == 200
    assert len(_emails(db)) == count
    assert client.get("/signup/confirm/" + "x" * 43).status_code == 404


def test_a_sign_up_never_confirmed_is_released_once_its_link_expired(client, db):
    _post(client)
    company = _company(db)
    company.created_at -= timedelta(days=3)
    db.session.scalar(select(SetupLink)).expires_at = utcnow() - timedelta(days=1)
    db.session.flush()
    # The same web address and email are free again for someone who confirms.
    assert _post(client, owner_email="bea@bright-sparks.example").status_code == 303
    db.session.expire_all()
    assert (
        db.session.scalar(select(func.count(Company.id)).where(Company.slug == "bright-sparks"))
        == 1
    )
    assert _company(db).created_at > utcnow() - timedelta(minutes=5)
    assert len(_emails(db, "signup_confirm")) == 1  # the old one went with its company


def test_a_company_waiting_for_confirmation_is_not_released_early(client, db):
    _post(client)
    company = _company(db)
    company.created_at -= timedelta(days=3)  # old, but a fresh link is still out
    db.session.flush()
    assert _post(client, slug="bright-sparks", owner_email="x@elsewhere.example").status_code == 422
    assert _company(db).id == company.id


# --- throttles and CSRF ----------------------------------------------------------------


def test_an_address_gets_at_most_three_sign_up_emails_an_hour(client, db):
    for _ in range(5):
        assert _post(client).status_code == 303
    assert len(_emails(db, "signup_confirm")) == 3


def test_a_network_may_start_ten_sign_ups_an_hour(client, db):
    for n in range(10):
        assert _post(client, slug=f"co-{n}", owner_email=f"o{n}@x.example").status_code == 303
    refused = _post(client, slug="co-10", owner_email="o10@x.example")
    assert refused.status_code == 429
    assert "Too many companies were started from your network" in text_of(refused)
    assert _company(db, "co-10") is None


def test_every_sign_up_post_needs_csrf(client, db):
    for path in (
        "/signup",
        "/signup/propose",
        "/signup/confirm/" + "x" * 43,
        "/signup/confirm/" + "x" * 43 + "/fresh",
    ):
        assert client.post(path, data=FORM, csrf=False).status_code == 400, path


def test_an_installation_may_switch_sign_up_off(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_ENABLED", False)
    assert client.get("/signup").status_code == 404
    assert _post(client).status_code == 404
    assert _company(db) is None
    # Links already sent still work.
    monkeypatch.setitem(app.config, "SIGNUP_ENABLED", True)
    _post(client)
    token = _confirmation_token(db)
    monkeypatch.setitem(app.config, "SIGNUP_ENABLED", False)
    assert client.post(f"/signup/confirm/{token}").status_code == 303
