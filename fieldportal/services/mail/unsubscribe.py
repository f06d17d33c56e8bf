"""Unsubscribing from reminder and notification emails: the signed link, its one-click POST (RFC 8058) and
the opt-outs it records. Sign-in links, credentials, invoices and quotes themselves are
not reminders and cannot be unsubscribed from.

An opt-out belongs to an address at a company and a reminder kind, so it holds whether
the reminder went to a contact or to the customer's own email, and survives the contact
being re-created. The link carries (company, address, kind) signed with SECRET_KEY: it
can only ever stop reminders to the address it was sent to, so it needs no expiry.
"""

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Company, EmailOptOut, ReminderKind
from .. import audit

_SALT = "fieldportal.unsubscribe"
# The email kinds one can unsubscribe from, and the reminder kind each belongs to.
UNSUBSCRIBABLE = {kind.email_kind: kind for kind in ReminderKind}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_path(company_id: int, address: str, kind: ReminderKind) -> str:
    from .mailer import site_path

    token = _serializer().dumps([company_id, address.lower(), kind.value])
    return site_path("unsubscribe.unsubscribe", token=token)


def unsubscribe_url(company_id: int, address: str, kind: ReminderKind) -> str:
    return current_app.config["BASE_URL"] + unsubscribe_path(company_id, address, kind)


def read_token(token: str) -> tuple[Company, str, ReminderKind] | None:
    """(company, address, kind) of a link we signed; None for anything else."""
    try:
        company_id, address, kind = _serializer().loads(token)
        read = int(company_id), str(address), ReminderKind(kind)
    except (BadData, TypeError, ValueError):
        return None
    company = db.session.get(Company, read[0])
    return (company, read[1], read[2]) if company is not None else None


def is_opted_out(company_id: int, address: str, kind: ReminderKind) -> bool:
    return (
        db.session.scalar(
            select(EmailOptOut.id).where(
                EmailOptOut.company_id == company_id,
                EmailOptOut.address == address.lower(),
                EmailOptOut.kind == kind,
            )
        )
        is not None
    )


def opt_out(company_id: int, address: str, kind: ReminderKind) -> None:
    """Record the opt-out (once: asking again changes nothing)."""
    if is_opted_out(company_id, address, kind):
        return
    try:
        with db.session.begin_nested():
            db.session.add(EmailOptOut(company_id=company_id, address=address.lower(), kind=kind))
    except IntegrityError:
        pass  # the same click twice at once: recorded by the other


def opt_in(company_id: int, address: str, kind: ReminderKind) -> None:
    db.session.execute(
        delete(EmailOptOut).where(
            EmailOptOut.company_id == company_id,
            EmailOptOut.address == address.lower(),
            EmailOptOut.kind == kind,
        )
    )


def wanted_kinds(company_id: int, address: str) -> dict[ReminderKind, bool]:
    """Each reminder kind and whether this address still wants it."""
    stopped = set(
        db.session.scalars(
            select(EmailOptOut.kind).where(
                EmailOptOut.company_id == company_id, EmailOptOut.address == address.lower()
            )
        )
    )
    return {kind: kind not in stopped for kind in ReminderKind}


def set_wanted_kinds(
    company_id: int, address: str, wanted: dict[ReminderKind, bool], *, by=None, contact=None
) -> None:
    """Record the choice; staff (``by``) changing a contact's choice is audited."""
    for kind, on in wanted.items():
        (opt_in if on else opt_out)(company_id, address, kind)
    if by is not None:
        audit.record(
            company_id,
            "contact.reminders_updated",
            actor=by,
            subject=contact,
            **{kind.value: "on" if on else "off" for kind, on in wanted.items()},
        )
