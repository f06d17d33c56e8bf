"""Quotes in the back office: list, author drafts, send, see the customer's decision
record, convert an accepted quote to a job, PDF (manage_quotes)."""

from flask import abort, flash, g, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ...extensions import db
from ...htmx import redirect_after_post, render
from ...models import Capability, Customer, Quote, QuoteDecision, QuoteStatus
from ...query_args import page_number
from ...services import customers
from ...services.billing import documents, quotes
from ...services.billing.money import ppm_to_percent
from ...services.clock import company_today
from . import bp
from .access import get_for_company_or_404, require
from .forms import QuoteForm

PER_PAGE = 50
STATUS_FILTERS = ("all", *[status.value for status in QuoteStatus])


def load_quote_or_404(quote_id: int) -> Quote:
    """The quote with lines, decisions and customer if it is this company's; else 404."""
    quote = db.session.scalar(
        select(Quote)
        .where(Quote.id == quote_id, Quote.company_id == g.company.id)
        .options(
            joinedload(Quote.customer),
            selectinload(Quote.lines),
            selectinload(Quote.decisions).joinedload(QuoteDecision.contact),
        )
    )
    if quote is None:
        abort(404)
    return quote


@bp.get("/quotes", endpoint="quotes")
@require(Capability.MANAGE_QUOTES)
def quotes_index():
    status = request.args.get("status", "all")
    if status not in STATUS_FILTERS:
        status = "all"
    page = page_number(request.args)
    today = company_today(g.company)
    query = select(Quote).where(Quote.company_id == g.company.id)
    if status == QuoteStatus.EXPIRED.value:
        query = query.where(quotes.expired_clause(today))
    elif status == QuoteStatus.SENT.value:
        query = query.where(quotes.awaiting_clause(today))
    elif status != "all":
        query = query.where(Quote.status == QuoteStatus(status))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(joinedload(Quote.customer))
        .order_by(Quote.number.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render(
        page="operator/quotes/index.html",
        fragment="partials/operator/_quote_table.html",
        quotes=[(quote, quotes.effective_status(quote, today)) for quote in rows],
        status_filter=status,
        statuses=STATUS_FILTERS,
        page_number=page,
        has_next=page * PER_PAGE < total,
        total=total,
    )


def _quote_form(quote: Quote | None = None, customer_id: int | None = None) -> QuoteForm:
    form = QuoteForm()
    form.offer(customers.pick_list(g.company.id))
    if request.method != "POST":
        if quote is not None:
            form.customer_id.data = quote.customer_id
            form.title.data = quote.title
            form.valid_until.data = quote.valid_until
            form.notes.data = quote.notes
            form.tax_percent.data = ppm_to_percent(quote.tax_rate_ppm)
            form.fill_lines(quote.lines)
        else:
            form.tax_percent.data = ppm_to_percent(g.company.tax_rate_ppm)
            form.customer_id.data = customer_id
            form.fill_lines([])
    return form


@bp.route("/quotes/new", methods=["GET", "POST"])
@require(Capability.MANAGE_QUOTES)
def quote_new():
    form = _quote_form(customer_id=request.args.get("customer_id", type=int))
    if request.method == "POST" and form.validate():
        customer = get_for_company_or_404(Customer, form.customer_id.data)
        quote = quotes.create_quote(
            customer,
            title=form.title.data,
            by=g.staff,
            lines=form.line_inputs(),
            valid_until=form.valid_until.data,
            tax_rate_ppm=form.tax_rate_ppm(),
            notes=form.notes.data or None,
        )
        db.session.commit()
        flash(f"Draft quote #{quote.number} saved.", "success")
        return redirect_after_post(url_for("operator.quote_detail", quote_id=quote.id))
    status = 422 if request.method == "POST" else 200
    return render(page="operator/quotes/form.html", form=form, quote=None, status=status)


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_QUOTES)
def quote_edit(quote_id: int):
    quote = load_quote_or_404(quote_id)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.CHANGES_REQUESTED):
        flash("Only a draft, or a quote with changes requested, can be edited.", "error")
        return redirect_after_post(url_for("operator.quote_detail", quote_id=quote.id))
    form = _quote_form(quote)
    if request.method == "POST" and form.validate():
        quotes.update_quote(
            quote,
            title=form.title.data,
            lines=form.line_inputs(),
            valid_until=form.valid_until.data,
            tax_rate_ppm=form.tax_rate_ppm(),
            notes=form.notes.data or None,
        )
        db.session.commit()
        flash("Quote saved.", "success")
        return redirect_after_post(url_for("operator.quote_detail", quote_id=quote.id))
    status = 422 if request.method == "POST" else 200
    return render(page="operator/quotes/form.html", form=form, quote=quote, status=status)


def _detail(quote: Quote, status: int = 200):
    today = company_today(g.company)
    return render(
        page="operator/quotes/detail.html",
        status=status,
        effective_status=quotes.effective_status(quote, today),
        **documents.quote_context(quote),
    )


@bp.get("/quotes/<int:quote_id>")
@require(Capability.MANAGE_QUOTES)
def quote_detail(quote_id: int):
    return _detail(load_quote_or_404(quote_id))


@bp.post("/quotes/<int:quote_id>/send")
@require(Capability.MANAGE_QUOTES)
def quote_send(quote_id: int):
    quote = load_quote_or_404(quote_id)
    try:
        address = quotes.send_quote(quote, by=g.staff)
    except quotes.QuoteError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _detail(load_quote_or_404(quote_id), status=422)
    db.session.commit()
    flash(f"Quote #{quote.number} sent to {address}.", "success")
    return redirect_after_post(url_for("operator.quote_detail", quote_id=quote.id))


@bp.post("/quotes/<int:quote_id>/convert")
@require(Capability.MANAGE_QUOTES)
def quote_convert(quote_id: int):
    quote = load_quote_or_404(quote_id)
    try:
        job = quotes.convert_to_job(quote, by=g.staff)
    except quotes.QuoteError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _detail(load_quote_or_404(quote_id), status=409)
    db.session.commit()
    flash(f"Job #{job.number} created from quote #{quote.number}.", "success")
    return redirect_after_post(url_for("operator.quote_detail", quote_id=quote.id))


@bp.get("/quotes/<int:quote_id>.pdf")
@require(Capability.MANAGE_QUOTES)
def quote_pdf(quote_id: int):
    quote = load_quote_or_404(quote_id)
    rendered = documents.quote_pdf(quote, company_today(g.company))
    return documents.pdf_response(rendered, f"quote-{quote.number}.pdf")
