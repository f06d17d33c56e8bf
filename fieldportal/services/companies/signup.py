"""A company comes into being: self-serve sign-up (confirmed by email before it goes live)
or ``flask create-company`` (live at once; the owner chooses a password through a printed
one-time link).

Sign-up answers the same page whether or not the owner's address is in use: a new address
gets the confirmation link, one already in use an email saying what happened (QUALITY.md
7). Unconfirmed sign-ups are released once their link has expired, so a name and an
address cannot be held by someone who never confirmed.
"""

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from limits import parse
from sqlalchemy import and_, delete, exists, select

from ...extensions import db, limiter
from ...models import (
    Company,
    Plan,
    SetupLink,
    SetupPurpose,
    StaffRole,
    StaffUser,
    utcnow,
)
from .. import audit, tenancy
from ..auth import staff_passwords
from ..auth.passwords import hash_secret, password_problem
from ..auth.staff_auth import staff_for_email
from ..auth.tokens import new_token
from ..errors import Invalid, NotFound
from ..mail import mailer
from . import countries, links

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN, SLUG_MAX = 3, 40
# Words that name a part of the installation (or might one day) rather than a company:
# a portal at /portal/admin/ or /portal/api/ would mislead the people who open it.
RESERVED_SLUGS = frozenset(
    {
        "about", "account", "accounts", "admin", "administrator", "api", "app", "assets",
        "auth", "billing", "blog", "company", "dashboard", "demo", "docs", "example",
        "fieldportal", "health", "healthz", "help", "home", "invite", "invites", "login",
        "logout", "mail", "new", "null", "operator", "password", "platform", "portal",
        "pricing", "privacy", "root", "security", "settings", "sign-in", "sign-up",
        "signin", "signup", "staff", "static", "status", "support", "system", "terms",
        "test", "undefined", "webhooks", "welcome", "www",
    }
)  # fmt: skip

SIGNUPS_PER_ADDRESS = parse("3 per hour")
SIGNUPS_PER_IP = parse("10 per hour")


class TooManySignUps(Exception):
    """This network started too many sign-ups in the last hour."""


@dataclass(frozen=True)
class NewCompany:
    """What a new company starts with (everything but the owner's password)."""

    name: str
    slug: str
    owner_email: str
    owner_name: str = ""
    country: str = "US"
    time_zone: str = ""  # "" = the country's proposal
    currency: str = ""

    def completed(self) -> "NewCompany":
        """Blank time zone and currency filled in from the country; the email lowercased."""
        proposal = (
            countries.proposal_for(self.country) if countries.is_country(self.country) else None
        )
        return NewCompany(
            name=" ".join(self.name.split()),
            slug=self.slug.strip().lower(),
            owner_email=self.owner_email.strip().lower(),
            owner_name=" ".join(self.owner_name.split()),
            country=self.country,
            time_zone=self.time_zone or (proposal.time_zone if proposal else ""),
            currency=self.currency or (proposal.currency if proposal else ""),
        )


def propose_slug(name: str) -> str:
    """A slug from a company name: "Ça Va Plumbing & Heating" → "ca-va-plumbing-heating"."""
    ascii_name = unicodedata.normalize("NFKD", name.replace("’", "'"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    ascii_name = ascii_name.replace("'", "")  # Zoë's Vans → zoes-vans
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    if len(slug) < SLUG_MIN:
        return ""
    return slug if slug not in RESERVED_SLUGS else f"{slug}-co"


def slug_problem(slug: str, *, owner_email: str | None = None) -> str | None:
    """Why a slug cannot be used, or None (format, reserved words, taken). A sign-up
    waiting for ``owner_email`` to confirm it does not count as taken for that address:
    sending the form again is asking for the link again."""
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        return f"Use {SLUG_MIN} to {SLUG_MAX} characters."
    if not SLUG_PATTERN.match(slug):
        return "Use lowercase letters, digits and single hyphens (like acme-mechanics)."
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved. Choose another web address."
    taken = tenancy.company_by_slug(slug)
    if taken is not None and not (owner_email and _awaits(taken, owner_email)):
        return "Another company has this web address. Choose another."
    return None


def _awaits(company: Company, owner_email: str) -> bool:
    """Whether ``company`` is a sign-up waiting for ``owner_email`` to confirm it."""
    if company.is_live:
        return False
    return bool(
        db.session.scalar(
            select(StaffUser.id).where(
                StaffUser.company_id == company.id, StaffUser.email == owner_email
            )
        )
    )


def email_problem(email: str) -> str | None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Enter an email address like name@example.com."
    return None


def problems(new: NewCompany, *, signing_up: bool = False) -> dict[str, list[str]]:
    """Every field of ``new`` the rules refuse, with its message (the address only for its
    form: whether it is in use is not said here)."""
    found: dict[str, list[str]] = {}

    def refuse(field: str, message: str | None) -> None:
        if message:
            found.setdefault(field, []).append(message)

    refuse(
        "name",
        None if 0 < len(new.name) <= 120 else "Give the company's name (up to 120 characters).",
    )
    refuse("slug", slug_problem(new.slug, owner_email=new.owner_email if signing_up else None))
    refuse(
        "country", None if countries.is_country(new.country) else "Choose a country from the list."
    )
    refuse(
        "time_zone",
        None if countries.is_time_zone(new.time_zone) else "Choose a time zone from the list.",
    )
    refuse(
        "currency",
        None if countries.is_currency(new.currency) else "Choose a currency from the list.",
    )
    refuse("owner_name", None if len(new.owner_name) <= 120 else "Use up to 120 characters.")
    refuse("owner_email", email_problem(new.owner_email))
    return found


def _create(
    new: NewCompany, *, plan: Plan, live: bool, password_hash: str, owner_active: bool, via: str
) -> StaffUser:
    proposal = countries.proposal_for(new.country)
    company = Company(
        name=new.name,
        slug=new.slug,
        email=new.owner_email,
        country=new.country,
        time_zone=new.time_zone,
        currency=new.currency,
        locale=proposal.locale,
        paper_size="Letter" if new.country in ("US", "CA", "MX", "PH") else "A4",
        plan=plan,
    )
    db.session.add(company)
    db.session.flush()
    if not live:
        # After the INSERT: a None given to it would have been taken for "use the default".
        company.live_at = None
    owner = StaffUser(
        company_id=company.id,
        email=new.owner_email,
        name=new.owner_name or new.owner_email.split("@")[0],
        role=StaffRole.OWNER,
        password_hash=password_hash,
        active=owner_active,
    )
    db.session.add(owner)
    db.session.flush()
    audit.record(
        company.id,
        "company.created",
        subject=company,
        summary=f"Created {company.name} ({via}), owner {owner.email}",
        via=via,
        plan=plan.value,
    )
    return owner


# --- flask create-company ---------------------------------------------------------------


def create_for_self_hoster(new: NewCompany, *, plan: Plan = Plan.PRO) -> tuple[StaffUser, str]:
    """A live company whose owner chooses a password through the returned one-time link.
    Invalid (field messages) for a taken slug, an address in use or any bad value."""
    new = new.completed()
    found = problems(new)
    if not found.get("owner_email") and staff_for_email(new.owner_email):
        found["owner_email"] = ["A staff account with this email already exists."]
    if found:
        raise Invalid(errors=found)
    # Nobody knows this password: the owner signs in once they chose their own.
    owner = _create(
        new,
        plan=plan,
        live=True,
        password_hash=hash_secret(new_token()),
        owner_active=True,
        via="command",
    )
    return owner, owner_password_link(owner)


def owner_password_link(owner: StaffUser) -> str:
    """A new one-time link for ``owner`` to choose a password (earlier ones stop working)."""
    token = links.issue(SetupPurpose.OWNER_PASSWORD, owner)
    return links.url_for_token(SetupPurpose.OWNER_PASSWORD, token)


def first_owner(company_slug: str) -> StaffUser:
    """The company's first owner (flask owner-link); NotFound for an unknown slug."""
    owner = db.session.scalar(
        select(StaffUser)
        .join(Company, Company.id == StaffUser.company_id)
        .where(Company.slug == company_slug, StaffUser.role == StaffRole.OWNER)
        .order_by(StaffUser.id)
        .limit(1)
    )
    if owner is None:
        raise NotFound(f"No company with the slug {company_slug!r} (or it has no owner).")
    return owner


def choose_owner_password(token: str, *, name: str, password: str) -> StaffUser:
    """The owner named in the link sets their name and password; the link is used up.
    Invalid on ``password`` for a weak one (the link stays usable), NotFound when the link
    is expired, used or unknown."""
    owner = staff_passwords.redeem_link(SetupPurpose.OWNER_PASSWORD, token, password)
    owner.name = " ".join(name.split()) or owner.name
    owner.active = True
    audit.record(
        owner.company_id,
        "staff.password_chosen",
        actor=owner,
        subject=owner,
        summary="Chose a password",
    )
    return owner


# --- self-serve sign-up ------------------------------------------------------------------


def signup_plan() -> Plan:
    """The plan a self-serve sign-up starts on (SIGNUP_PLAN; platform admins change it)."""
    return Plan(current_app.config.get("SIGNUP_PLAN", Plan.FREE.value))


def _allowed(email: str, ip_address: str | None) -> bool:
    """Count one sign-up; TooManySignUps when the network is over its limit, False when
    the address is (answered like any other, without sending)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    strategy = limiter.limiter
    if not strategy.hit(SIGNUPS_PER_IP, "signup-ip", ip_address or "unknown"):
        raise TooManySignUps
    return strategy.hit(SIGNUPS_PER_ADDRESS, "signup-address", email)


def release_expired_signups() -> int:
    """Delete the companies whose sign-up was never confirmed and whose every link has
    expired: their name and address are free again. Returns how many went."""
    now = utcnow()
    live_link = exists().where(
        and_(
            SetupLink.company_id == Company.id,
            SetupLink.used_at.is_(None),
            SetupLink.invalidated_at.is_(None),
            SetupLink.expires_at > now,
        )
    )
    oldest = now - links.LIFETIMES[SetupPurpose.CONFIRM_SIGNUP]
    return db.session.execute(
        delete(Company)
        .where(Company.live_at.is_(None), Company.created_at < oldest, ~live_link)
        .execution_options(synchronize_session=False)
    ).rowcount


def _send_confirmation(owner: StaffUser, *, again: bool = False) -> None:
    token = links.issue(SetupPurpose.CONFIRM_SIGNUP, owner)
    company = owner.company
    mailer.queue(
        to=owner.email,
        kind="signup_confirm",
        subject=f"Confirm your email to start {company.name} on fieldportal",
        template="signup_confirm",
        company=company,
        related=company,
        owner=owner,
        again=again,
        link=links.url_for_token(SetupPurpose.CONFIRM_SIGNUP, token),
        link_lifetime=links.LIFETIMES[SetupPurpose.CONFIRM_SIGNUP],
        secrets_expire_at=links.expiry(SetupPurpose.CONFIRM_SIGNUP),
    )


def _tell_address_in_use(staff: StaffUser, new: NewCompany) -> None:
    company = staff.company
    mailer.queue(
        to=staff.email,
        kind="signup_address_in_use",
        subject="Someone tried to sign up to fieldportal with your address",
        template="signup_address_in_use",
        company=company,
        staff=staff,
        new_name=new.name,
        link=mailer.absolute_url("auth.login"),
    )
    audit.record(
        company.id,
        "company.signup_with_address_in_use",
        subject=staff,
        summary=f"A sign-up for “{new.name}” used {staff.email}, which belongs here",
    )


def sign_up(new: NewCompany, password: str, *, ip_address: str | None) -> None:
    """Start a company: Invalid (field messages) for bad values or a weak password;
    TooManySignUps when this network started too many. Otherwise the same outcome for
    every address: a new one gets a company waiting for confirmation and the link, one
    whose sign-up awaits confirmation that link again, one already in use an email saying
    so; an address over its own limit gets nothing."""
    release_expired_signups()
    new = new.completed()
    found = problems(new, signing_up=True)
    problem = password_problem(password)
    if problem:
        found["password"] = [problem]
    if found:
        raise Invalid(errors=found)
    # Hashed on every path, so the answer takes as long for an address in use.
    password_hash = hash_secret(password)
    if not _allowed(new.owner_email, ip_address):
        return
    staff = staff_for_email(new.owner_email)
    if staff is None:
        owner = _create(
            new,
            plan=signup_plan(),
            live=False,
            password_hash=password_hash,
            owner_active=False,
            via="sign-up",
        )
        _send_confirmation(owner)
    elif not staff.company.is_live:
        _send_confirmation(staff, again=True)
    else:
        _tell_address_in_use(staff, new)


def confirm(token: str) -> Company | None:
    """Use a confirmation link: the company goes live and its owner may sign in. The
    company, or None when the link is expired, used or unknown."""
    owner = links.consume(SetupPurpose.CONFIRM_SIGNUP, token)
    if owner is None:
        return None
    company = owner.company
    company.live_at = company.live_at or utcnow()
    owner.active = True
    audit.record(
        company.id,
        "company.confirmed",
        actor=owner,
        subject=company,
        summary=f"{company.name} went live",
    )
    return company


def resend_confirmation(token: str, *, ip_address: str | None) -> None:
    """From an expired confirmation link, a new one to the same owner while the company
    still waits (throttled like sign-up; answered the same way whatever happens)."""
    lookup = links.look_up(SetupPurpose.CONFIRM_SIGNUP, token)
    if lookup.link is None or lookup.link.company.is_live:
        return
    owner = lookup.link.staff_user
    try:
        if _allowed(owner.email, ip_address):
            _send_confirmation(owner, again=True)
    except TooManySignUps:
        return
