"""Server-side sign-in sessions for staff and portal users (QUALITY.md 14-16).

The Flask-Login cookie carries a random session token; the database keeps its SHA-256.
Every request loads the row and refuses it when it was ended, has been idle too long,
is past its absolute limit, or the access behind it was revoked.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from flask_login import login_user, logout_user
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (
    AuthSession,
    Company,
    Contact,
    Customer,
    PortalPermission,
    SignInMethod,
    SignInStep,
    StaffUser,
    utcnow,
)
from .tokens import new_token, token_hash

# Writing last_seen_at on every request would turn each page view into a write.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# How long a right password waits for its second factor before signing in starts again.
HALF_SIGNED_IN_LIFETIME = timedelta(minutes=10)

# What a fleet manager opening the token URL may see: read-only, no money actions.
FLEET_TOKEN_PERMISSIONS = frozenset(
    {PortalPermission.JOBS, PortalPermission.HISTORY, PortalPermission.VEHICLES}
)


@dataclass
class FleetTokenViewer:
    """The principal of a fleet-token session: the fleet itself, read-only."""

    customer: Customer
    auth_session: AuthSession
    is_staff = False
    is_contact = False
    is_authenticated = True
    is_active = True
    is_anonymous = False

    @property
    def company(self) -> Company:
        return self.customer.company

    @property
    def company_id(self) -> int:
        return self.customer.company_id

    @property
    def customer_id(self) -> int:
        return self.customer.id

    @property
    def name(self) -> str:
        return self.customer.name

    @property
    def first_name(self) -> str:
        return self.customer.name

    all_sites = True
    sites: tuple = ()

    def may(self, permission: PortalPermission) -> bool:
        return permission in FLEET_TOKEN_PERMISSIONS

    def get_id(self) -> str | None:
        return self.auth_session.cookie_token


def _limits(session_row: AuthSession) -> tuple[timedelta, timedelta]:
    config = current_app.config
    if session_row.staff_user_id:
        return config["STAFF_IDLE_TIMEOUT"], config["STAFF_ABSOLUTE_TIMEOUT"]
    return config["PORTAL_IDLE_TIMEOUT"], config["PORTAL_ABSOLUTE_TIMEOUT"]


def start_session(principal, method: SignInMethod, remember: bool = False) -> AuthSession:
    """Create a new server-side session for a staff user, contact or fleet and sign it in."""
    token = new_token()
    row = AuthSession(
        token_hash=token_hash(token),
        method=method,
        company_id=principal.company_id,
        remember=remember,
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
        expires_at=utcnow(),
    )
    if isinstance(principal, StaffUser):
        row.staff_user_id = principal.id
    elif isinstance(principal, Contact):
        row.contact_id = principal.id
        row.customer_id = principal.customer_id
    else:
        row.customer_id = principal.id
    _, absolute = _limits(row)
    row.expires_at = utcnow() + absolute
    db.session.add(row)
    db.session.flush()
    row.cookie_token = token
    if isinstance(principal, Customer):
        principal = FleetTokenViewer(customer=principal, auth_session=row)
    else:
        principal.auth_session = row
    login_user(principal, remember=remember)
    return row


def start_half_signed_in(staff: StaffUser, step: SignInStep, remember: bool) -> AuthSession:
    """A row for a staff member whose password was right and who has ``step`` still to do
    (a two-factor code, or setting two-factor up), valid for HALF_SIGNED_IN_LIFETIME. It is
    no session: the user loader refuses it, so it reaches no page but its own step's; the
    raw token is on the row as ``cookie_token`` for the caller to keep."""
    token = new_token()
    row = AuthSession(
        token_hash=token_hash(token),
        method=SignInMethod.STAFF_PASSWORD,
        company_id=staff.company_id,
        staff_user_id=staff.id,
        remember=remember,
        awaiting=step,
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
        expires_at=utcnow() + HALF_SIGNED_IN_LIFETIME,
    )
    db.session.add(row)
    db.session.flush()
    row.cookie_token = token
    return row


def load_half_signed_in(token: str) -> AuthSession | None:
    """The half-signed-in row of ``token`` with its staff member and company, or None when
    there is none, it expired, or the account was switched off."""
    row = db.session.scalar(
        select(AuthSession)
        .where(AuthSession.token_hash == token_hash(token), AuthSession.awaiting.is_not(None))
        .options(joinedload(AuthSession.staff_user))
    )
    if row is None or row.expires_at <= utcnow() or not row.staff_user.active:
        return None
    return row


def _principal_of(row: AuthSession):
    if row.staff_user_id:
        staff = row.staff_user
        if row.awaiting is not None or not staff.active or staff.company.is_suspended:
            return None
        # The company came to require two-factor: not a session until they set it up.
        if staff.must_use_two_factor and not staff.has_two_factor:
            return None
        return staff
    if row.contact_id:
        contact = row.contact
        if contact.removed_at or not contact.portal_access or not contact.company.portal_open:
            return None
        return contact
    customer = row.customer
    if (
        not customer.company.portal_open
        or not customer.portal_enabled
        or not customer.portal_token_hash
    ):
        return None
    return FleetTokenViewer(customer=customer, auth_session=row)


def load_principal(cookie_token: str):
    """The staff user, contact or fleet viewer of a live session, or None."""
    # One query: the session with its person, their company and customer, and the
    # sites a site-scoped contact sees (every portal page asks for them). A contact's
    # customer and company are the session's own (AuthSession.customer below), which the
    # contact's relationships then find in the identity map without a query.
    row = (
        db.session.execute(
            select(AuthSession)
            .where(AuthSession.token_hash == token_hash(cookie_token))
            .options(
                joinedload(AuthSession.staff_user),
                joinedload(AuthSession.contact).joinedload(Contact.sites),
                joinedload(AuthSession.customer).joinedload(Customer.company),
            )
        )
        .unique()
        .scalar_one_or_none()
    )
    if row is None:
        return None
    now = utcnow()
    idle, _ = _limits(row)
    if now >= row.expires_at or (not row.remember and now - row.last_seen_at > idle):
        db.session.delete(row)  # committed with the response (the sign-in page it leads to)
        return None
    principal = _principal_of(row)
    if principal is None:
        return None
    row.cookie_token = cookie_token
    if not isinstance(principal, FleetTokenViewer):
        principal.auth_session = row
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now  # committed with a successful response
    return principal


def end_current_session(principal) -> None:
    """Sign out: delete the session row, so a replayed cookie is signed out too."""
    row = principal.auth_session
    if row is not None:
        db.session.execute(delete(AuthSession).where(AuthSession.id == row.id))
    logout_user()


def end_sessions(
    *,
    staff_user_id=None,
    contact_id=None,
    customer_id=None,
    portal_of_company_id=None,
    method=None,
    keep=None,
) -> int:
    """End every live session of a principal, or every portal session (contacts and fleet
    links, not staff) of a company (revocation), but ``keep``, an AuthSession to leave
    signed in; returns how many ended."""
    statement = delete(AuthSession)
    if portal_of_company_id is not None:
        statement = statement.where(
            AuthSession.company_id == portal_of_company_id, AuthSession.staff_user_id.is_(None)
        )
    elif staff_user_id is not None:
        statement = statement.where(AuthSession.staff_user_id == staff_user_id)
    elif contact_id is not None:
        statement = statement.where(AuthSession.contact_id == contact_id)
    elif customer_id is not None:
        statement = statement.where(AuthSession.customer_id == customer_id)
    else:
        raise ValueError("say whose sessions to end")
    if method is not None:
        statement = statement.where(AuthSession.method == method)
    if keep is not None:
        statement = statement.where(AuthSession.id != keep.id)
    return db.session.execute(statement).rowcount
