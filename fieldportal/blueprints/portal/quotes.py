"""Portal Quotes tab: sent quotes (never drafts), filter by status and date sent, detail
with the decision record, PDF, and the customer's answer: accept with a typed full name,
reject, or request changes with a message. One answer per revision (409 after that)."""

from flask import abort, flash, g, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import PortalPermission, QuoteDecisionKind
from ...models.billing import SIGNED_NAME_MAX
from ...services.billing import documents, quotes
from ...services.clock import company_today
from ...services.errors import Conflict, Invalid
from ...services.portal import portal_billing
from . import bp
from .access import require_company_setting, require_permission
from .billing_access import acting_contact, site_ids

ANSWERS = {
    "accept": QuoteDecisionKind.ACCEPTED,
    "reject": QuoteDecisionKind.REJECTED,
    "changes": QuoteDecisionKind.CHANGES_REQUESTED,
}
ANSWER_DONE = {
    QuoteDecisionKind.ACCEPTED: "Thank you — you accepted quote #{n}.",
    QuoteDecisionKind.REJECTED: "You declined quote #{n}.",
    QuoteDecisionKind.CHANGES_REQUESTED: "We got your change request for quote #{n}.",
}


class QuoteFilters(FlaskForm):
    class Meta:
        csrf = False

    status = StringField(default="all")
    sent_from = DateField("Sent from", validators=[Optional()])
    sent_to = DateField("Sent to", validators=[Optional()])


class AnswerForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST

    signed_name = StringField(
        "Type your full name to sign", validators=[Optional(), Length(max=SIGNED_NAME_MAX)]
    )
    message = TextAreaField(
        "What would you like changed?", validators=[Optional(), Length(max=5000)]
    )
    quote_sha256 = HiddenField()


def _load(quote_id: int):
    quote = portal_billing.customer_quote(g.customer, quote_id, site_ids())
    if quote is None:
        abort(404)
    return quote


@bp.get("/quotes", endpoint="quotes")
@require_company_setting("show_quotes")
@require_permission(PortalPermission.QUOTES)
def quotes_index():
    filters = QuoteFilters(request.args)
    filters.validate()
    status = (
        filters.status.data if filters.status.data in portal_billing.PORTAL_QUOTE_FILTERS else "all"
    )
    today = company_today(g.company)
    rows = portal_billing.customer_quotes(
        g.customer,
        today=today,
        status=status,
        sent_from=filters.sent_from.data if not filters.sent_from.errors else None,
        sent_to=filters.sent_to.data if not filters.sent_to.errors else None,
        site_ids=site_ids(),
    )
    return render(
        page="portal/quotes/index.html",
        fragment="partials/portal/_quotes_panel.html",
        quotes=[(quote, quotes.effective_status(quote, today)) for quote in rows],
        filters=filters,
        status_filter=status,
        statuses=portal_billing.PORTAL_QUOTE_FILTERS,
    )


def _detail(quote, status: int = 200, form: AnswerForm | None = None, problem: str | None = None):
    today = company_today(g.company)
    form = form or AnswerForm(formdata=None)
    form.quote_sha256.data = quotes.quote_fingerprint(quote)
    effective = quotes.effective_status(quote, today)
    return render(
        page="portal/quotes/detail.html",
        status=status,
        form=form,
        effective_status=effective,
        awaiting=effective.value == "sent",
        can_answer=acting_contact() is not None,
        problem=problem,
        **documents.quote_context(quote),
    )


@bp.get("/quotes/<int:quote_id>")
@require_company_setting("show_quotes")
@require_permission(PortalPermission.QUOTES)
def quote_detail(quote_id: int):
    return _detail(_load(quote_id))


@bp.post("/quotes/<int:quote_id>/<any(accept, reject, changes):answer>")
@require_company_setting("show_quotes")
@require_permission(PortalPermission.QUOTES)
def quote_answer(quote_id: int, answer: str):
    quote = _load(quote_id)
    contact = acting_contact()
    if contact is None:
        abort(404)  # a fleet token and the staff preview are read-only
    form = AnswerForm()
    form.validate()
    kind = ANSWERS[answer]
    try:
        quotes.decide(
            quote,
            kind,
            contact=contact,
            evidence=quotes.Evidence(request.remote_addr, request.user_agent.string),
            signed_name=form.signed_name.data,
            message=form.message.data,
            shown_sha256=form.quote_sha256.data or "",
        )
    except Conflict as error:
        transaction.discard()
        return _detail(_load(quote_id), status=409, problem=str(error))
    except Invalid as error:
        transaction.discard()
        field = form.signed_name if "signed_name" in error.errors else form.message
        field.errors = [str(error)]
        return _detail(_load(quote_id), status=422, form=form)
    flash(ANSWER_DONE[kind].format(n=quote.number), "success")
    return redirect_after_post(url_for("portal.quote_detail", quote_id=quote_id))


@bp.get("/quotes/<int:quote_id>.pdf")
@require_company_setting("show_quotes")
@require_permission(PortalPermission.QUOTES)
def quote_pdf(quote_id: int):
    quote = _load(quote_id)
    rendered = documents.quote_pdf(quote, company_today(g.company))
    return documents.pdf_response(rendered, f"quote-{quote.number}.pdf")
