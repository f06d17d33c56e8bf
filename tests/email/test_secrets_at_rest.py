"""No table holds a raw sign-in token, fleet token, temporary password or PIN: not once the
email is queued, not after a failed delivery, not after it is sent (QUALITY.md 1, 13, 39).
Each kind of secret is minted through its real route, delivered over SMTP and used."""

import email as email_parsing
import re
from dataclasses import dataclass
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from fieldportal.models import OutboxEmail, OutboxStatus, utcnow
from fieldportal.services import audit
from fieldportal.services.mail import mailer
from fieldportal.services.mail.outbox_delivery import NO_SERVER, deliver_pending
from fieldportal.services.mail.outbox_secrets import EXPIRED, reveal
from fieldportal.services.portal import portal_auth

from .conftest import free_port

BASE = "https://portal.example.test"
TOKEN = r"[\w-]{43}"
PIN = "73914682"
COLLEAGUE = "dan@acme.test"  # resets a password: the staff_client stays signed in
INVITEE = "ines@acme-mechanics.example"


def columns_holding(db, raw: str) -> list[str]:
    """Every text, varchar or JSON column of every table in the database (reflected, so
    tables without a model count too) in which some row contains ``raw``."""
    connection = db.session.connection()
    database = sa.inspect(connection)  # columns only: indexes are not what is scanned
    found = []
    for name in database.get_table_names():
        columns = [sa.column(c["name"], c["type"]) for c in database.get_columns(name)]
        table = sa.table(name, *columns)
        for column in columns:
            if isinstance(column.type, sa.JSON):
                value = sa.cast(column, sa.Text)
            elif isinstance(column.type, sa.String):
                value = column
            else:
                continue
            hits = connection.execute(
                select(func.count()).select_from(table).where(value.contains(raw, autoescape=True))
            ).scalar()
            if hits:
                found.append(f"{table.name}.{column.name}")
    return found


def delivered_text(envelope) -> str:
    message = email_parsing.message_from_bytes(envelope.content, policy=policy.default)
    return message.get_body(("plain",)).get_content()


def test_the_scan_finds_a_value_that_is_stored(db, create, company):
    """The scan itself can fail: a value that is in a text and a JSON column is found."""
    contact = create.contact(create.customer(company), email="needle-4471@metro.example")
    audit.record(company.id, "contact.updated", subject=contact, planted="needle-4471")
    db.session.flush()
    found = columns_holding(db, "needle-4471")
    assert "contacts.email" in found and "audit_events.details" in found


@dataclass
class Minted:
    kind: str
    secret: str  # the raw value no column may hold
    label: str  # its placeholder on the Outbox page


def _access(contact, action: str) -> str:
    return f"/customers/{contact.customer_id}/contacts/{contact.id}/access{action}"


def _queued(db, kind: str) -> OutboxEmail:
    [email] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()
    return email


def _mint(kind, app, db, create, company, staff_client) -> Minted:
    """Make the secret the way the app does and return it as the email will carry it."""
    fleet = create.fleet(company, vehicles=0, name="Metro Couriers")
    contact = create.contact(
        fleet, name="Frank Delgado", email="frank@metro.example", phone="+1 312 555 0199"
    )
    visitor = app.test_client()
    if kind == "magic_link":
        response = visitor.post("/portal/acme/sign-in/link", data={"email": contact.email})
        assert response.status_code == 200
    elif kind == "fresh_link":
        used = portal_auth.issue_login_link(contact)
        assert visitor.post(f"/portal/acme/link/{used}").status_code == 303
        assert app.test_client().post(f"/portal/acme/link/{used}/fresh").status_code == 200
    elif kind == "activation":
        assert staff_client.post(_access(contact, "/activation")).status_code == 303
    elif kind == "pin_credentials":
        response = staff_client.post(
            _access(contact, "/pin"), data={"pin": PIN, "send": "y", "message": "Welcome"}
        )
        assert response.status_code == 303
    elif kind == "invoice_sent":
        contact.portal_access = False
        invoice = create.invoice(fleet)
        assert staff_client.post(f"/invoices/{invoice.id}/send").status_code in (200, 303)
    elif kind == "fleet_link":
        response = staff_client.post(
            f"/fleets/{fleet.id}/portal-link/email", data={"to": contact.email}
        )
        assert response.status_code == 200
    elif kind == "password_reset":
        create.staff(company, name="Dan Reyes", email=COLLEAGUE)
        assert visitor.post("/password/forgot", data={"email": COLLEAGUE}).status_code == 303
    elif kind == "staff_invite":
        invite = {"email": INVITEE, "role": "dispatcher"}
        assert staff_client.post("/settings/staff/invite", data=invite).status_code == 303
    text, _ = reveal(_queued(db, kind))
    patterns = {
        "magic_link": (rf"/portal/acme/link/({TOKEN})", "sign-in link"),
        "fresh_link": (rf"/portal/acme/link/({TOKEN})", "sign-in link"),
        "activation": (r"temporary password:\s+(\S+)", "temporary password"),
        "pin_credentials": (rf"this PIN: ({PIN})", "PIN"),
        "invoice_sent": (rf"/portal/acme/link/({TOKEN})", "sign-in link"),
        "fleet_link": (rf"/portal/t/({TOKEN})", "portal link"),
        "password_reset": (rf"/password/reset/({TOKEN})", "password reset link"),
        "staff_invite": (rf"/invite/({TOKEN})", "invitation link"),
    }
    pattern, label = patterns[kind]
    [secret] = re.findall(pattern, text)
    return Minted(kind, secret, label)


def _signs_in(app, minted: Minted) -> None:
    """The delivered secret lets its recipient in."""
    visitor = app.test_client()
    if minted.kind == "password_reset":
        new = {"password": "a much better secret", "confirm": "a much better secret"}
        assert visitor.post(f"/password/reset/{minted.secret}", data=new).status_code == 303
        response = visitor.post("/login", data={"email": COLLEAGUE, "password": new["password"]})
        assert response.status_code == 303 and visitor.get("/").status_code == 200
        assert app.test_client().get("/").status_code != 200, "signed out stays out"
        return
    if minted.kind == "staff_invite":
        chosen = {"name": "Ines Ortiz", "password": "a much better secret"}
        response = visitor.post(
            f"/invite/{minted.secret}", data={**chosen, "confirm": chosen["password"]}
        )
        assert response.status_code == 303 and visitor.get("/").status_code == 200
        response = app.test_client().post(
            "/login", data={"email": INVITEE, "password": chosen["password"]}
        )
        assert response.status_code == 303
        return
    if minted.kind == "fleet_link":
        response = visitor.get(f"/portal/t/{minted.secret}")
        assert response.status_code == 302 and response.headers["Location"] == "/portal/acme/"
    elif minted.kind == "activation":
        response = visitor.post(
            "/portal/acme/sign-in/password",
            data={"email": "frank@metro.example", "password": minted.secret},
        )
        assert response.status_code == 303
    elif minted.kind == "pin_credentials":
        response = visitor.post(
            "/portal/acme/sign-in/pin", data={"phone": "+1 312 555 0199", "pin": minted.secret}
        )
        assert response.status_code == 303
    else:
        response = visitor.post(f"/portal/acme/link/{minted.secret}")
        assert response.status_code == 303
    assert visitor.get("/portal/acme/").status_code in (200, 302)
    assert app.test_client().get("/portal/acme/").status_code != 200, "signed out stays out"


@pytest.mark.parametrize(
    "kind",
    [
        "magic_link",
        "fresh_link",
        "activation",
        "pin_credentials",
        "invoice_sent",
        "fleet_link",
        "password_reset",
        "staff_invite",
    ],
)
def test_no_column_holds_the_secret_before_after_a_failure_or_after_sending(
    kind, app, db, create, company, staff_client, smtp_server
):
    minted = _mint(kind, app, db, create, company, staff_client)
    row = _queued(db, kind)
    assert columns_holding(db, minted.secret) == [], "queued"

    page = staff_client.get(f"/outbox/{row.id}").get_data(as_text=True)
    assert minted.secret not in page and f"[{minted.label} hidden]" in page

    app.config["SMTP_PORT"] = free_port()  # the mail server is down
    assert deliver_pending(worker="test").retrying == 1
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert columns_holding(db, minted.secret) == [], "after a failed delivery"

    app.config["SMTP_PORT"] = smtp_server.port
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert deliver_pending(worker="test").sent == 1
    [envelope] = smtp_server.messages
    message = email_parsing.message_from_bytes(envelope.content, policy=policy.default)
    assert minted.secret in delivered_text(envelope)
    assert minted.secret in message.get_body(("html",)).get_content()
    assert row.status == OutboxStatus.SENT and row.secrets_ciphertext is None
    assert columns_holding(db, minted.secret) == [], "after sending"

    _signs_in(app, minted)
    assert columns_holding(db, minted.secret) == [], "after use"
    page = staff_client.get(f"/outbox/{row.id}").get_data(as_text=True)
    assert minted.secret not in page and f"[{minted.label} hidden]" in page


def _link_email(app, db, create, company) -> OutboxEmail:
    contact = create.contact(create.customer(company), email="carla@home.example")
    with app.test_request_context():
        portal_auth.send_login_link(contact)
    return _queued(db, "magic_link")


def test_a_failed_email_is_retried_from_the_outbox_page_while_its_secret_lives(
    app, db, create, company, staff_client, smtp_server
):
    row = _link_email(app, db, create, company)
    row.status = OutboxStatus.FAILED
    row.last_error = "SMTPServerDisconnected: gave up"
    db.session.commit()
    response = staff_client.post(f"/outbox/{row.id}/retry")
    assert response.status_code == 303
    assert deliver_pending(worker="test").sent == 1
    [envelope] = smtp_server.messages
    assert re.search(rf"{BASE}/portal/acme/link/{TOKEN}", delivered_text(envelope))


def test_an_expired_secret_is_erased_and_its_email_fails_instead_of_sending_a_dead_link(
    app, db, create, company, staff_client, smtp_server
):
    row = _link_email(app, db, create, company)
    row.secrets_expire_at = utcnow() - timedelta(seconds=1)  # the link's lifetime has passed
    db.session.commit()
    assert deliver_pending(worker="test").failed == 1
    assert smtp_server.messages == []
    assert row.status == OutboxStatus.FAILED and row.last_error == EXPIRED
    assert row.secrets_ciphertext is None and row.secrets_expire_at is None

    response = staff_client.post(f"/outbox/{row.id}/retry")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        "The sign-in link in this email is no longer kept (it is erased once sent or expired), "
        "so it cannot be sent: send a new sign-in link from the contact&#39;s portal access page."
    ) in page
    assert row.status == OutboxStatus.FAILED and deliver_pending(worker="test").sent == 0


def test_a_new_secret_key_makes_old_secrets_unreadable_and_the_email_fails_clearly(
    app, db, create, company, smtp_server
):
    row = _link_email(app, db, create, company)
    db.session.commit()
    previous = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-rotated-secret-key"
    try:
        report = deliver_pending(worker="test")
    finally:
        app.config["SECRET_KEY"] = previous
    assert report.failed == 1 and smtp_server.messages == []
    assert row.status == OutboxStatus.FAILED
    assert "encrypted with an earlier SECRET_KEY" in row.last_error
    assert "send a new sign-in link" in row.last_error


def test_without_a_mail_server_the_link_is_printed_and_kept_sealed_for_a_retry(
    app, db, create, company, staff_client, smtp_server
):
    row = _link_email(app, db, create, company)
    db.session.commit()
    smtp_host, app.config["SMTP_HOST"] = app.config["SMTP_HOST"], ""
    try:
        report = deliver_pending(worker="test")
    finally:
        app.config["SMTP_HOST"] = smtp_host
    [line] = report.links
    [token] = re.findall(rf"carla@home\.example: {BASE}/portal/acme/link/({TOKEN})", line)
    assert row.status == OutboxStatus.NOT_SENT and row.last_error == NO_SERVER
    assert row.secrets_ciphertext is not None and columns_holding(db, token) == []

    assert staff_client.post(f"/outbox/{row.id}/retry").status_code == 303
    assert deliver_pending(worker="test").sent == 1
    assert token in delivered_text(smtp_server.messages[0])
    assert row.secrets_ciphertext is None


def test_secrets_are_escaped_in_html_and_only_the_emails_own_markers_are_filled(
    app, db, create, company
):
    contact = create.contact(create.customer(company), phone="555-0101")
    guessed = "fp-secret-pin-0123456789abcdef0123456789abcdef"
    with app.test_request_context():
        row = mailer.queue(
            to="frank@metro.example",
            kind="fleet_link",
            subject="s",
            template="fleet_link",
            company=company,
            fleet=contact.customer,
            link=f'{BASE}/portal/t/a&b"c',
            message=f"Staff note {guessed}",
        )
    text, html = reveal(row)
    assert f'{BASE}/portal/t/a&b"c' in text and guessed in text
    assert f'href="{BASE}/portal/t/a&amp;b&#34;c"' in html and guessed in html
    assert "a&b" not in row.text_body + row.html_body
