import socket
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """Collects what a real SMTP server on loopback receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_smtp(handler, **server_options):
    """An aiosmtpd server on a free loopback port for ``handler``; yields the port.
    ``server_options``: aiosmtpd's (tls_context, require_starttls, authenticator, …)."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **server_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(app):
    """A running SMTP server; the app is configured to use it for the test."""
    inbox = Inbox()
    previous = {
        key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "MAIL_FROM")
    }
    with running_smtp(inbox) as port:
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_SECURITY="none",
            MAIL_FROM="Acme <no-reply@acme.test>",
        )
        inbox.port = port
        try:
            yield inbox
        finally:
            app.config.update(previous)
