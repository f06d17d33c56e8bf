"""Helpers tests import: sign a client in, read a response's visible text, the emails
queued of one kind."""

import re
from datetime import timedelta

from sqlalchemy import select

from fieldportal.extensions import db
from fieldportal.models import AuthSession, Contact, OutboxEmail, SignInMethod, StaffUser, utcnow
from fieldportal.services.auth.tokens import new_token, token_hash


def sign_in(client, principal, method: SignInMethod | None = None) -> AuthSession:
    """Give this client a live server-side session for a staff user, contact or fleet."""
    token = new_token()
    row = AuthSession(
        token_hash=token_hash(token),
        company_id=principal.company_id,
        expires_at=utcnow() + client.application.config["STAFF_ABSOLUTE_TIMEOUT"],
        method=method or SignInMethod.STAFF_PASSWORD,
    )
    if isinstance(principal, StaffUser):
        row.staff_user_id = principal.id
    elif isinstance(principal, Contact):
        row.contact_id = principal.id
        row.customer_id = principal.customer_id
        row.method = method or SignInMethod.MAGIC_LINK
    else:
        row.customer_id = principal.id
        row.method = method or SignInMethod.TOKEN_URL
    db.session.add(row)
    db.session.flush()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return row


def age_session(row: AuthSession, *, signed_in_ago: timedelta, idle_for: timedelta) -> None:
    """Make a session look as if it began ``signed_in_ago`` (its absolute expiry moves
    with it) and was last used ``idle_for`` ago."""
    row.created_at -= signed_in_ago
    row.expires_at -= signed_in_ago
    row.last_seen_at = utcnow() - idle_for
    db.session.flush()


def text_of(response) -> str:
    """The visible text of an HTML response, tags stripped and whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def first_contact(customer) -> Contact:
    """The customer's first contact, read from the database (a request in between expires
    what the test holds, and relationships do not load lazily)."""
    return db.session.scalars(
        select(Contact).where(Contact.customer_id == customer.id).order_by(Contact.id)
    ).first()


def next_page_href(response) -> str:
    """The href of a list's Next link (a keyset page has no page number to guess)."""
    [href] = re.findall(r'<a rel="next" href="([^"]+)"', response.get_data(as_text=True))
    return href.replace("&amp;", "&")


def queued_emails(kind: str) -> list[OutboxEmail]:
    """The outbox's emails of this kind (``appointment_reminder``, ``on_my_way``…), oldest
    first."""
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
        )
    )
