"""The only way code sends email: ``queue`` writes an outbox row in the caller's transaction.

Nothing talks to a mail server while a request is served; a rolled-back change sends
nothing. Delivery is a separate step (``flask outbox deliver`` / ``flask outbox work``).
"""

from flask import current_app, has_request_context, render_template, url_for

from ..extensions import db
from ..models import Company, OutboxEmail


def absolute_url(endpoint: str, **values) -> str:
    """A link for an email, built from BASE_URL and never from the request's Host header;
    works outside a request too (CLI, outbox worker)."""
    if has_request_context():
        path = url_for(endpoint, _external=False, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, _external=False, **values)
    return current_app.config["BASE_URL"] + path


def queue(
    *,
    to: str,
    kind: str,
    subject: str,
    template: str,
    company: Company | None = None,
    related=None,
    **context,
) -> OutboxEmail:
    """Render ``emails/<template>.txt`` and ``.html`` and add the message to the outbox."""
    context.update(company=company, subject=subject)
    email = OutboxEmail(
        company_id=company.id if company else None,
        to_address=to,
        kind=kind,
        subject=subject,
        text_body=render_template(f"emails/{template}.txt", **context),
        html_body=render_template(f"emails/{template}.html", **context),
        related_type=type(related).__name__ if related is not None else None,
        related_id=getattr(related, "id", None),
    )
    db.session.add(email)
    return email
