"""Getting into the portal: magic links, fleet token URLs, passwords, activation, PINs.

Tokens are 256-bit, shown once, stored as SHA-256 only. A magic link is consumed by one
atomic UPDATE, so concurrent POSTs of the same link give exactly one session.
"""

import enum
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    AuthSession,
    Company,
    Contact,
    Customer,
    LoginLink,
    LoginMethod,
    SignInMethod,
    utcnow,
)
from ...safe_redirect import safe_next_path
from .. import audit, phones
from ..auth import lockout
from ..auth.auth_sessions import end_sessions, start_session
from ..auth.passwords import hash_secret, password_problem
from ..auth.throttle import link_request_allowed
from ..auth.tokens import new_token, token_hash
from ..errors import Invalid
from ..mail import mailer
from . import sign_in_methods

TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=24)


class LinkState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # expired, used or replaced by a newer link: offer a fresh one
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkLookup:
    state: LinkState
    link: LoginLink | None = None


@dataclass(frozen=True)
class LinkOutcome:
    """What the answer to a sign-in link's POST needs: the contact now signed in and the
    page to go to (``return_path``, always a page of this portal), or why it was refused
    (``refused``: UNKNOWN → 404, EXPIRED → 410 with "send me a new link")."""

    contact: Contact | None = None
    return_path: str = ""
    refused: LinkState | None = None


def contact_for_email(company: Company, email: str) -> Contact | None:
    """The active portal contact of this company with this email (case-insensitive)."""
    return db.session.scalar(
        select(Contact).where(
            Contact.company_id == company.id,
            func.lower(Contact.email) == email.strip().lower(),
            Contact.removed_at.is_(None),
            Contact.portal_access.is_(True),
        )
    )


def contact_for_phone(company: Company, phone: str) -> Contact | None:
    """The active portal contact of this company with this phone number, however it is
    written ("020 7946 0101" or "+44 20 7946 0101" at a London company): the number read
    in the company's region, looked up by its E.164 form (the unique index on company and
    phone), so no other contact is read."""
    e164 = phones.e164_or_none(phone, phones.home_region(company))
    if e164 is None:
        return None
    return db.session.scalar(
        select(Contact).where(
            Contact.company_id == company.id,
            Contact.phone == e164,
            Contact.removed_at.is_(None),
            Contact.portal_access.is_(True),
        )
    )


def login_link_lifetime() -> timedelta:
    """How long a sign-in link works (LOGIN_LINK_MINUTES); emails say so in these words."""
    return current_app.config["LOGIN_LINK_LIFETIME"]


def login_link_expiry() -> datetime:
    """When a sign-in link issued now stops working."""
    return utcnow() + login_link_lifetime()


def cancel_outstanding_links(*where) -> None:
    """Every unused sign-in link matching ``where`` stops working."""
    db.session.execute(
        update(LoginLink)
        .where(*where, LoginLink.used_at.is_(None), LoginLink.invalidated_at.is_(None))
        .values(invalidated_at=utcnow())
    )


def issue_login_link(contact: Contact, *, requested_ip: str | None = None) -> str:
    """A new single-use sign-in link token for the contact; every earlier one stops working.
    Returns the raw token (for the email); only its hash is stored."""
    now = utcnow()
    cancel_outstanding_links(LoginLink.contact_id == contact.id)
    token = new_token()
    db.session.add(
        LoginLink(
            company_id=contact.company_id,
            contact_id=contact.id,
            token_hash=token_hash(token),
            expires_at=login_link_expiry(),
            requested_ip=requested_ip,
        )
    )
    if contact.invited_at is None:
        contact.invited_at = now
    return token


def portal_page_or_none(company: Company, path: str | None) -> str | None:
    """``path`` when it is a page of this company's portal (a safe ``next``), else None."""
    target = safe_next_path(path, "")
    return target if target.startswith(f"/portal/{company.slug}/") else None


def after_sign_in_path(company: Company, *wanted: str | None) -> str:
    """Where a contact goes once signed in: the first of ``wanted`` that is a page of this
    company's portal, else its dashboard."""
    for path in wanted:
        target = portal_page_or_none(company, path)
        if target:
            return target
    return url_for("portal.dashboard", company_slug=company.slug)


def sign_in(contact: Contact, via: LoginMethod) -> None:
    """Start the contact's session (the cookie is set with the response) and record it."""
    start_session(contact, method_for(contact, via))
    contact.last_login_at = utcnow()
    audit.record(
        contact.company_id, "portal.signed_in", actor=contact, subject=contact, method=via.value
    )


def sign_in_with_link(
    company: Company, token: str, *, next_path: str | None, remembered_path: str | None
) -> LinkOutcome:
    """Redeem a sign-in link (the POST of its page). ``next_path``: the page the link's
    email led to; ``remembered_path``: the page the contact was sent away from before
    asking for the link. The link is consumed by one atomic UPDATE (``consume_link``), so
    of many concurrent redemptions exactly one signs in; the others are refused EXPIRED.
    Nothing is committed here: the commit point does it with the response."""
    contact = consume_link(company, token)
    if contact is None:
        lookup = look_up_link(company, token)
        unknown = lookup.state == LinkState.UNKNOWN
        return LinkOutcome(refused=LinkState.UNKNOWN if unknown else LinkState.EXPIRED)
    sign_in(contact, LoginMethod.MAGIC_LINK)
    return LinkOutcome(
        contact=contact, return_path=after_sign_in_path(company, next_path, remembered_path)
    )


def sign_in_with_password(company: Company, email: str, password: str) -> Contact | None:
    """Sign in with email and password: the contact, or None when refused. A refusal may
    have counted a failed attempt towards the lockout, which must be kept
    (``transaction.keep_changes_on_refusal()``)."""
    contact = authenticate_password(company, email, password)
    if contact is None or (
        contact.password_is_temporary and not company.allows_login(LoginMethod.ACTIVATION)
    ):
        return None
    sign_in(contact, LoginMethod.PASSWORD)
    return contact


def sign_in_with_pin(company: Company, phone: str, pin: str) -> Contact | None:
    """Sign in with phone number and PIN: the contact, or None when refused (a counted
    failed attempt is kept, as for a password)."""
    contact = authenticate_pin(company, phone, pin)
    if contact is not None:
        sign_in(contact, LoginMethod.PIN)
    return contact


def send_fresh_link(company: Company, token: str, *, requested_ip, next_path) -> None:
    """ "Send me a new link" from an expired or used link's page: a new link to the same
    contact, within the per-address and per-IP throttles. Nothing is said either way."""
    lookup = look_up_link(company, token)
    if lookup.link is None:
        return
    contact = lookup.link.contact
    if contact.email and link_request_allowed(contact.email.lower(), requested_ip):
        send_login_link(contact, fresh=True, requested_ip=requested_ip, next_path=next_path)


def sign_in_url(company: Company, token: str, next_path: str | None = None) -> str:
    """The emailed sign-in link; with ``next_path`` (a page of this portal) it leads there."""
    values = {"company_slug": company.slug, "token": token}
    next_path = portal_page_or_none(company, next_path)
    if next_path:
        values["next"] = next_path
    return mailer.absolute_url("portal.open_link", **values)


def send_login_link(
    contact: Contact,
    *,
    fresh: bool = False,
    requested_ip: str | None = None,
    next_path: str | None = None,
) -> None:
    """Issue a link and queue its email (in the caller's transaction). ``next_path``: the
    portal page the customer was on their way to, so the link leads there even when it is
    opened in another browser."""
    token = issue_login_link(contact, requested_ip=requested_ip)
    company = contact.company
    mailer.queue(
        to=contact.email,
        kind="fresh_link" if fresh else "magic_link",
        subject=f"Your sign-in link for {company.name}",
        template="fresh_link" if fresh else "magic_link",
        company=company,
        related=contact,
        contact=contact,
        link=sign_in_url(company, token, next_path),
        secrets_expire_at=login_link_expiry(),
        link_lifetime=login_link_lifetime(),
    )
    audit.record(company.id, "portal.link_sent", subject=contact, customer_id=contact.customer_id)


def request_login_link(
    company: Company, email: str, *, requested_ip: str | None, next_path: str | None = None
) -> None:
    """Answer "email me a link" for ``email``: the contact it belongs to gets a sign-in
    link, an address without a portal account an email saying so. Either way one email is
    rendered and queued and one audit event recorded, so the time the answer takes says as
    little as the answer itself about which addresses have an account (QUALITY.md 7;
    bench/links.py measures both)."""
    contact = contact_for_email(company, email)
    if contact is not None:
        send_login_link(contact, requested_ip=requested_ip, next_path=next_path)
        return
    mailer.queue(
        to=email,
        kind="no_account",
        subject=f"Signing in to {company.name}",
        template="no_account",
        company=company,
        email=email,
        link=mailer.absolute_url("portal.sign_in", company_slug=company.slug),
    )
    audit.record(company.id, "portal.link_requested_without_account", email=email)


def look_up_link(company: Company, token: str) -> LinkLookup:
    """What a link is, without consuming it (GET and HEAD are scanner-safe)."""
    link = db.session.scalar(
        select(LoginLink)
        .where(LoginLink.token_hash == token_hash(token), LoginLink.company_id == company.id)
        .options(joinedload(LoginLink.contact).joinedload(Contact.company))
    )
    if link is None:
        return LinkLookup(LinkState.UNKNOWN)
    if link.used_at or link.invalidated_at or link.expires_at <= utcnow():
        return LinkLookup(LinkState.EXPIRED, link)
    return LinkLookup(LinkState.VALID, link)


def consume_link(company: Company, token: str) -> Contact | None:
    """Use a link: one atomic UPDATE … WHERE unused, not replaced, not expired. The contact
    when this call won, None when the link was already used, expired or unknown."""
    now = utcnow()
    result = db.session.execute(
        update(LoginLink)
        .where(
            LoginLink.token_hash == token_hash(token),
            LoginLink.company_id == company.id,
            LoginLink.used_at.is_(None),
            LoginLink.invalidated_at.is_(None),
            LoginLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(LoginLink.contact_id)
    )
    contact_id = result.scalar_one_or_none()
    if contact_id is None:
        return None
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.removed_at or not contact.portal_access:
        return None
    return contact


def fleet_for_token(token: str) -> Customer | None:
    """The fleet whose current portal token this is (a regenerated token finds nothing)."""
    customer = db.session.scalar(
        select(Customer)
        .where(Customer.portal_token_hash == token_hash(token))
        .options(joinedload(Customer.company))
    )
    if customer is None or not customer.portal_enabled or customer.archived_at:
        return None
    return customer


def regenerate_fleet_token(fleet: Customer, *, by=None) -> str:
    """A new fleet portal token; the old URL stops working and its sessions end."""
    token = new_token()
    fleet.portal_token_hash = token_hash(token)
    fleet.portal_token_created_at = utcnow()
    end_sessions(customer_id=fleet.id, method=SignInMethod.TOKEN_URL)
    audit.record(
        fleet.company_id,
        "fleet.portal_token_regenerated",
        actor=by,
        subject=fleet,
        customer_id=fleet.id,
        summary=f"Regenerated the portal link of {fleet.name}",
    )
    return token


def fleet_portal_url(token: str) -> str:
    """The fleet's portal token URL, from BASE_URL (never the Host header)."""
    return mailer.absolute_url("portal_token.open_fleet_portal", token=token)


def is_current_fleet_token(fleet: Customer, token: str | None) -> bool:
    """True when ``token`` is the fleet's current portal token (compared in constant time)."""
    return bool(token and fleet.portal_token_hash) and hmac.compare_digest(
        token_hash(token), fleet.portal_token_hash
    )


class FleetShareError(ValueError):
    """The fleet's portal link cannot be emailed now; the message says why."""


def email_fleet_portal_link(
    fleet: Customer, *, to: str, message: str = "", shown_token: str | None = None, by=None
) -> str:
    """Queue an email with the fleet's portal link to ``to``; return the raw token sent.

    Only the token's hash is stored, so the link cannot be recovered: ``shown_token`` is
    the link staff were just shown (it must still be the current one), and without it a
    new link is made, which ends the old one as "Regenerate" does."""
    company = fleet.company
    if not (
        fleet.portal_enabled and company.portal_open and company.allows_login(LoginMethod.TOKEN_URL)
    ):
        raise FleetShareError(
            "The portal link of this fleet is switched off; turn the portal on first. "
            "Nothing was sent."
        )
    if shown_token is not None and not is_current_fleet_token(fleet, shown_token):
        raise FleetShareError(
            "That portal link has been replaced since this page was loaded. Nothing was sent."
        )
    token = shown_token or regenerate_fleet_token(fleet, by=by)
    mailer.queue(
        to=to,
        kind="fleet_link",
        # Not starting with the fleet's name: "Metro: …" to someone@metro.com reads as
        # brand spoofing to spam filters (PDS_BRAND_SUBJ_NAKED_TO).
        subject=f"Your {fleet.name} service portal with {company.name}",
        template="fleet_link",
        company=company,
        related=fleet,
        fleet=fleet,
        link=fleet_portal_url(token),
        message=message,
    )
    audit.record(
        company.id,
        "fleet.portal_link_emailed",
        actor=by,
        subject=fleet,
        customer_id=fleet.id,
        summary=f"Emailed the portal link of {fleet.name} to {to}",
        to=to,
        new_link=shown_token is None,
    )
    return token


def _locked_out(contact: Contact) -> None:
    audit.record(
        contact.company_id, "portal.locked_out", subject=contact, customer_id=contact.customer_id
    )


def _check_secret(contact: Contact | None, secret_hash_of, secret: str) -> Contact | None:
    secret_hash = secret_hash_of(contact) if contact is not None else None
    if not lockout.check_secret(contact, secret_hash, secret, on_lock=_locked_out):
        return None
    return contact


def authenticate_password(company: Company, email: str, password: str) -> Contact | None:
    """The contact for this email and password (permanent or unexpired temporary), or None.
    Ten failures lock the contact for 15 minutes; answers never say which part was wrong.
    A permanent password signs in only while "Username and password" is on, a temporary
    one only while "Activation email" is on (sign_in_methods)."""
    contact = _check_secret(contact_for_email(company, email), lambda c: c.password_hash, password)
    if contact and not sign_in_methods.password_allowed(company, contact):
        return None
    if (
        contact
        and contact.password_is_temporary
        and (
            contact.temporary_password_expires_at is None
            or contact.temporary_password_expires_at <= utcnow()
        )
    ):
        return None
    return contact


def authenticate_pin(company: Company, phone: str, pin: str) -> Contact | None:
    return _check_secret(contact_for_phone(company, phone), lambda c: c.pin_hash, pin)


def method_for(contact: Contact, via: LoginMethod) -> SignInMethod:
    if via == LoginMethod.PASSWORD and contact.password_is_temporary:
        return SignInMethod.ACTIVATION
    return SignInMethod(via.value)


def set_password(
    contact: Contact, password: str, *, temporary: bool = False, keep: AuthSession | None = None
) -> None:
    """Store a new password and end every session of the contact (QUALITY.md 15) except
    ``keep``: the session of the contact who chose it, which stays signed in."""
    contact.password_hash = hash_secret(password)
    contact.password_is_temporary = temporary
    contact.temporary_password_expires_at = (
        utcnow() + TEMPORARY_PASSWORD_LIFETIME if temporary else None
    )
    lockout.clear(contact)
    end_sessions(contact_id=contact.id, keep=keep)


def choose_password(contact: Contact, password: str) -> None:
    """The contact replaces a temporary password with one of their own; their other
    sessions end, this one stays. Invalid (on ``password``) for a weak password."""
    problem = password_problem(password)
    if problem:
        raise Invalid(errors={"password": [problem]})
    set_password(contact, password, keep=contact.auth_session)
    audit.record(contact.company_id, "portal.password_changed", actor=contact, subject=contact)


def send_activation(contact: Contact, *, by=None) -> None:
    """A temporary password (24 h, single use) emailed to the contact."""
    temporary = secrets.token_urlsafe(9)
    set_password(contact, temporary, temporary=True)
    contact.invited_at = contact.invited_at or utcnow()
    company = contact.company
    mailer.queue(
        to=contact.email,
        kind="activation",
        subject=f"Your {company.name} portal account",
        template="activation",
        company=company,
        related=contact,
        contact=contact,
        temporary_password=temporary,
        password_lifetime=TEMPORARY_PASSWORD_LIFETIME,
        secrets_expire_at=contact.temporary_password_expires_at,
        link=mailer.absolute_url("portal.sign_in", company_slug=company.slug),
    )
    audit.record(
        company.id,
        "portal.activation_sent",
        actor=by,
        subject=contact,
        customer_id=contact.customer_id,
    )


def set_pin(contact: Contact, pin: str, *, by=None) -> None:
    contact.pin_hash = hash_secret(pin)
    lockout.clear(contact)
    end_sessions(contact_id=contact.id, method=SignInMethod.PIN)
    audit.record(
        contact.company_id,
        "portal.pin_set",
        actor=by,
        subject=contact,
        customer_id=contact.customer_id,
    )


def phone_ending(phone: str) -> str:
    """The last four digits of a phone number: enough for its owner to know which number
    to sign in with, not enough to make the PIN email a complete credential on its own."""
    return "".join(char for char in phone if char.isdigit())[-4:]


def email_pin(contact: Contact, pin: str, *, message: str = "") -> None:
    """Queue the email that gives the contact a PIN, saying which phone number goes with it."""
    company = contact.company
    mailer.queue(
        to=contact.email,
        kind="pin_credentials",
        subject=f"Your {company.name} portal PIN",
        template="pin_credentials",
        company=company,
        related=contact,
        contact=contact,
        pin=pin,
        phone_ending=phone_ending(contact.phone),
        message=message,
        link=mailer.absolute_url("portal.sign_in", company_slug=company.slug),
    )
