"""Quotes in the back office: list, author drafts, send, see the customer's decision
record, convert an accepted quote to a job, PDF (manage_quotes).

An action answers a plain POST with a 303 to the quote; a refusal shows the quote page
again with the message and the rule error's status (422 invalid, 409 already answered or
converted). The quote services check before they change anything, and the commit point
rolls a refused request back.
"""

from flask import abort, flash, g, request, url_for

from ... import csv_export
from ...htmx import redirect_after_post, render
from ...models import Capability, Customer, Quote
from ...services import customers
from ...services.billing import documents, quotes
from ...services.clock import company_today
from ...services.errors import RuleError
from ...services.exports import lists as exports
from . import bp
from .access import get_for_company_or_404, require
from .forms import QuoteForm


@bp.get("/quotes")
@require(Capability.MANAGE_QUOTES)
def quote_list():
    query = quotes.QuoteQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(exports.quotes_list(g.company, query), g.company, request.args)
    return render(
        page="operator/quotes/index.html",
        fragment="partials/operator/_quote_table.html",
        result=quotes.quote_list(g.company, query),
        query=query,
        statuses=quotes.STATUS_FILTERS,
    )


def _load(quote_id: int) -> Quote:
    """The quote with everything its page shows, if it is this company's; else 404."""
    return get_for_company_or_404(Quote, quote_id, *quotes.detail_options())


def _quote_form() -> QuoteForm:
    form = QuoteForm()
    form.offer(customers.pick_list(g.company.id))
    return form


def _form_page(form: QuoteForm, quote: Quote | None = None):
    status = 422 if form.is_submitted() else 200
    return render(page="operator/quotes/form.html", form=form, quote=quote, status=status)


def _to_quote(quote_id: int):
    return redirect_after_post(url_for("operator.quote_detail", quote_id=quote_id))


@bp.get("/quotes/new")
@require(Capability.MANAGE_QUOTES)
def new_quote():
    form = _quote_form()
    form.start(g.company.tax_rate_ppm, request.args.get("customer_id", type=int))
    return _form_page(form)


@bp.post("/quotes/new")
@require(Capability.MANAGE_QUOTES)
def create_quote():
    form = _quote_form()
    if not form.validate():
        return _form_page(form)
    customer = get_for_company_or_404(Customer, form.customer_id.data)
    quote = quotes.create_quote(customer, by=g.staff, **form.values())
    flash(f"Draft quote #{quote.number} saved.", "success")
    return _to_quote(quote.id)


def _editable(quote_id: int) -> Quote:
    """The quote if it can still be edited; else back to its page with the reason."""
    quote = _load(quote_id)
    if not quotes.is_editable(quote):
        flash("Only a draft, or a quote with changes requested, can be edited.", "error")
        abort(_to_quote(quote.id))
    return quote


@bp.get("/quotes/<int:quote_id>/edit")
@require(Capability.MANAGE_QUOTES)
def edit_quote(quote_id: int):
    quote = _editable(quote_id)
    form = _quote_form()
    form.show(quote)
    return _form_page(form, quote)


@bp.post("/quotes/<int:quote_id>/edit")
@require(Capability.MANAGE_QUOTES)
def save_quote(quote_id: int):
    quote = _editable(quote_id)
    form = _quote_form()
    if not form.validate():
        return _form_page(form, quote)
    quotes.update_quote(quote, **form.values())
    flash("Quote saved.", "success")
    return _to_quote(quote.id)


def _detail(quote: Quote, status: int = 200):
    return render(
        page="operator/quotes/detail.html",
        status=status,
        effective_status=quotes.effective_status(quote, company_today(g.company)),
        **documents.quote_context(quote),
    )


@bp.get("/quotes/<int:quote_id>")
@require(Capability.MANAGE_QUOTES)
def quote_detail(quote_id: int):
    return _detail(_load(quote_id))


def _refused(quote: Quote, error: RuleError):
    flash(error.message, "error")
    return _detail(quote, status=error.status)


@bp.post("/quotes/<int:quote_id>/send")
@require(Capability.MANAGE_QUOTES)
def send_quote(quote_id: int):
    quote = _load(quote_id)
    try:
        address = quotes.send_quote(quote, by=g.staff)
    except RuleError as error:
        return _refused(quote, error)
    flash(f"Quote #{quote.number} sent to {address}.", "success")
    return _to_quote(quote_id)


@bp.post("/quotes/<int:quote_id>/convert")
@require(Capability.MANAGE_QUOTES)
def convert_quote(quote_id: int):
    quote = _load(quote_id)
    try:
        job = quotes.convert_to_job(quote, by=g.staff)
    except RuleError as error:
        return _refused(quote, error)
    flash(f"Job #{job.number} created from quote #{quote.number}.", "success")
    return _to_quote(quote_id)


@bp.get("/quotes/<int:quote_id>.pdf")
@require(Capability.MANAGE_QUOTES)
def quote_pdf(quote_id: int):
    quote = _load(quote_id)
    rendered = documents.quote_pdf(quote, company_today(g.company))
    return documents.pdf_response(rendered, f"quote-{quote.number}.pdf")
