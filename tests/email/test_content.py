"""Each email leads somewhere: one button for its one action, the real lifetime of what it
carries, dates and the whole arrival window in the company's language and time zone, who
to call when it was not expected, which phone number goes with a PIN, and a signed-out
customer taken through sign-in to the document, even from another browser."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from fieldportal.models import LoginLink, OutboxEmail
from fieldportal.services.billing import invoices, quotes
from fieldportal.services.billing.money import LineInput
from fieldportal.services.mail.outbox_secrets import reveal
from fieldportal.services.portal import portal_auth
from fieldportal.services.portal.portal_auth import TEMPORARY_PASSWORD_LIFETIME
from fieldportal.services.work import requests
from fieldportal.services.work.requests import RequestInput

from .every_kind import queue_every_kind, realistic

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
BUTTON = re.compile(r'<a href="([^"]+)" style="display: inline-block[^"]*">([^<]*)</a>')


def _email(db, kind: str) -> OutboxEmail:
    [email] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()
    return email


def _bodies(email: OutboxEmail) -> tuple[str, str]:
    """The text and the HTML's visible words, as delivered (secrets in place)."""
    text, html = reveal(email)
    return text, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')


def _buttons(email: OutboxEmail) -> list[tuple[str, str]]:
    """(label, link) of every button in the HTML part."""
    return [(label, href.replace("&amp;", "&")) for href, label in BUTTON.findall(reveal(email)[1])]


def _line(cents: int = 18_150) -> LineInput:
    return LineInput("Brake pads and labour", Decimal(1), cents, False)


def test_every_kind_has_exactly_one_button_and_no_iso_date(
    app, db, create, company, owner, staff_client
):
    emails = queue_every_kind(app, db, create, realistic(company), owner, staff_client)
    for email in emails:
        assert len(_buttons(email)) == 1, (email.kind, _buttons(email))
        text, html = _bodies(email)
        assert not ISO_DATE.search(text + html), email.kind
        # The text part carries the button's link too, under the same words.
        [(label, href)] = _buttons(email)
        assert f"{label}:\n{href}" in text, email.kind


def test_a_sign_in_link_email_says_the_lifetime_the_link_really_has(app, db, create, company):
    contact = create.contact(create.customer(company), email="frank@metro.example")
    app.config["LOGIN_LINK_LIFETIME"] = timedelta(minutes=45)
    try:
        with app.test_request_context():
            portal_auth.send_login_link(contact)
    finally:
        app.config["LOGIN_LINK_LIFETIME"] = timedelta(minutes=30)
    email = _email(db, "magic_link")
    for body in _bodies(email):
        assert "expires in 45 minutes" in body and "soon" not in body
    link = db.session.scalar(select(LoginLink))
    assert abs(link.expires_at - link.created_at - timedelta(minutes=45)) < timedelta(seconds=5)
    assert [label for label, _ in _buttons(email)] == ["Sign in to Acme Mobile Mechanics"]


def test_the_activation_email_says_how_long_the_password_works_and_where(db, create, company):
    contact = create.contact(create.customer(company), email="frank@metro.example")
    portal_auth.send_activation(contact)
    email = _email(db, "activation")
    hours = TEMPORARY_PASSWORD_LIFETIME // timedelta(hours=1)
    for body in _bodies(email):
        assert f"It works once within {hours} hours" in body
        assert "Sign in with your email address, frank@metro.example" in body
    assert _buttons(email) == [
        ("Sign in to Acme Mobile Mechanics", "https://portal.example.test/portal/acme/sign-in")
    ]


@pytest.mark.parametrize(
    ("locale", "due", "total"),
    [("en_US", "due January 2, 2027", "$181.50"), ("en_GB", "due 2 January 2027", "US$181.50")],
)
def test_invoice_amounts_and_due_date_are_in_the_company_locale(
    db, create, company, owner, locale, due, total
):
    company.locale = locale
    customer = create.customer(company, email="billing@metro.example")
    invoice = create.invoice(customer, lines=(("Brakes", 18_150),), due_on=date(2027, 1, 2))
    invoices.send_invoice(invoice, by=owner)
    for body in _bodies(_email(db, "invoice_sent")):
        assert due in body and f"for {total}" in body


@pytest.mark.parametrize(("stripe_key", "label"), [("sk_test_x", "View and pay"), ("", "View")])
def test_the_invoice_button_names_its_action_and_opens_the_invoice(
    app, db, create, company, owner, stripe_key, label
):
    customer = create.customer(company, email="billing@metro.example")
    invoice = create.invoice(customer)
    app.config["STRIPE_SECRET_KEY"] = stripe_key
    try:
        invoices.send_invoice(invoice, by=owner)
    finally:
        app.config["STRIPE_SECRET_KEY"] = ""
    # The customer had no contact: its first one was made from the billing email, and the
    # button signs them in on the way to the invoice.
    [(text, url)] = _buttons(_email(db, "invoice_sent"))
    assert text == f"{label} invoice #{invoice.number}"
    assert re.fullmatch(
        rf"https://portal\.example\.test/portal/acme/link/[\w-]{{43}}"
        rf"\?next=/portal/acme/invoices/{invoice.id}",
        url,
    ), url


def test_a_newcomer_invoice_button_signs_in_and_says_for_how_long(db, create, company, owner):
    customer = create.customer(company, email=None)
    create.contact(customer, email="new@metro.example", portal_access=False)
    invoice = invoices.create_invoice(customer, by=owner, lines=[_line()])
    invoices.send_invoice(invoice, by=owner)
    email = _email(db, "invoice_sent")
    [(label, href)] = _buttons(email)
    assert label == f"View invoice #{invoice.number}"
    link = urlsplit(href)
    assert link.path.startswith("/portal/acme/link/")
    assert parse_qs(link.query) == {"next": [f"/portal/acme/invoices/{invoice.id}"]}
    for body in _bodies(email):
        assert "this link works once and expires in 30 minutes" in body


def test_quote_validity_is_in_the_company_locale_and_the_button_opens_the_quote(
    db, create, company, owner
):
    company.locale = "en_GB"
    customer = create.customer(company, email="billing@metro.example")
    quote = quotes.create_quote(
        customer, title="Brakes", by=owner, lines=[_line()], valid_until=date(2099, 3, 4)
    )
    quotes.send_quote(quote, by=owner)
    email = _email(db, "quote_sent")
    for body in _bodies(email):
        assert "valid until 4 March 2099" in body
    assert _buttons(email) == [
        (
            f"Review quote #{quote.number}",
            f"https://portal.example.test/portal/acme/quotes/{quote.id}",
        )
    ]


@pytest.mark.parametrize(
    ("zone", "locale", "window"),
    [
        ("America/Chicago", "en_US", "Thu 4 Mar 2027, 9:00 AM – 11:30 AM"),
        ("Europe/London", "en_GB", "Thu 4 Mar 2027, 3:00 pm – 5:30 pm"),
    ],
)
def test_the_approval_shows_the_whole_arrival_window_in_company_time(
    app, db, create, company, owner, zone, locale, window
):
    company.time_zone, company.locale = zone, locale
    contact = create.contact(create.customer(company), email="frank@metro.example")
    start = datetime(2027, 3, 4, 15, 0, tzinfo=UTC)
    with app.test_request_context():
        request = requests.submit_request(contact, company, RequestInput(description="Brakes"))
        job = requests.approve_request(
            request, by=owner, window=(start, start + timedelta(hours=2, minutes=30))
        )
    for body in _bodies(_email(db, "request_approved")):
        assert f"Arrival window: {window}." in body
        assert f"It is now job #{job.number}" in body


def test_a_window_over_two_days_names_both_days(app, company):
    from fieldportal.formatting import local_window

    start = datetime(2027, 3, 4, 21, 0, tzinfo=UTC)
    with app.test_request_context():
        shown = local_window(start, start + timedelta(days=1), company=company)
    assert shown == "Thu 4 Mar 2027, 3:00 PM – Fri 5 Mar 2027, 3:00 PM"


@pytest.mark.parametrize(
    ("phone", "email", "line"),
    [
        (
            "+13125550100",
            None,
            "Not expecting this email? Call Acme Mobile Mechanics on (312) 555-0100.",
        ),
        (
            None,
            "office@acme.example",
            "Not expecting this email? Reply to this email to tell Acme Mobile Mechanics.",
        ),
    ],
)
def test_emails_that_let_someone_in_say_who_to_call_if_unexpected(
    app, db, create, company, owner, staff_client, phone, email, line
):
    company.phone, company.email = phone, email
    queue_every_kind(app, db, create, company, owner, staff_client)
    for kind in ("activation", "pin_credentials", "fleet_link"):
        [first, *_] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind))
        for body in _bodies(first):
            assert line in body, kind


def test_the_pin_email_says_which_phone_number_to_use(app, db, create, company, staff_client):
    contact = create.contact(
        create.customer(company), email="frank@metro.example", phone="+1 (312) 555-0199"
    )
    response = staff_client.post(
        f"/customers/{contact.customer_id}/contacts/{contact.id}/access/pin",
        data={"pin": "482913", "send": "y"},
    )
    assert response.status_code == 303
    for body in _bodies(_email(db, "pin_credentials")):
        assert "with your phone number ending in 0199 and this PIN: 482913" in body
        assert "312" not in body.split("PIN:")[0], "only the ending, not the whole number"


@pytest.mark.parametrize(
    ("company_email", "says_reply"), [("office@acme.example", True), (None, False)]
)
def test_the_decline_email_offers_a_reply_only_when_replies_reach_the_company(
    app, db, create, company, owner, company_email, says_reply
):
    company.email, company.phone = company_email, "+13125550100"
    contact = create.contact(create.customer(company), email="frank@metro.example")
    with app.test_request_context():
        request = requests.submit_request(contact, company, RequestInput(description="Lift"))
        requests.decline_request(request, by=owner, reason="We do not service lifts.")
    for body in _bodies(_email(db, "request_declined")):
        assert ("reply to this email" in body) is says_reply
        assert "call (312) 555-0100" in body


def test_signed_out_from_the_invoice_link_a_sign_in_link_leads_back_to_it_in_any_browser(
    app, db, create, company
):
    customer = create.customer(company, email=None)
    create.contact(customer, email="frank@metro.example")
    invoice = create.invoice(customer)
    page = f"/portal/acme/invoices/{invoice.id}"

    phone = app.test_client()
    response = phone.get(page)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/acme/sign-in"
    phone.post("/portal/acme/sign-in/link", data={"email": "frank@metro.example"})
    [(_, href)] = _buttons(_email(db, "magic_link"))
    link = urlsplit(href)
    assert parse_qs(link.query) == {"next": [page]}

    laptop = app.test_client()  # the email opened elsewhere: no cookie remembers the page
    shown = laptop.get(f"{link.path}?{link.query}")
    assert f'name="next" value="{page}"' in shown.get_data(as_text=True)
    response = laptop.post(link.path, data={"next": page})
    assert response.status_code == 303 and response.headers["Location"] == page
    assert laptop.get(page).status_code == 200


def test_an_expired_link_to_a_document_sends_a_fresh_one_to_the_same_document(
    app, db, create, company
):
    contact = create.contact(create.customer(company), email="frank@metro.example")
    page = "/portal/acme/invoices/7"
    token = portal_auth.issue_login_link(contact)
    db.session.scalar(select(LoginLink)).expires_at = datetime.now(UTC) - timedelta(minutes=1)
    visitor = app.test_client()
    expired = visitor.get(f"/portal/acme/link/{token}?next={page}")
    assert expired.status_code == 410
    assert f'name="next" value="{page}"' in expired.get_data(as_text=True)
    assert visitor.post(f"/portal/acme/link/{token}/fresh", data={"next": page}).status_code == 200
    [(_, href)] = _buttons(_email(db, "fresh_link"))
    assert parse_qs(urlsplit(href).query) == {"next": [page]}


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/x", "//evil.example/x", "/portal/rival/invoices/1", "/login"]
)
def test_a_sign_in_link_never_leads_outside_its_portal(app, company, unsafe):
    token = "t" * 43
    assert portal_auth.sign_in_url(company, token, unsafe) == (
        f"https://portal.example.test/portal/acme/link/{token}"
    )
