"""Invoices in the back office: list, author drafts with line items, send, record
payments, void, PDF (manage_invoices, send_invoices, record_payments).

An action answers a plain POST with a 303 to the invoice. A refusal shows the invoice page
again with the message: 422 when it is about a form's input, else the rule error's status.
The invoice services check everything before they change anything, and the commit point
rolls a refused request back, so the page shown is the invoice as the database has it,
read once.
"""

from flask import abort, flash, g, request, url_for

from ... import csv_export
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, Customer, Invoice, Job
from ...services import customers
from ...services.billing import documents, invoices
from ...services.clock import company_today
from ...services.errors import RuleError
from ...services.exports import lists as exports
from . import bp
from .access import get_for_company_or_404, require
from .forms import InvoiceForm, PaymentForm, VoidForm, show_errors


@bp.get("/invoices")
@require(Capability.MANAGE_INVOICES)
def invoice_list():
    query = invoices.InvoiceQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(exports.invoices_list(g.company, query), g.company, request.args)
    view = invoices.list_view(g.company, query, with_figures=not is_fragment_request())
    return render(
        page="operator/invoices/index.html",
        fragment="partials/operator/_invoice_table.html",
        statuses=invoices.STATUS_FILTERS,
        **vars(view),
    )


def _load(invoice_id: int) -> Invoice:
    """The invoice with everything its page shows, if it is this company's; else 404."""
    return get_for_company_or_404(Invoice, invoice_id, *invoices.detail_options())


def _named_job() -> Job | None:
    """The job ?job_id= names (a new invoice for it), if it is this company's."""
    job_id = request.args.get("job_id", type=int)
    return get_for_company_or_404(Job, job_id) if job_id else None


def _invoice_form() -> InvoiceForm:
    form = InvoiceForm()
    form.offer(customers.pick_list(g.company.id))
    return form


def _form_page(form: InvoiceForm, invoice: Invoice | None = None, job: Job | None = None):
    status = 422 if form.is_submitted() else 200
    return render(
        page="operator/invoices/form.html", form=form, invoice=invoice, job=job, status=status
    )


def _to_invoice(invoice: Invoice):
    return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice.id))


@bp.get("/invoices/new")
@require(Capability.MANAGE_INVOICES)
def new_invoice():
    job = _named_job()
    form = _invoice_form()
    customer_id = job.customer_id if job else request.args.get("customer_id", type=int)
    form.start(g.company.tax_rate_ppm, customer_id)
    return _form_page(form, job=job)


@bp.post("/invoices/new")
@require(Capability.MANAGE_INVOICES)
def create_invoice():
    job = _named_job()
    form = _invoice_form()
    if not form.validate():
        return _form_page(form, job=job)
    customer = get_for_company_or_404(Customer, form.customer_id.data)
    invoice = invoices.create_invoice(customer, by=g.staff, job=job, **form.values())
    flash(f"Draft invoice #{invoice.number} saved.", "success")
    return _to_invoice(invoice)


def _draft(invoice_id: int) -> Invoice:
    """The invoice if it can still be edited; else back to its page with the reason."""
    invoice = _load(invoice_id)
    if not invoices.is_editable(invoice):
        flash("Only a draft invoice can be edited.", "error")
        abort(_to_invoice(invoice))
    return invoice


@bp.get("/invoices/<int:invoice_id>/edit")
@require(Capability.MANAGE_INVOICES)
def edit_invoice(invoice_id: int):
    invoice = _draft(invoice_id)
    form = _invoice_form()
    form.show(invoice)
    return _form_page(form, invoice)


@bp.post("/invoices/<int:invoice_id>/edit")
@require(Capability.MANAGE_INVOICES)
def save_invoice(invoice_id: int):
    invoice = _draft(invoice_id)
    form = _invoice_form()
    if not form.validate():
        return _form_page(form, invoice)
    invoices.update_draft(invoice, **form.values(default_terms=invoice.customer.billing_terms))
    flash("Invoice saved.", "success")
    return _to_invoice(invoice)


def _detail(invoice: Invoice, status: int = 200, payment_form=None, void_form=None):
    return render(
        page="operator/invoices/detail.html",
        status=status,
        payment_form=payment_form or PaymentForm.for_balance(invoice.balance_cents),
        void_form=void_form or VoidForm(formdata=None),
        invoice_status=invoices.shown_status(invoice, company_today(g.company)),
        **documents.invoice_context(invoice),
    )


@bp.get("/invoices/<int:invoice_id>")
@require(Capability.MANAGE_INVOICES)
def invoice_detail(invoice_id: int):
    return _detail(_load(invoice_id))


@bp.post("/invoices/<int:invoice_id>/send")
@require(Capability.SEND_INVOICES)
def send_invoice(invoice_id: int):
    invoice = _load(invoice_id)
    try:
        address = invoices.send_invoice(invoice, by=g.staff)
    except RuleError as error:
        flash(error.message, "error")
        return _detail(invoice, status=error.status)
    flash(f"Invoice #{invoice.number} sent to {address}.", "success")
    return _to_invoice(invoice)


@bp.post("/invoices/<int:invoice_id>/payments")
@require(Capability.RECORD_PAYMENTS)
def record_payment(invoice_id: int):
    invoice = _load(invoice_id)
    form = PaymentForm()
    if form.validate():
        try:
            invoices.record_payment(invoice, by=g.staff, **form.values())
        except RuleError as error:
            show_errors(form, error, "amount")
        else:
            flash("Payment recorded.", "success")
            return _to_invoice(invoice)
    return _detail(invoice, status=422, payment_form=form)


@bp.post("/invoices/<int:invoice_id>/void")
@require(Capability.MANAGE_INVOICES)
def void_invoice(invoice_id: int):
    invoice = _load(invoice_id)
    number = invoice.number  # void_invoice expires the invoice it changed
    form = VoidForm()
    if form.validate():
        try:
            invoices.void_invoice(invoice, reason=form.reason.data, by=g.staff)
        except RuleError as error:
            show_errors(form, error, "reason")
        else:
            flash(f"Invoice #{number} voided.", "success")
            return redirect_after_post(url_for("operator.invoice_detail", invoice_id=invoice_id))
    return _detail(invoice, status=422, void_form=form)


@bp.get("/invoices/<int:invoice_id>.pdf")
@require(Capability.MANAGE_INVOICES)
def invoice_pdf(invoice_id: int):
    invoice = _load(invoice_id)
    return documents.pdf_response(documents.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")
