"""The sign-up confirmation travels through the outbox to a real SMTP server, and the link
it carries confirms the company; the stored copy never held it."""

import email
import re
from email import policy

from sqlalchemy import select

from fieldportal.models import Company, OutboxEmail, OutboxStatus
from fieldportal.services.mail.outbox_delivery import deliver_pending

from .test_signup import FORM


def test_the_confirmation_is_delivered_over_smtp_and_its_link_confirms(
    app, client, db, smtp_server
):
    assert client.post("/signup", data=FORM).status_code == 303
    assert deliver_pending(worker="test").sent == 1
    [envelope] = smtp_server.messages
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["To"] == "bea@bright-sparks.example"
    assert message["Subject"] == "Confirm your email to start Bright Sparks Ltd on fieldportal"
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https://portal\.example\.test/signup/confirm/[A-Za-z0-9_-]{43}", text)
    stored = db.session.scalar(select(OutboxEmail))
    assert stored.status == OutboxStatus.SENT and stored.secrets_ciphertext is None
    assert link not in stored.text_body + stored.html_body
    path = link.removeprefix("https://portal.example.test")
    assert client.post(path).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Company).where(Company.slug == "bright-sparks")).is_live
