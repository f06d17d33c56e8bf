"""The only way code sends email: ``queue`` writes an outbox row in the caller's transaction.

Nothing talks to a mail server while a request is served; a rolled-back change sends
nothing. Once the transaction commits, a delivery task is enqueued (``flask tasks work``
runs it; ``flask outbox deliver`` delivers once by hand).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, render_template, url_for

from ... import task_queue
from ...extensions import db
from ...models import Company, OutboxEmail, SecretKind, utcnow
from .. import phones
from . import outbox_delivery, outbox_secrets

DEFAULT_BRAND_COLOR = "#1d4ed8"

# Context values that let whoever reads them in. The stored email holds a marker in their
# place and the values only encrypted (services/outbox_secrets.py), so neither the Outbox
# page nor anyone reading the database sees them.
SECRETS_IN_TEMPLATE = {
    "magic_link": {"link": SecretKind.SIGN_IN_LINK},
    "fresh_link": {"link": SecretKind.SIGN_IN_LINK},
    "activation": {"temporary_password": SecretKind.TEMPORARY_PASSWORD},
    "pin_credentials": {"pin": SecretKind.PIN},
    "invoice_sent": {"login_url": SecretKind.SIGN_IN_LINK},
    "fleet_link": {"link": SecretKind.PORTAL_LINK},
    "signup_confirm": {"link": SecretKind.SETUP_LINK},
    "password_reset": {"link": SecretKind.RESET_LINK},
    "staff_invite": {"link": SecretKind.INVITE_LINK},
}
# How long a secret that does not expire by itself (a PIN, a fleet link) stays sendable:
# the retry schedule gives up after about two hours, so this leaves a working day to fix
# the mail server and press Retry, and bounds what a copy of the database holds.
UNDATED_SECRET_LIFETIME = timedelta(hours=24)


def site_path(endpoint: str, **values) -> str:
    """The path of one of our pages; works outside a request too (CLI, outbox worker)."""
    if has_request_context():
        return url_for(endpoint, _external=False, **values)
    with current_app.test_request_context():
        return url_for(endpoint, _external=False, **values)


def absolute_url(endpoint: str, **values) -> str:
    """A link for an email, built from BASE_URL and never from the request's Host header."""
    return current_app.config["BASE_URL"] + site_path(endpoint, **values)


@dataclass(frozen=True)
class Branding:
    """What every email shows of the company: name, colour, contact details. No logo:
    a lone image beside a short text is what spam filters score (HTML_IMAGE_ONLY_*), and
    many mail apps block remote images anyway; the name in the brand colour reads the same
    everywhere."""

    name: str
    color: str
    on_color: str  # text colour readable on ``color`` (the button's label)
    contact_lines: tuple[str, ...]


def _readable_on(color: str) -> str:
    """Dark text on a light brand colour, white on a dark one (WCAG relative luminance)."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111827" if luminance > 0.179 else "#ffffff"


def branding(company: Company | None) -> Branding:
    """The company's branding for an email; the colour only a well-formed hex value (it
    goes into a style attribute)."""
    if company is None:
        return Branding("fieldportal", DEFAULT_BRAND_COLOR, "#ffffff", ())
    color = company.brand_color or ""
    color = color if re.fullmatch(r"#[0-9a-fA-F]{6}", color) else DEFAULT_BRAND_COLOR
    return Branding(
        name=company.name,
        color=color,
        on_color=_readable_on(color),
        contact_lines=tuple(
            line
            for line in (company.address, phones.shown(company.phone, company), company.email)
            if line
        ),
    )


def _render(template: str, context: dict) -> tuple[str, str]:
    return (
        render_template(f"emails/{template}.txt", **context),
        render_template(f"emails/{template}.html", **context),
    )


def queue(
    *,
    to: str,
    kind: str,
    subject: str,
    template: str,
    company: Company | None = None,
    related=None,
    secrets_expire_at: datetime | None = None,
    **context,
) -> OutboxEmail:
    """Render ``emails/<template>.txt`` and ``.html`` and add the message to the outbox.

    Secrets named in SECRETS_IN_TEMPLATE are rendered as markers and sealed until
    ``secrets_expire_at`` (default UNDATED_SECRET_LIFETIME from now). The subject is kept
    to one line (it becomes a mail header)."""
    subject = " ".join(subject.split())[:300]
    context.update(company=company, subject=subject, brand=branding(company))
    secret_values = {}
    for name, secret_kind in SECRETS_IN_TEMPLATE.get(template, {}).items():
        if context.get(name):
            marker = outbox_secrets.new_marker(secret_kind)
            secret_values[marker] = context[name]
            context[name] = marker
    text_body, html_body = _render(template, context)
    email = OutboxEmail(
        company_id=company.id if company else None,
        to_address=to,
        kind=kind,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        related_type=type(related).__name__ if related is not None else None,
        related_id=getattr(related, "id", None),
    )
    if secret_values:
        outbox_secrets.seal(
            email, secret_values, expires_at=secrets_expire_at or utcnow() + UNDATED_SECRET_LIFETIME
        )
    db.session.add(email)
    task_queue.enqueue_after_commit(outbox_delivery.deliver_soon)
    return email


# Our templates write style attributes with double quotes; user text inside them is
# escaped (a quote becomes &#34;), so this only ever matches our own markup.
_STYLE = re.compile(r'\sstyle="[^"]*"|<style\b.*?</style>', re.IGNORECASE | re.DOTALL)


def without_inline_styles(html: str) -> str:
    """The HTML for the Outbox page's preview frame: the frame inherits the page's CSP,
    which refuses inline styles (QUALITY.md 22), so they are dropped rather than blocked."""
    return _STYLE.sub("", html)
