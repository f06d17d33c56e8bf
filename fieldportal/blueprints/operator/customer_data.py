"""A customer's data, theirs (customer_data: owners): what is held about one customer,
everything as one zip, and erasing the customer on request, after a confirmation that
names it. Exporting is a POST because it is audited (no GET writes)."""

from flask import flash, g, send_file, url_for

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import Capability, Customer
from ...services.customer_data import erasure, export
from ...services.errors import RuleError
from . import bp
from .access import get_for_company_or_404, require
from .forms import EraseCustomerForm, show_errors


def _page(customer: Customer, form: EraseCustomerForm, status: int = 200):
    return render(
        page="operator/customers/data.html",
        fragment="partials/operator/_customer_data.html",
        customer=customer,
        held=export.held_counts(customer),
        keeps_identity=erasure.has_issued_invoices(customer),
        form=form,
        status=status,
    )


@bp.get("/customers/<int:customer_id>/data")
@require(Capability.CUSTOMER_DATA)
def customer_data(customer_id: int):
    return _page(get_for_company_or_404(Customer, customer_id), EraseCustomerForm(formdata=None))


@bp.post("/customers/<int:customer_id>/data/export")
@require(Capability.CUSTOMER_DATA)
def export_customer_data(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    archive = export.customer_archive(customer, g.company, by=g.staff)
    response = send_file(
        archive.file,
        mimetype="application/zip",
        as_attachment=True,
        download_name=archive.filename,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/customers/<int:customer_id>/erase")
@require(Capability.CUSTOMER_DATA)
def erase_customer(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = EraseCustomerForm()
    if not form.validate():
        return _page(customer, form, status=422)
    try:
        erasure.erase_customer(customer, by=g.staff, confirmation=form.confirmation.data)
    except RuleError as error:
        transaction.discard()
        show_errors(form, error, "confirmation")
        return _page(get_for_company_or_404(Customer, customer_id), form, status=error.status)
    flash(f"Customer {customer_id} was erased. This cannot be undone.", "success")
    return redirect_after_post(url_for("operator.customer_data", customer_id=customer_id))
