"""Outbox: every email the company's app has queued, its delivery state, and retry."""

from flask import flash, g, request, url_for

from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, OutboxEmail, OutboxStatus
from ...services.errors import Conflict
from ...services.mail import outbox_admin
from . import bp
from .access import get_for_company_or_404, require


@bp.get("/outbox")
@require(Capability.MANAGE_OUTBOX)
def outbox_list():
    query = outbox_admin.OutboxQuery.from_args(request.args)
    view = outbox_admin.list_view(g.company, query, with_filters=not is_fragment_request())
    return render(
        "operator/outbox/index.html",
        fragment="partials/operator/_outbox_table.html",
        statuses=list(OutboxStatus),
        **vars(view),
    )


def _show(email: OutboxEmail, status: int = 200, problem: str | None = None):
    return render(
        "operator/outbox/show.html",
        email=email,
        preview_html=outbox_admin.preview_html(email),
        problem=problem,
        status=status,
    )


@bp.get("/outbox/<int:email_id>")
@require(Capability.MANAGE_OUTBOX)
def outbox_email(email_id: int):
    return _show(get_for_company_or_404(OutboxEmail, email_id))


@bp.post("/outbox/<int:email_id>/retry")
@require(Capability.MANAGE_OUTBOX)
def retry_outbox_email(email_id: int):
    email = get_for_company_or_404(OutboxEmail, email_id)
    try:
        outbox_admin.queue_again(email, by=g.staff)
    except Conflict as error:
        return _show(email, error.status, problem=error.message)
    flash(f"Queued again: {email.subject}", "success")
    return redirect_after_post(url_for("operator.outbox_email", email_id=email.id))
