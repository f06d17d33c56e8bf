"""Portal Invoices tab: issued invoices (never drafts), open / paid filter, detail, PDF,
statement of account, and paying online through Stripe Checkout: the balance, a chosen
partial amount, or several selected invoices at once. "Pay" is always a POST; amounts
come from the server (a partial amount is checked against the balance)."""

from datetime import timedelta

from flask import abort, current_app, flash, g, request

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import PortalPermission
from ...services.billing import documents, invoices, payments
from ...services.billing.money import parse_money, to_cents
from ...services.clock import company_today
from ...services.errors import Invalid
from ...services.mail.mailer import absolute_url
from ...services.portal import portal_billing
from . import bp
from .access import require_company_setting, require_permission
from .billing_access import acting_contact, site_ids

STATEMENT_PAYMENT_DAYS = 90


def _load(invoice_id: int):
    invoice = portal_billing.customer_invoice(g.customer, invoice_id, site_ids())
    if invoice is None:
        abort(404)
    return invoice


def with_checkout_form_action(response):
    """Let this page's Pay forms continue to Stripe's Checkout page: browsers apply CSP
    form-action to the redirect after a form POST, and ours is 'self' only."""
    from ...web import CONTENT_SECURITY_POLICY

    origin = current_app.config.get("STRIPE_CHECKOUT_ORIGIN") or "https://checkout.stripe.com"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return response


def _page_context() -> dict:
    return {
        "online_payments": payments.online_payments_enabled(),
        "can_pay": acting_contact() is not None,
    }


def _listed(rows) -> list:
    """Invoices with the badge each shows (services/invoices.py shown_status)."""
    return invoices.with_shown_status(rows, company_today(g.company))


def _index(state: str, status: int = 200):
    return with_checkout_form_action(
        render(
            page="portal/invoices/index.html",
            fragment="partials/portal/_invoices_panel.html",
            status=status,
            invoices=_listed(
                portal_billing.customer_invoices(g.customer, state=state, site_ids=site_ids())
            ),
            state=state,
            states=portal_billing.PORTAL_INVOICE_FILTERS,
            **_page_context(),
        )
    )


@bp.get("/invoices", endpoint="invoices")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def invoices_index():
    state = request.args.get("state", "open")
    return _index(state if state in portal_billing.PORTAL_INVOICE_FILTERS else "open")


def _detail(invoice, status: int = 200, problem: str | None = None, amount: str = ""):
    return with_checkout_form_action(
        render(
            page="portal/invoices/detail.html",
            status=status,
            problem=problem,
            amount=amount,
            invoice_status=invoices.shown_status(invoice, company_today(g.company)),
            **documents.invoice_context(invoice),
            **_page_context(),
        )
    )


@bp.get("/invoices/<int:invoice_id>")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def invoice_detail(invoice_id: int):
    return _detail(_load(invoice_id))


@bp.get("/invoices/<int:invoice_id>.pdf")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def invoice_pdf(invoice_id: int):
    invoice = _load(invoice_id)
    return documents.pdf_response(documents.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")


@bp.get("/statement.pdf")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def statement_pdf():
    today = company_today(g.company)
    statement = documents.statement_of_account(
        g.customer, today, today - timedelta(days=STATEMENT_PAYMENT_DAYS), site_ids()
    )
    return documents.pdf_response(documents.statement_pdf(statement), "statement.pdf")


def _parse_amount(raw: str | None) -> int | None:
    """A partial amount typed by the customer, in cents; None for 'the whole balance'."""
    raw = (raw or "").strip().removeprefix("$")
    if not raw:
        return None
    return to_cents(parse_money(raw))


def _checkout(invoices: list, partial_cents: int | None, cancel_url: str):
    allocations = payments.plan_allocations(g.customer, invoices, partial_cents)
    checkout, url = payments.start_checkout(
        g.customer,
        allocations,
        contact=acting_contact(),
        success_url=lambda checkout_id: absolute_url(
            "portal.payment_status", company_slug=g.company.slug, checkout_id=checkout_id
        ),
        cancel_url=cancel_url,
    )
    return redirect_after_post(url)  # Stripe's page, another site


def _require_payer():
    if acting_contact() is None:
        abort(404)  # a fleet token and the staff preview are read-only
    if not payments.online_payments_enabled():
        abort(404)


@bp.post("/invoices/<int:invoice_id>/pay")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def invoice_pay(invoice_id: int):
    _require_payer()
    invoice = _load(invoice_id)
    raw_amount = request.form.get("amount", "")
    try:
        partial = _parse_amount(raw_amount)
        if partial == invoice.balance_cents:
            partial = None
        cancel = absolute_url(
            "portal.invoice_detail", company_slug=g.company.slug, invoice_id=invoice.id
        )
        return _checkout([invoice], partial, cancel)
    except Invalid as error:
        transaction.discard()
        return _detail(_load(invoice_id), status=422, problem=str(error), amount=raw_amount)


@bp.post("/invoices/pay")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def invoices_pay_several():
    _require_payer()
    # isdigit() alone accepts "²"; a database integer holds ids below 2**31.
    ids = [int(v) for v in request.form.getlist("invoice_id") if v.isascii() and v.isdigit()]
    if not all(0 < invoice_id < 2**31 for invoice_id in ids):
        abort(404)
    chosen = portal_billing.customer_invoices_by_ids(g.customer, ids, site_ids())
    try:
        if len(chosen) != len(set(ids)):
            abort(404)
        return _checkout(chosen, None, absolute_url("portal.invoices", company_slug=g.company.slug))
    except Invalid as error:
        transaction.discard()
        flash(str(error), "error")
        return _index("open", status=422)


@bp.get("/payments/<int:checkout_id>")
@require_company_setting("show_invoices")
@require_permission(PortalPermission.INVOICES)
def payment_status(checkout_id: int):
    """Where Stripe sends the customer back: 'processing' until the signed webhook has
    confirmed the payment (the fragment polls); this page never marks anything paid."""
    checkout = portal_billing.customer_checkout(g.customer, checkout_id)
    if checkout is None:
        abort(404)
    return render(
        page="portal/invoices/payment_status.html",
        fragment="partials/portal/_payment_status.html",
        checkout=checkout,
    )
