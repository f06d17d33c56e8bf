"""Outbox: every email the company's app has queued, its delivery state, and retry."""

from flask import abort, flash, g, request, url_for
from sqlalchemy import func, select

from ...extensions import db
from ...htmx import redirect_after_post, render
from ...models import Capability, OutboxEmail, OutboxStatus
from ...query_args import page_number
from ...services import audit
from ...services.mail.mailer import without_inline_styles
from ...services.mail.outbox_delivery import retry
from ...services.mail.outbox_secrets import SecretUnavailable
from . import bp
from .access import get_for_company_or_404, require

PAGE_SIZE = 50


def _listing(status: str, kind: str, recipient: str, page: int):
    query = select(OutboxEmail).where(OutboxEmail.company_id == g.company.id)
    if status in OutboxStatus.__members__.values():
        query = query.where(OutboxEmail.status == status)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    if recipient:
        query = query.where(
            func.lower(OutboxEmail.to_address).contains(recipient.lower(), autoescape=True)
        )
    rows = list(
        db.session.scalars(
            query.order_by(OutboxEmail.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@bp.route("/outbox")
@require(Capability.MANAGE_OUTBOX)
def outbox():
    args = request.args
    filters = {
        "status": args.get("status", ""),
        "kind": args.get("kind", "")[:40],
        "recipient": args.get("recipient", "").strip()[:254],
    }
    page = page_number(args)
    emails, has_more = _listing(filters["status"], filters["kind"], filters["recipient"], page)
    kinds = db.session.scalars(
        select(OutboxEmail.kind)
        .where(OutboxEmail.company_id == g.company.id)
        .distinct()
        .order_by(OutboxEmail.kind)
    ).all()
    return render(
        "operator/outbox/index.html",
        fragment="partials/operator/_outbox_table.html",
        emails=emails,
        has_more=has_more,
        page_number=page,
        filters=filters,
        kinds=kinds,
        statuses=list(OutboxStatus),
    )


def _show(email: OutboxEmail, status: int = 200, problem: str | None = None):
    preview = email.html_for_staff and without_inline_styles(email.html_for_staff)
    return render(
        "operator/outbox/show.html",
        email=email,
        preview_html=preview,
        problem=problem,
        status=status,
    )


@bp.route("/outbox/<int:email_id>")
@require(Capability.MANAGE_OUTBOX)
def outbox_email(email_id):
    return _show(get_for_company_or_404(OutboxEmail, email_id))


@bp.route("/outbox/<int:email_id>/retry", methods=["POST"])
@require(Capability.MANAGE_OUTBOX)
def retry_outbox_email(email_id):
    email = get_for_company_or_404(OutboxEmail, email_id)
    if email.status not in (OutboxStatus.FAILED, OutboxStatus.NOT_SENT):
        abort(409)
    try:
        retry(email)
    except SecretUnavailable as error:
        return _show(email, 409, problem=str(error))
    audit.record(
        g.company.id, "outbox.retried", actor=g.staff, subject=email, summary=email.to_address
    )
    db.session.commit()
    flash(f"Queued again: {email.subject}", "success")
    return redirect_after_post(url_for("operator.outbox_email", email_id=email.id))
