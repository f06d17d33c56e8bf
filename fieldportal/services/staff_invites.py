"""Staff invitations (manage_settings): an owner invites a person by email with a role;
the email carries a single-use 7-day link (services/companies/links.py, SHA-256 only; the
link travels sealed in the outbox) through which the person chooses a name and password
and is signed in.

Until then the account exists inactive, with a password nobody knows, and
``StaffUser.invited_at`` says when the invitation was sent. A new invitation to the same
person (inviting the address again, or Resend) replaces the old: its link and any copy of
it still waiting in the outbox stop working. Revoking deletes the never-used account, so
its link is gone too."""

from ..extensions import db
from ..models import Company, SetupPurpose, StaffRole, StaffUser, utcnow
from . import audit, settings
from .auth.passwords import hash_secret
from .auth.staff_auth import PasswordAccepted, after_right_password, staff_for_email
from .auth.staff_passwords import redeem_link
from .auth.tokens import new_token
from .companies import links
from .errors import Conflict, Invalid
from .mail import mailer, outbox_secrets

INVITE_LIFETIME = links.LIFETIMES[SetupPurpose.STAFF_INVITE]
REPLACED = "not sent: a newer invitation replaced this one"
WITHDRAWN = "not sent: the invitation was revoked"


def _placeholder_name(email: str) -> str:
    # Shown in the staff list until the person chooses their own name.
    return email.split("@")[0][:120]


def _send(staff: StaffUser, *, by: StaffUser | None) -> None:
    """A new link for ``staff`` by email; the earlier link, and earlier emails carrying
    it that are still queued, stop working."""
    outbox_secrets.withdraw_secrets_of("staff_invite", staff, REPLACED)
    token = links.issue(SetupPurpose.STAFF_INVITE, staff)
    staff.invited_at = utcnow()
    company = Company.owning(staff)
    mailer.queue(
        to=staff.email,
        kind="staff_invite",
        subject=f"Join {company.name} on fieldportal",
        template="staff_invite",
        company=company,
        related=staff,
        staff=staff,
        invited_by=by,
        link=links.url_for_token(SetupPurpose.STAFF_INVITE, token),
        link_lifetime=INVITE_LIFETIME,
        secrets_expire_at=links.expiry(SetupPurpose.STAFF_INVITE),
    )


def invite(company: Company, *, by: StaffUser | None, email: str, role: StaffRole) -> StaffUser:
    """Invite ``email`` to the company's staff with ``role`` and email them the link.
    Inviting someone whose invitation is still open here sends a new one (with this role)
    that replaces it; an address a staff account already uses is Invalid on ``email``."""
    email = email.strip().lower()
    staff = staff_for_email(email)
    if staff is not None and not (staff.company_id == company.id and staff.invitation_pending):
        raise Invalid(errors={"email": [settings.EMAIL_IN_USE]})
    if staff is None:
        staff = StaffUser(
            company_id=company.id,
            email=email,
            name=_placeholder_name(email),
            role=role,
            # Nobody knows this password; the person chooses their own when accepting.
            password_hash=hash_secret(new_token()),
            active=False,
        )
        db.session.add(staff)
        db.session.flush()
        action, summary = "staff.invited", f"Invited {email} as {role.value}"
    else:
        staff.role = role
        action, summary = "staff.invite_resent", f"Invited {email} again as {role.value}"
    _send(staff, by=by)
    audit.record(company.id, action, actor=by, subject=staff, summary=summary)
    return staff


def _pending(staff: StaffUser) -> None:
    if not staff.invitation_pending:
        raise Conflict(f"{staff.name} has already accepted the invitation.")


def resend(staff: StaffUser, *, by: StaffUser) -> None:
    """Send the invitation again with a new link (the old one stops working); Conflict
    once it was accepted."""
    _pending(staff)
    _send(staff, by=by)
    audit.record(
        staff.company_id,
        "staff.invite_resent",
        actor=by,
        subject=staff,
        summary=f"Sent the invitation to {staff.email} again",
    )


def revoke(staff: StaffUser, *, by: StaffUser) -> None:
    """Withdraw an invitation: the link stops working, a copy still queued is not sent,
    and the never-used account is deleted (its address is free again). Conflict once it
    was accepted (switch the account off instead)."""
    _pending(staff)
    outbox_secrets.withdraw_secrets_of("staff_invite", staff, WITHDRAWN)
    audit.record(
        staff.company_id,
        "staff.invite_revoked",
        actor=by,
        subject=staff,
        summary=f"Revoked the invitation of {staff.email}",
        email=staff.email,
    )
    db.session.delete(staff)
    db.session.flush()


def accept(token: str, *, name: str, password: str) -> PasswordAccepted:
    """The invited person chooses their name and password through the link: the account
    becomes active and is signed in as by that password (the session cookie goes with the
    response) — or half signed in, when their company requires two-factor, with setting it
    up the step left. Invalid on ``password`` for a weak one (the link stays usable);
    NotFound when the link expired, was used, replaced or revoked; of two requests racing
    with one link one wins."""
    staff = redeem_link(SetupPurpose.STAFF_INVITE, token, password)
    staff.name = " ".join(name.split()) or staff.name
    staff.active = True
    staff.invited_at = None
    audit.record(
        staff.company_id,
        "staff.invite_accepted",
        actor=staff,
        subject=staff,
        summary=f"{staff.name} accepted the invitation",
    )
    return after_right_password(staff, remember=False)
