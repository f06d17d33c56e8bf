"""Portal Quotes, Invoices and Reports tabs, as a signed-in contact."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from fieldportal.models import (
    CheckoutPayment,
    InvoiceStatus,
    PortalPermission,
    QuoteDecision,
    QuoteStatus,
    ReportKind,
)
from fieldportal.services.billing import quotes
from fieldportal.services.clock import company_today
from fieldportal.services.work import reports
from tests.helpers import first_contact, sign_in, text_of

from .conftest import line
from .stripe_standin import completed_session, event_payload, sign


@pytest.fixture
def contact(customer):
    return first_contact(customer)


@pytest.fixture
def portal(client, contact):
    sign_in(client, contact)
    return client


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def sent_quote(db, customer):
    quote = quotes.create_quote(
        customer, title="New brakes", lines=[line("Pads", "2", 4_000)], valid_until=date(2099, 1, 1)
    )
    quotes.send_quote(quote)
    return quote


# --- Quotes ---------------------------------------------------------------------------


def test_quote_list_never_shows_drafts(portal, create, customer, sent_quote):
    create.quote(customer, status=QuoteStatus.DRAFT, title="Secret draft")
    text = text_of(portal.get("/portal/acme/quotes"))
    assert "New brakes" in text and "$80.00" in text
    assert "Secret draft" not in text


def test_accept_with_typed_name_shows_the_record(portal, db, sent_quote):
    page = portal.get(f"/portal/acme/quotes/{sent_quote.id}")
    assert "Accept quote" in text_of(page)
    db.session.refresh(sent_quote, ["lines"])
    shown = quotes.quote_fingerprint(sent_quote)
    assert shown in page.get_data(as_text=True)
    response = portal.post(
        f"/portal/acme/quotes/{sent_quote.id}/accept",
        data={
            "signed_name": "Hana Baker",
            "quote_sha256": shown,
            "company_id": "999",
            "status": "x",
        },
        headers={"User-Agent": "PhoneBrowser/1.0"},
        environ_base={"REMOTE_ADDR": "203.0.113.44"},
    )
    assert response.status_code == 303
    decision = db.session.scalar(select(QuoteDecision))
    assert decision.signed_name == "Hana Baker"
    assert decision.ip_address == "203.0.113.44"
    assert decision.user_agent == "PhoneBrowser/1.0"
    assert decision.quote_sha256 == shown
    text = text_of(portal.get(f"/portal/acme/quotes/{sent_quote.id}"))
    assert "Accepted" in text and "signed “Hana Baker”" in text and "203.0.113.44" in text
    assert "PhoneBrowser/1.0" in text and f"SHA-256 of the quote as shown: {shown}" in text
    assert "Accept quote" not in text
    # the PDF carries the same record
    pdf = pdf_text(portal.get(f"/portal/acme/quotes/{sent_quote.id}.pdf").data)
    assert "Hana Baker" in pdf and "203.0.113.44" in pdf and shown[:16] in pdf.replace(" ", "")
    again = portal.post(f"/portal/acme/quotes/{sent_quote.id}/reject", data={"quote_sha256": shown})
    assert again.status_code == 409
    assert "already been answered" in text_of(again)
    assert db.session.scalar(select(func.count(QuoteDecision.id))) == 1


def test_accept_without_name_is_422(portal, sent_quote):
    response = portal.post(
        f"/portal/acme/quotes/{sent_quote.id}/accept",
        data={"signed_name": " ", "quote_sha256": quotes.quote_fingerprint(sent_quote)},
    )
    assert response.status_code == 422
    assert "Type your full name" in text_of(response)


def test_a_name_too_long_to_keep_is_a_field_message_not_a_500(portal, db, sent_quote):
    shown = quotes.quote_fingerprint(sent_quote)
    for answer in ("accept", "reject"):
        response = portal.post(
            f"/portal/acme/quotes/{sent_quote.id}/{answer}",
            data={"signed_name": "H" * 121, "quote_sha256": shown},
        )
        assert response.status_code == 422
        assert "at most 120 characters" in text_of(response)
    assert db.session.scalar(select(func.count(QuoteDecision.id))) == 0
    db.session.refresh(sent_quote)
    assert sent_quote.status == QuoteStatus.SENT


def test_request_changes_with_message(portal, db, sent_quote):
    response = portal.post(
        f"/portal/acme/quotes/{sent_quote.id}/changes",
        data={"message": "Cheaper pads?", "quote_sha256": quotes.quote_fingerprint(sent_quote)},
    )
    assert response.status_code == 303
    db.session.refresh(sent_quote)
    assert sent_quote.status == QuoteStatus.CHANGES_REQUESTED
    assert "Cheaper pads?" in text_of(portal.get(f"/portal/acme/quotes/{sent_quote.id}"))


def test_expired_quote_cannot_be_accepted(portal, db, sent_quote, company):
    sent_quote.valid_until = company_today(company) - timedelta(days=1)
    db.session.flush()
    page = text_of(portal.get(f"/portal/acme/quotes/{sent_quote.id}"))
    assert "Expired" in page and "Accept quote" not in page
    db.session.refresh(sent_quote, ["lines"])
    response = portal.post(
        f"/portal/acme/quotes/{sent_quote.id}/accept",
        data={"signed_name": "Hana Baker", "quote_sha256": quotes.quote_fingerprint(sent_quote)},
    )
    assert response.status_code == 409 and "expired" in text_of(response)


def test_stale_page_answer_is_refused(portal, db, sent_quote):
    stale = quotes.quote_fingerprint(sent_quote)
    sent_quote.title = "Changed after the customer loaded it"
    db.session.flush()
    response = portal.post(
        f"/portal/acme/quotes/{sent_quote.id}/accept",
        data={"signed_name": "Hana Baker", "quote_sha256": stale},
    )
    assert response.status_code == 409 and "changed since you opened it" in text_of(response)


def test_quote_pdf_matches_the_page(portal, sent_quote):
    pdf = portal.get(f"/portal/acme/quotes/{sent_quote.id}.pdf")
    assert pdf.status_code == 200
    assert "Total $80.00" in pdf_text(pdf.data)
    assert 'data-figure="total"><strong>$80.00' in portal.get(
        f"/portal/acme/quotes/{sent_quote.id}"
    ).get_data(as_text=True)


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "path", "tab"),
    [
        ("show_quotes", "/portal/acme/quotes", "Quotes"),
        ("show_invoices", "/portal/acme/invoices", "Invoices"),
        ("show_reports", "/portal/acme/reports", "Reports"),
    ],
)
def test_company_can_hide_a_tab(portal, db, company, switch, path, tab):
    other_tab = "/portal/acme/reports" if tab != "Reports" else "/portal/acme/quotes"
    assert portal.get(path).status_code == 200
    setattr(company, switch, False)
    db.session.flush()
    assert portal.get(path).status_code == 404
    nav = portal.get(other_tab)
    assert f">{tab}</a>" not in nav.get_data(as_text=True)


def test_contact_without_permission_gets_404(client, db, create, customer, sent_quote):
    limited = create.contact(customer, is_admin=False, permissions=[PortalPermission.REPORTS.value])
    sign_in(client, limited)
    assert client.get("/portal/acme/quotes").status_code == 404
    assert client.get(f"/portal/acme/quotes/{sent_quote.id}").status_code == 404
    assert client.get(f"/portal/acme/quotes/{sent_quote.id}.pdf").status_code == 404
    assert client.get("/portal/acme/invoices").status_code == 404
    page = client.get("/portal/acme/reports")
    assert page.status_code == 200
    assert ">Quotes</a>" not in page.get_data(as_text=True)


def test_other_customers_and_tenants_are_404(portal, create, company, other_company, db, owner):
    neighbour = create.customer(company)
    stranger = create.customer(other_company)
    targets = []
    for who in (neighbour, stranger):
        quote = create.quote(who)
        invoice = create.invoice(who)
        report = reports.create_report(who, kind=ReportKind.TEST, title="r")
        report_owner = owner if who.company_id == company.id else create.staff(other_company)
        reports.approve_report(report, by=report_owner)
        targets += [
            f"/portal/acme/quotes/{quote.id}",
            f"/portal/acme/quotes/{quote.id}.pdf",
            f"/portal/acme/invoices/{invoice.id}",
            f"/portal/acme/invoices/{invoice.id}.pdf",
            f"/portal/acme/reports/{report.id}",
            f"/portal/acme/reports/{report.id}.pdf",
        ]
    for url in targets:
        assert portal.get(url).status_code == 404, url
    # Signed in to acme only: rival's portal asks for its own sign-in, showing nothing.
    response = portal.get("/portal/rival/invoices")
    assert response.status_code == 302 and response.headers["Location"] == "/portal/rival/sign-in"


def test_staff_and_signed_out_get_no_portal_pages(client, staff_client):
    response = staff_client.get("/portal/acme/invoices")
    assert response.status_code == 302 and response.headers["Location"] == "/portal/acme/sign-in"


# --- Invoices -------------------------------------------------------------------------


def test_invoice_list_filters_and_never_drafts(portal, create, customer):
    create.invoice(customer, lines=(("Open work", 5_000),))
    create.invoice(
        customer, status=InvoiceStatus.PAID, amount_paid_cents=7_000, lines=(("Paid work", 7_000),)
    )
    create.invoice(customer, status=InvoiceStatus.DRAFT, lines=(("Draft work", 9_900),))
    open_text = text_of(portal.get("/portal/acme/invoices"))
    assert "$50.00" in open_text and "$70.00" not in open_text and "$99.00" not in open_text
    paid_text = text_of(portal.get("/portal/acme/invoices?state=paid"))
    assert "$70.00" in paid_text and "$50.00" not in paid_text
    all_text = text_of(portal.get("/portal/acme/invoices?state=all"))
    assert "$99.00" not in all_text


def test_invoice_detail_and_pdf_agree(portal, create, customer, owner, db):
    from fieldportal.models import PaymentMethod
    from fieldportal.services.billing import invoices

    invoice = create.invoice(customer, lines=(("Service", 30_000),))
    invoices.record_payment(invoice, amount_cents=12_345, method=PaymentMethod.CASH, by=owner)
    page = text_of(portal.get(f"/portal/acme/invoices/{invoice.id}"))
    assert "Total $300.00" in page and "Paid $123.45" in page and "Balance due $176.55" in page
    assert "Net 30" in page
    pdf = pdf_text(portal.get(f"/portal/acme/invoices/{invoice.id}.pdf").data)
    assert "Total $300.00" in pdf and "Paid $123.45" in pdf and "Balance due $176.55" in pdf


def test_without_stripe_pay_is_replaced_by_a_message(portal, create, customer, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")
    invoice = create.invoice(customer)
    text = text_of(portal.get(f"/portal/acme/invoices/{invoice.id}"))
    assert "Online payment is not set up — contact Acme Mobile Mechanics" in text
    assert "Pay" not in text.replace("Payments", "").replace("payment", "")
    assert portal.post(f"/portal/acme/invoices/{invoice.id}/pay").status_code == 404


def test_pay_balance_redirects_to_checkout_then_webhook_marks_paid(
    portal, db, create, customer, stripe_on
):
    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    assert portal.get(f"/portal/acme/invoices/{invoice.id}").status_code == 200
    response = portal.post(
        f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": "", "amount_cents": "1"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_on.url + "/pay/cs_test_")
    checkout = db.session.scalar(select(CheckoutPayment).order_by(CheckoutPayment.id.desc()))
    assert checkout.amount_cents == 25_000
    params = stripe_on.requests[-1]["params"]
    assert (
        params["success_url"] == f"https://portal.example.test/portal/acme/payments/{checkout.id}"
    )
    status_page = portal.get(f"/portal/acme/payments/{checkout.id}")
    assert "Processing" in text_of(status_page)
    assert 'hx-trigger="every 2s"' in status_page.get_data(as_text=True)
    session = completed_session(stripe_on.sessions[checkout.checkout_session_id])
    payload = event_payload("checkout.session.completed", session, "evt_portal_1")
    hook = portal.post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign(payload)}, csrf=False
    )
    assert hook.status_code == 200
    fragment = portal.get(f"/portal/acme/payments/{checkout.id}", headers={"HX-Request": "true"})
    assert "Payment received" in text_of(fragment) and "every 2s" not in fragment.get_data(
        as_text=True
    )
    assert "Paid" in text_of(portal.get(f"/portal/acme/invoices/{invoice.id}"))


def test_htmx_pay_sends_the_whole_page_to_checkout(portal, create, customer, stripe_on):
    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    response = portal.post(
        f"/portal/acme/invoices/{invoice.id}/pay",
        data={"amount": "", "amount_cents": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204 and "Location" not in response.headers
    assert response.headers["HX-Redirect"].startswith(stripe_on.url + "/pay/cs_test_")


def test_partial_amount_and_overpay(portal, db, create, customer, stripe_on):
    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    too_much = portal.post(f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": "250.01"})
    assert too_much.status_code == 422 and "more than the balance" in text_of(too_much)
    junk = portal.post(f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": "lots"})
    assert junk.status_code == 422
    partial = portal.post(f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": "100.50"})
    assert partial.status_code == 303
    checkout = db.session.scalar(select(CheckoutPayment).order_by(CheckoutPayment.id.desc()))
    assert checkout.amount_cents == 10_050


def test_pay_several_selected_invoices(portal, db, create, customer, company, stripe_on):
    first = create.invoice(customer, lines=(("A", 1_000),))
    second = create.invoice(customer, lines=(("B", 2_000),))
    theirs = create.invoice(create.customer(company))
    assert (
        portal.post(
            "/portal/acme/invoices/pay", data={"invoice_id": [first.id, theirs.id]}
        ).status_code
        == 404
    )
    response = portal.post("/portal/acme/invoices/pay", data={"invoice_id": [first.id, second.id]})
    assert response.status_code == 303
    checkout = db.session.scalar(select(CheckoutPayment).order_by(CheckoutPayment.id.desc()))
    assert checkout.amount_cents == 3_000
    db.session.refresh(checkout, ["allocations"])
    assert {a.invoice_id for a in checkout.allocations} == {first.id, second.id}
    nothing = portal.post("/portal/acme/invoices/pay", data={})
    assert nothing.status_code == 422


class _StripeDown:
    """A Stripe client whose Checkout Sessions API refuses every call."""

    def __init__(self):
        import types

        def create(**_):
            import stripe

            raise stripe.APIConnectionError("stripe is down")

        self.v1 = types.SimpleNamespace(
            checkout=types.SimpleNamespace(sessions=types.SimpleNamespace(create=create))
        )


def test_a_refused_checkout_shows_the_invoice_again_and_stores_nothing(
    portal, db, create, customer, stripe_on, monkeypatch
):
    from fieldportal.services.billing import payments

    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    monkeypatch.setattr(payments, "stripe_client", _StripeDown)
    response = portal.post(f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": "100"})
    assert response.status_code == 422
    text = text_of(response)
    assert "Online payment is unavailable right now. Please try again." in text
    assert f"#{invoice.number}" in text and "$250.00" in text
    assert db.session.scalar(select(func.count(CheckoutPayment.id))) == 0

    several = portal.post("/portal/acme/invoices/pay", data={"invoice_id": [invoice.id]})
    assert several.status_code == 422
    text = text_of(several)
    assert "Online payment is unavailable right now. Please try again." in text
    assert f"#{invoice.number}" in text
    assert db.session.scalar(select(func.count(CheckoutPayment.id))) == 0


def test_pay_is_post_only(portal, create, customer, stripe_on):
    invoice = create.invoice(customer)
    assert portal.get(f"/portal/acme/invoices/{invoice.id}/pay").status_code == 405


def test_statement_pdf(portal, create, customer):
    create.invoice(customer, lines=(("Work", 4_200),))
    pdf = portal.get("/portal/acme/statement.pdf")
    assert pdf.status_code == 200
    assert "Statement of account" in pdf_text(pdf.data) and "$42.00" in pdf_text(pdf.data)


# --- Reports --------------------------------------------------------------------------


def test_only_approved_reports_reach_the_portal(portal, db, customer, owner):
    draft = reports.create_report(customer, kind=ReportKind.INSPECTION, title="Draft findings")
    approved = reports.create_report(
        customer, kind=ReportKind.INSPECTION, title="Final findings", body="All <ok>"
    )
    reports.approve_report(approved, by=owner)
    text = text_of(portal.get("/portal/acme/reports"))
    assert "Final findings" in text and "Draft findings" not in text
    assert portal.get(f"/portal/acme/reports/{draft.id}").status_code == 404
    page = portal.get(f"/portal/acme/reports/{approved.id}")
    assert "All &lt;ok&gt;" in page.get_data(as_text=True)
    assert "All <ok>" in pdf_text(portal.get(f"/portal/acme/reports/{approved.id}.pdf").data)


def test_invoice_pages_let_pay_forms_continue_to_checkout(
    portal, create, customer, app, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
    invoice = create.invoice(customer)
    csp = portal.get(f"/portal/acme/invoices/{invoice.id}").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com" in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    other = portal.get("/portal/acme/quotes").headers["Content-Security-Policy"]
    assert "checkout.stripe.com" not in other


@pytest.mark.parametrize("path", ["/portal/acme/invoices?state=all", "/portal/acme/quotes"])
def test_portal_list_queries_do_not_grow_with_rows(portal, create, customer, count_queries, path):
    create.invoice(customer)
    create.quote(customer)
    portal.get(path)  # the session's first request also records last-seen
    with count_queries() as few:
        assert portal.get(path).status_code == 200
    for _ in range(8):
        create.invoice(customer)
        create.quote(customer)
    with count_queries() as many:
        portal.get(path)
    assert len(many) == len(few) <= 8


def test_operator_detail_queries_do_not_grow_with_lines(
    staff_client, create, customer, count_queries
):
    small = create.invoice(customer, lines=(("A", 100),))
    big = create.invoice(customer, lines=tuple((f"L{n}", 100 + n) for n in range(30)))
    staff_client.get("/invoices")  # the session's first request also records last-seen
    with count_queries() as few:
        staff_client.get(f"/invoices/{small.id}")
    with count_queries() as many:
        staff_client.get(f"/invoices/{big.id}")
    assert len(many) == len(few) <= 8


def test_tab_swap_returns_the_panel_only(portal, create, customer):
    create.invoice(customer, lines=(("Swap", 4_321),))
    for path, heading in (
        ("/portal/acme/invoices", "Invoices"),
        ("/portal/acme/quotes", "Quotes"),
        ("/portal/acme/reports", "Reports"),
    ):
        fragment = portal.get(path, headers={"HX-Request": "true", "HX-Target": "panel"})
        html = fragment.get_data(as_text=True)
        assert fragment.status_code == 200 and "<html" not in html
        assert f"<h1>{heading}</h1>" in html


def test_site_scoped_contact_sees_only_its_sites_invoices(client, db, create, customer):
    north = create.site(customer, name="North depot")
    south = create.site(customer, name="South depot")
    north_invoice = create.invoice(customer, site_id=north.id, lines=(("North", 1_111),))
    south_invoice = create.invoice(customer, site_id=south.id, lines=(("South", 2_222),))
    scoped = create.contact(customer, all_sites=False, email="north@bakery.test")
    scoped.sites.append(north)
    db.session.flush()
    sign_in(client, scoped)
    text = text_of(client.get("/portal/acme/invoices"))
    assert "$11.11" in text and "$22.22" not in text
    assert client.get(f"/portal/acme/invoices/{north_invoice.id}").status_code == 200
    assert client.get(f"/portal/acme/invoices/{south_invoice.id}").status_code == 404
    assert client.get(f"/portal/acme/invoices/{south_invoice.id}.pdf").status_code == 404


def test_site_scoped_statement_covers_only_its_sites(client, db, create, customer):
    north = create.site(customer, name="North depot")
    south = create.site(customer, name="South depot")
    create.invoice(customer, site_id=north.id, lines=(("North", 1_111),))
    create.invoice(customer, site_id=south.id, lines=(("South", 2_222),))
    scoped = create.contact(customer, all_sites=False, email="north2@bakery.test")
    scoped.sites.append(north)
    db.session.flush()
    sign_in(client, scoped)
    text = pdf_text(client.get("/portal/acme/statement.pdf").data)
    assert "$11.11" in text and "$22.22" not in text
