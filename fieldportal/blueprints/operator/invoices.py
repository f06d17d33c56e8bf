"""Invoices in the back office: list, author drafts with line items, send, record
payments, void, PDF (manage_invoices, send_invoices, record_payments)."""

from decimal import Decimal

from flask import abort, flash, g, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from ...extensions import db
from ...htmx import redirect_after_post, render
from ...models import (
    BillingTerms,
    Capability,
    Customer,
    Invoice,
    InvoiceStatus,
    Job,
    Payment,
    PaymentMethod,
)
from ...query_args import page_number
from ...services import customers
from ...services.billing import documents, invoices
from ...services.billing.money import (
    TERM_LABELS,
    invoiced_cents,
    month_to_date_bounds,
    open_ar_cents,
    ppm_to_percent,
    to_cents,
)
from ...services.clock import company_today
from ..validators import options
from . import bp
from .access import get_for_company_or_404, require
from .billing_forms import InvoiceForm, PaymentForm, VoidForm

PER_PAGE = 50
STATUS_FILTERS = ("all", "draft", "open", "overdue", "paid", "void")


def customer_choices() -> list[SelectChoice]:
    return options(customers.pick_list(g.company.id))


def load_invoice_or_404(invoice_id: int) -> Invoice:
    """The invoice with its lines, payments and customer, if it is this company's; else 404."""
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id, Invoice.company_id == g.company.id)
        .options(
            joinedload(Invoice.customer),
            selectinload(Invoice.lines),
            selectinload(Invoice.payments).joinedload(Payment.recorded_by),
        )
    )
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/invoices", endpoint="invoices")
@require(Capability.MANAGE_INVOICES)
def invoices_index():
    status = request.args.get("status", "all")
    if status not in STATUS_FILTERS:
        status = "all"
    page = page_number(request.args)
    query = select(Invoice).where(Invoice.company_id == g.company.id)
    today = company_today(g.company)
    if status == "open":
        query = query.where(Invoice.status == InvoiceStatus.SENT)
    elif status == "overdue":
        query = query.where(invoices.overdue_clause(today))
    elif status != "all":
        query = query.where(Invoice.status == InvoiceStatus(status))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(joinedload(Invoice.customer))
        .order_by(Invoice.number.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render(
        page="operator/invoices/index.html",
        fragment="partials/operator/_invoice_table.html",
        invoices=invoices.with_shown_status(rows, today),
        status_filter=status,
        statuses=STATUS_FILTERS,
        page_number=page,
        has_next=page * PER_PAGE < total,
        total=total,
        open_ar_cents=open_ar_cents(g.company.id),
        mtd_revenue_cents=invoiced_cents(g.company.id, *month_to_date_bounds(today)),
    )


def _invoice_form(invoice: Invoice | None = None, customer_id: int | None = None) -> InvoiceForm:
    form = InvoiceForm()
    form.customer_id.choices = customer_choices()
    form.billing_terms.choices = options(
        [("", "The customer's terms")]
        + [(terms.value, TERM_LABELS[terms]) for terms in BillingTerms]
    )
    if request.method != "POST":
        if invoice is not None:
            form.customer_id.data = invoice.customer_id
            form.billing_terms.data = invoice.billing_terms.value
            form.po_number.data = invoice.po_number
            form.notes.data = invoice.notes
            form.tax_percent.data = ppm_to_percent(invoice.tax_rate_ppm)
            form.fill_lines(invoice.lines)
        else:
            form.tax_percent.data = ppm_to_percent(g.company.tax_rate_ppm)
            if customer_id:
                form.customer_id.data = customer_id
            form.fill_lines([])
    return form


@bp.route("/invoices/new", methods=["GET", "POST"])
@require(Capability.MANAGE_INVOICES)
def invoice_new():
    job = None
    if request.args.get("job_id", type=int):
        job = get_for_company_or_404(Job, request.args.get("job_id", type=int))
    form = _invoice_form(
        customer_id=job.customer_id if job else request.args.get("customer_id", type=int)
    )
    if request.method == "POST" and form.validate():
        customer = get_for_company_or_404(Customer, form.customer_id.data)
        invoice = invoices.create_invoice(
            customer,
            by=g.staff,
            job=job if job and job.customer_id == customer.id else None,
            lines=form.line_inputs(),
            tax_rate_ppm=form.tax_rate_ppm(),
            po_number=form.po_number.data or None,
            notes=form.notes.data or None,
            billing_terms=form.chosen_terms(),
        )
        db.session.commit()
        flash(f"Draft invoice #{invoice.number} saved.", "success")
        return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice.id))
    status = 422 if request.method == "POST" else 200
    return render(
        page="operator/invoices/form.html", form=form, invoice=None, job=job, status=status
    )


@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_INVOICES)
def invoice_edit(invoice_id: int):
    invoice = load_invoice_or_404(invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        flash("Only a draft invoice can be edited.", "error")
        return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice.id))
    form = _invoice_form(invoice)
    if request.method == "POST" and form.validate():
        invoices.update_draft(
            invoice,
            lines=form.line_inputs(),
            tax_rate_ppm=form.tax_rate_ppm(),
            po_number=form.po_number.data or None,
            notes=form.notes.data or None,
            billing_terms=form.chosen_terms() or invoice.customer.billing_terms,
        )
        db.session.commit()
        flash("Invoice saved.", "success")
        return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice.id))
    status = 422 if request.method == "POST" else 200
    return render(
        page="operator/invoices/form.html", form=form, invoice=invoice, job=None, status=status
    )


def _detail(invoice: Invoice, status: int = 200, payment_form=None, void_form=None):
    payment_form = payment_form or PaymentForm(formdata=None)
    if payment_form.amount.data is None and invoice.balance_cents:
        payment_form.amount.data = Decimal(invoice.balance_cents) / 100
    return render(
        page="operator/invoices/detail.html",
        status=status,
        payment_form=payment_form,
        void_form=void_form or VoidForm(formdata=None),
        invoice_status=invoices.shown_status(invoice, company_today(g.company)),
        **documents.invoice_context(invoice),
    )


@bp.get("/invoices/<int:invoice_id>")
@require(Capability.MANAGE_INVOICES)
def invoice_detail(invoice_id: int):
    return _detail(load_invoice_or_404(invoice_id))


@bp.post("/invoices/<int:invoice_id>/send")
@require(Capability.SEND_INVOICES)
def invoice_send(invoice_id: int):
    invoice = load_invoice_or_404(invoice_id)
    try:
        address = invoices.send_invoice(invoice, by=g.staff)
    except invoices.InvoiceError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _detail(load_invoice_or_404(invoice_id), status=422)
    db.session.commit()
    flash(f"Invoice #{invoice.number} sent to {address}.", "success")
    return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice.id))


@bp.post("/invoices/<int:invoice_id>/payments")
@require(Capability.RECORD_PAYMENTS)
def invoice_record_payment(invoice_id: int):
    invoice = load_invoice_or_404(invoice_id)
    form = PaymentForm()
    if form.validate():
        try:
            invoices.record_payment(
                invoice,
                amount_cents=to_cents(form.amount.data),
                method=PaymentMethod(form.method.data),
                by=g.staff,
                reference=form.reference.data or None,
                received_on=form.received_on.data,
            )
        except invoices.InvoiceError as error:
            db.session.rollback()
            form.amount.errors = [str(error)]
        else:
            db.session.commit()
            flash("Payment recorded.", "success")
            return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice_id))
    return _detail(load_invoice_or_404(invoice_id), status=422, payment_form=form)


@bp.post("/invoices/<int:invoice_id>/void")
@require(Capability.MANAGE_INVOICES)
def invoice_void(invoice_id: int):
    invoice = load_invoice_or_404(invoice_id)
    form = VoidForm()
    if form.validate():
        try:
            invoices.void_invoice(invoice, reason=form.reason.data, by=g.staff)
        except invoices.InvoiceError as error:
            db.session.rollback()
            form.reason.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"Invoice #{invoice.number} voided.", "success")
            return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice_id))
    return _detail(load_invoice_or_404(invoice_id), status=422, void_form=form)


@bp.get("/invoices/<int:invoice_id>.pdf")
@require(Capability.MANAGE_INVOICES)
def invoice_pdf(invoice_id: int):
    invoice = load_invoice_or_404(invoice_id)
    return documents.pdf_response(documents.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")
