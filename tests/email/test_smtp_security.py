"""SMTP_SECURITY is kept: with ``starttls`` the session is upgraded (certificate and host
name verified) before the password and the message go out, or nothing is sent; with
``ssl`` the connection is TLS from the start. The relay is a real aiosmtpd server with a
certificate made for the test, trusted through SMTP_CA_FILE."""

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from fieldportal.models import OutboxEmail, OutboxStatus
from fieldportal.services.mail.outbox_delivery import deliver_pending
from fieldportal.services.portal.portal_auth import send_login_link

from .conftest import Inbox, running_smtp

USERNAME, PASSWORD = "relay-user", "relay-password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fieldportal test relay")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("relay-tls")
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_tls(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


class TlsInbox(Inbox):
    """Records, with each message, whether its session was encrypted and authenticated."""

    def __init__(self):
        super().__init__()
        self.sessions = []

    async def handle_DATA(self, server, session, envelope):
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append({"tls": encrypted, "auth": session.authenticated})
        return await super().handle_DATA(server, session, envelope)


def _authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(
        success=(auth_data.login, auth_data.password) == (USERNAME.encode(), PASSWORD.encode())
    )


@pytest.fixture
def relay_config(app, certificate):
    """Sets the app up for a relay on ``port``; restores the settings afterwards."""
    keys = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USERNAME", "SMTP_PASSWORD")
    previous = {key: app.config[key] for key in (*keys, "SMTP_CA_FILE")}

    def configure(port: int, security: str, trust: bool = True):
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_SECURITY=security,
            SMTP_USERNAME=USERNAME,
            SMTP_PASSWORD=PASSWORD,
            SMTP_CA_FILE=str(certificate[0]) if trust else None,
        )

    yield configure
    app.config.update(previous)


def _queue_one(app, create, company) -> None:
    with app.test_request_context():
        send_login_link(create.contact(create.customer(company), email="tls@metro.example"))


def _row(db) -> OutboxEmail:
    return db.session.scalar(select(OutboxEmail))


def _starttls_relay(certificate, inbox):
    """A relay that takes mail only after STARTTLS and AUTH only over TLS (aiosmtpd's
    default), like any submission server."""
    return running_smtp(
        inbox,
        tls_context=_server_tls(certificate),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )


def test_starttls_upgrades_the_session_before_signing_in_and_sending(
    app, db, create, company, certificate, relay_config
):
    inbox = TlsInbox()
    with _starttls_relay(certificate, inbox) as port:
        relay_config(port, "starttls")
        _queue_one(app, create, company)
        assert deliver_pending(worker="test").sent == 1
    assert inbox.sessions == [{"tls": True, "auth": True}]
    assert [envelope.rcpt_tos for envelope in inbox.messages] == [["tls@metro.example"]]
    assert _row(db).status == OutboxStatus.SENT


def test_the_relay_refuses_plaintext_auth_so_skipping_starttls_cannot_pass(
    app, db, create, company, certificate, relay_config
):
    """The other side of the test above: the same relay, reached without STARTTLS, takes
    neither the password nor the message."""
    inbox = TlsInbox()
    with _starttls_relay(certificate, inbox) as port:
        relay_config(port, "none")
        _queue_one(app, create, company)
        report = deliver_pending(worker="test")
    assert (report.sent, report.retrying) == (0, 1)
    assert inbox.messages == []
    assert "AUTH" in _row(db).last_error


def test_starttls_against_a_server_that_does_not_offer_it_sends_nothing(
    app, db, create, company, relay_config
):
    inbox = Inbox()
    with running_smtp(inbox) as port:  # plain SMTP: no STARTTLS advertised
        relay_config(port, "starttls")
        _queue_one(app, create, company)
        report = deliver_pending(worker="test")
    assert (report.sent, report.retrying) == (0, 1)
    assert inbox.messages == [], "never falls back to sending in the clear"
    assert "STARTTLS" in _row(db).last_error


def test_an_untrusted_relay_certificate_is_refused(
    app, db, create, company, certificate, relay_config
):
    inbox = TlsInbox()
    with _starttls_relay(certificate, inbox) as port:
        relay_config(port, "starttls", trust=False)  # system CAs only
        _queue_one(app, create, company)
        report = deliver_pending(worker="test")
    assert (report.sent, report.retrying) == (0, 1)
    assert inbox.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in _row(db).last_error


def test_ssl_speaks_tls_from_the_first_byte(app, db, create, company, certificate, relay_config):
    inbox = TlsInbox()
    server = running_smtp(
        inbox,
        ssl_context=_server_tls(certificate),
        auth_require_tls=False,  # aiosmtpd counts only STARTTLS; this socket is TLS already
        authenticator=_authenticator,
    )
    with server as port:
        relay_config(port, "ssl")
        _queue_one(app, create, company)
        report = deliver_pending(worker="test")
        assert report.sent == 1, _row(db).last_error
    assert inbox.sessions == [{"tls": True, "auth": True}]
