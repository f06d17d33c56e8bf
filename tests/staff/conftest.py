"""Helpers of the staff-account tests: the emails the app queued and the links in them."""

import re

from sqlalchemy import select

from fieldportal.models import OutboxEmail
from fieldportal.services.mail.outbox_secrets import reveal

HX = {"HX-Request": "true"}
NEW_PASSWORD = "a much better secret"


def emails(db, kind: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(query))


def token_in(email: OutboxEmail, path: str) -> str:
    """The token of the https://portal.example.test<path><token> link the email carries."""
    text, _ = reveal(email)
    [token] = re.findall(rf"https://portal\.example\.test{path}([A-Za-z0-9_-]{{43}})", text)
    return token
