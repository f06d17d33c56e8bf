"""Company settings, the logo, and staff accounts (manage_settings)."""

import functools
import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image
from sqlalchemy import exists, func, or_, select

from ..extensions import db
from ..models import (
    Capability,
    Company,
    Invoice,
    InvoiceStatus,
    Quote,
    QuoteStatus,
    StaffRole,
    StaffUser,
    TwoFactorPolicy,
    utcnow,
)
from ..models.capabilities import role_can, roles_with
from . import audit, phones
from .auth.auth_sessions import end_sessions
from .auth.passwords import hash_secret, password_problem
from .auth.staff_auth import staff_for_email
from .billing.documents import logo_path
from .errors import Invalid
from .images import DamagedImage, NotAnImage, TooManyPixels, decode_image
from .portal import sign_in_methods
from .portal.portal_access_admin import end_company_portal_access

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 25_000_000  # decoded size; a small file can claim a huge canvas
LOGO_BOX = (800, 800)
ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def _refuse(field: str, message: str) -> Invalid:
    return Invalid(errors={field: [message]})


def currency_lock(company: Company) -> str | None:
    """Why the company's currency can no longer change, or None while it still can.

    Amounts are stored as cents without a currency of their own, so once a quote or an
    invoice has gone to a customer a new currency would relabel figures they were sent.
    """
    quote_sent = or_(Quote.sent_at.is_not(None), Quote.status != QuoteStatus.DRAFT)
    invoice_sent = or_(
        Invoice.sent_at.is_not(None),
        Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.PAID)),
    )
    sent = or_(
        exists().where(Quote.company_id == company.id, quote_sent),
        exists().where(Invoice.company_id == company.id, invoice_sent),
    )
    if not db.session.scalar(select(sent)):
        return None
    return (
        f"Quotes or invoices have been sent in {company.currency}, so the currency stays "
        f"{company.currency}: changing it would relabel the figures customers were sent."
    )


def _check_currency(company: Company, currency: str | None) -> None:
    if currency is None or currency == company.currency:
        return
    reason = currency_lock(company)
    if reason:
        raise Invalid(errors={"currency": [reason]})


def update_company(company: Company, *, by: StaffUser, **fields) -> list[str]:
    """Apply the settings form; returns the names of what changed (audited). The phone is
    stored in E.164; a phone that is no number, switching every sign-in method off, or a
    new currency once a quote or invoice was sent (``currency_lock``) refuses (Invalid)
    before anything changes. Switching a sign-in method off ends the portal sessions
    opened with it."""
    _check_currency(company, fields.get("currency"))
    fields = phones.normalised(fields, company)
    if "login_methods" in fields:
        fields["login_methods"] = sign_in_methods.checked(fields["login_methods"])
    methods_before = list(company.login_methods or [])
    changed = sorted(name for name, value in fields.items() if getattr(company, name) != value)
    for name, value in fields.items():
        setattr(company, name, value)
    if "login_methods" in fields:
        # The portal section was saved: its choices are made (the onboarding checklist).
        company.portal_reviewed_at = utcnow()
    if "portal_enabled" in changed and not company.portal_enabled:
        end_company_portal_access(company, by=by)
    elif "login_methods" in changed:
        sign_in_methods.end_switched_off(company, methods_before, by=by)
    db.session.flush()
    if changed:
        audit.record(
            company.id,
            "settings.updated",
            actor=by,
            subject=company,
            summary=f"Settings changed: {', '.join(changed)}",
            fields=changed,
        )
    return changed


SET_UP_YOURS_FIRST = (
    "Set up two-factor sign-in for yourself first (Your profile): this setting requires it "
    "for you too."
)


def set_two_factor_policy(company: Company, policy: TwoFactorPolicy, *, by: StaffUser) -> bool:
    """Say which staff must sign in with two-factor; returns whether it changed (audited).
    Invalid on ``two_factor_required`` when it would require it of ``by``, who has not set it
    up. Staff it newly requires who have not set it up are signed out at their next request
    and asked to set it up at sign-in (services/auth/auth_sessions)."""
    if policy.applies_to(by.role) and not by.has_two_factor:
        raise Invalid(errors={"two_factor_required": [SET_UP_YOURS_FIRST]})
    if policy == company.two_factor_required:
        return False
    before, company.two_factor_required = company.two_factor_required, policy
    audit.record(
        company.id,
        "settings.two_factor_policy",
        actor=by,
        subject=company,
        summary=f"Two-factor sign-in required: {before.value} → {policy.value}",
    )
    return True


def logo_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "logos"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@functools.lru_cache(maxsize=1024)
def _image_size(path: Path) -> tuple[int, int] | None:
    # A logo file is never rewritten (each upload gets a new random name), so its size can
    # be kept by path. Only the header is read.
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def logo_size(company: Company, *, height: int, max_width: int) -> dict[str, int] | None:
    """The width and height to show the company's logo at: at most ``height`` tall and
    ``max_width`` wide, in its own proportions, so that pages keep their layout while it
    loads. None when the company has no logo file."""
    path = logo_path(company)
    size = _image_size(path) if path else None
    if not size or not all(size):
        return None
    scale = min(height / size[1], max_width / size[0])
    return {"width": max(1, round(size[0] * scale)), "height": max(1, round(size[1] * scale))}


def store_logo(company: Company, data: bytes, *, by: StaffUser) -> str:
    """Check, decode and re-encode an uploaded logo as PNG under a random name.

    Refuses files over 2 MB, SVG, anything that is not a complete PNG/JPEG/GIF/WebP
    (services.images) and images whose pixel count is huge. Returns the new file name.
    """
    if len(data) > MAX_LOGO_BYTES:
        raise _refuse("logo", "The logo must be 2 MB or smaller.")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise _refuse("logo", "SVG logos are not accepted; upload a PNG, JPEG, GIF or WebP image.")
    try:
        image = decode_image(data, formats=ACCEPTED_FORMATS, max_pixels=MAX_LOGO_PIXELS)
    except TooManyPixels:
        raise _refuse(
            "logo", "That image is too large in pixels; use one under 25 megapixels."
        ) from None
    except DamagedImage:
        raise _refuse(
            "logo", "That image is damaged or incomplete; save it again and upload the new file."
        ) from None
    except NotAnImage:
        raise _refuse(
            "logo", "That file is not an image we can read; upload a PNG, JPEG, GIF or WebP image."
        ) from None
    image = image.convert("RGBA")
    image.thumbnail(LOGO_BOX)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    filename = f"{secrets.token_hex(16)}.png"
    (logo_folder() / filename).write_bytes(output.getvalue())
    old = company.logo_filename
    company.logo_filename = filename
    audit.record(
        company.id,
        "settings.logo_uploaded",
        actor=by,
        subject=company,
        summary="Uploaded a new logo",
        replaced=old,
    )
    db.session.flush()
    return filename


def staff_list(company: Company) -> list[StaffUser]:
    """The company's staff accounts by name, for the settings page."""
    return db.session.scalars(
        select(StaffUser).where(StaffUser.company_id == company.id).order_by(StaffUser.name)
    ).all()


EMAIL_IN_USE = "A staff account with this email already exists."


def refuse_email_in_use(email: str) -> None:
    """Invalid on ``email`` when a staff account (at any company: an address signs in to
    one) already uses it, case-insensitively."""
    if staff_for_email(email) is not None:
        raise _refuse("email", EMAIL_IN_USE)


def create_staff(
    company: Company,
    *,
    by: StaffUser | None,
    name: str,
    email: str,
    role: StaffRole,
    password: str,
) -> StaffUser:
    """A new staff account (the settings page, and ``flask create-staff`` with ``by=None``):
    Invalid on ``password`` for a weak one, on ``email`` for one already in use."""
    problem = password_problem(password)
    if problem:
        raise _refuse("password", problem)
    refuse_email_in_use(email)
    staff = StaffUser(
        company_id=company.id,
        name=name,
        email=email.lower(),
        role=role,
        password_hash=hash_secret(password),
    )
    db.session.add(staff)
    db.session.flush()
    audit.record(
        company.id, "staff.created", actor=by, subject=staff, summary=f"Added {role.value} {name}"
    )
    return staff


def update_staff(staff: StaffUser, *, by: StaffUser, role: StaffRole, active: bool) -> None:
    """Change a role or switch an account off; the company always keeps an active owner
    (someone who can manage settings, so staff accounts can still be changed). Switching an
    account off ends its sessions (a role change applies at the next request). An
    invitation not yet accepted only takes a role: its account becomes active when the
    person accepts (services/staff_invites.py)."""
    if staff.invitation_pending and active:
        raise _refuse(
            "active",
            "This account becomes active when the invitation is accepted; "
            "resend it from the staff page if it went astray.",
        )
    managed_settings = staff.active and staff.can(Capability.MANAGE_SETTINGS)
    keeps_settings = active and role_can(role, Capability.MANAGE_SETTINGS)
    if managed_settings and not keeps_settings:
        owners = db.session.scalar(
            select(func.count(StaffUser.id)).where(
                StaffUser.company_id == staff.company_id,
                StaffUser.role.in_(roles_with(Capability.MANAGE_SETTINGS)),
                StaffUser.active.is_(True),
            )
        )
        if owners <= 1:
            raise _refuse("role", "The company needs at least one active owner.")
    changed = []
    if staff.role != role:
        changed.append(f"role {staff.role.value} → {role.value}")
    if staff.active != active:
        changed.append("reactivated" if active else "deactivated")
    staff.role, staff.active = role, active
    if not active:
        end_sessions(staff_user_id=staff.id)
    db.session.flush()
    if changed:
        audit.record(
            staff.company_id,
            "staff.updated",
            actor=by,
            subject=staff,
            summary=f"{staff.name}: {', '.join(changed)}",
        )
