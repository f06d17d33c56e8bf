"""Operator invoice pages: author, send (outbox), record payment, void, PDF, access."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldportal.models import BillingTerms, Invoice, InvoiceStatus, OutboxEmail, StaffRole
from tests.helpers import sign_in, text_of


def line_fields(*rows):
    data = {}
    for n, (description, qty, price, taxable) in enumerate(rows):
        data[f"lines-{n}-description"] = description
        data[f"lines-{n}-quantity"] = qty
        data[f"lines-{n}-unit_price"] = price
        if taxable:
            data[f"lines-{n}-taxable"] = "y"
    return data


def test_create_send_pay_and_the_pdf_match_the_page(staff_client, db, customer):
    response = staff_client.post(
        "/invoices/new",
        data={
            "customer_id": customer.id,
            "billing_terms": "net_15",
            "tax_percent": "8.25",
            "po_number": "PO-1",
            **line_fields(
                ("Brake pads", "2", "45.50", True),
                ("Disposal", "1", "10", False),
                ("", "", "", True),
            ),
        },
    )
    assert response.status_code == 303
    detail_url = response.headers["Location"]
    page = staff_client.get(detail_url)
    text = text_of(page)
    assert "Draft" in text and "Brake pads" in text
    # 91.00 + 10.00; tax 8.25 % of 91.00 = 7.5075 → 7.51
    assert "Subtotal $101.00" in text and "Tax (8.25%) $7.51" in text and "Total $108.51" in text

    sent = staff_client.post(detail_url + "/send")
    assert sent.status_code == 303
    email = db.session.scalar(select(OutboxEmail))
    assert email.to_address == "hana@bakery.test" and email.kind == "invoice_sent"
    text = text_of(staff_client.get(detail_url))
    assert "Net 15" in text and "Open" in text

    paid = staff_client.post(
        detail_url + "/payments", data={"amount": "50.00", "method": "check", "reference": "CHK 7"}
    )
    assert paid.status_code == 303
    text = text_of(staff_client.get(detail_url))
    assert "Partially paid" in text and "Paid $50.00" in text and "Balance due $58.51" in text

    pdf = staff_client.get(detail_url + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "default-src 'self'" in pdf.headers["Content-Security-Policy"]
    pdf_text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages
    )
    for figure in (
        "$101.00",
        "$7.51",
        "Total $108.51",
        "Paid $50.00",
        "Balance due $58.51",
        "CHK 7",
    ):
        assert figure in pdf_text


def test_invalid_lines_re_render_with_422(staff_client, customer):
    response = staff_client.post(
        "/invoices/new",
        data={
            "customer_id": customer.id,
            "billing_terms": "net_30",
            **line_fields(("Oil", "1", "", True)),
        },
    )
    assert response.status_code == 422
    assert "Enter a unit price." in text_of(response)
    response = staff_client.post(
        "/invoices/new", data={"customer_id": customer.id, "billing_terms": "net_30"}
    )
    assert response.status_code == 422
    assert "Add at least one line" in text_of(response)


def test_overpayment_is_refused_on_the_page(staff_client, create, customer):
    invoice = create.invoice(customer)
    response = staff_client.post(
        f"/invoices/{invoice.id}/payments", data={"amount": "100.01", "method": "cash"}
    )
    assert response.status_code == 422
    assert "more than the balance" in text_of(response)
    assert invoice.amount_paid_cents == 0


def test_send_without_email_says_so_and_sends_nothing(staff_client, db, create, company):
    customer = create.customer(company, email=None)
    invoice = create.invoice(customer, status=InvoiceStatus.DRAFT)
    response = staff_client.post(f"/invoices/{invoice.id}/send")
    assert response.status_code == 422
    assert "No email on file" in text_of(response)
    assert db.session.scalar(select(OutboxEmail)) is None
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.DRAFT


def test_void_needs_reason(staff_client, create, customer, db):
    invoice = create.invoice(customer)
    assert staff_client.post(f"/invoices/{invoice.id}/void", data={"reason": ""}).status_code == 422
    assert (
        staff_client.post(f"/invoices/{invoice.id}/void", data={"reason": "Duplicate"}).status_code
        == 303
    )
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.VOID
    assert "Void reason Duplicate" in text_of(staff_client.get(f"/invoices/{invoice.id}"))


def test_list_filters_and_fragment(staff_client, create, customer):
    create.invoice(customer, lines=(("A", 1_000),))
    create.invoice(
        customer, status=InvoiceStatus.PAID, amount_paid_cents=2_000, lines=(("B", 2_000),)
    )
    page = staff_client.get("/invoices?status=paid")
    table = page.text.split('id="invoice-table"', 1)[1]  # below the A/R and revenue figures
    assert page.status_code == 200 and "$20.00" in table and "$10.00" not in table
    fragment = staff_client.get("/invoices?status=open", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "$10.00" in text_of(fragment)


def test_list_queries_do_not_grow_with_rows(staff_client, create, company, count_queries):
    customers = [create.customer(company) for _ in range(3)]
    create.invoice(customers[0])
    with count_queries() as few:
        staff_client.get("/invoices")
    for c in customers:
        for _ in range(5):
            create.invoice(c)
    with count_queries() as many:
        staff_client.get("/invoices")
    assert len(many) == len(few)


@pytest.mark.parametrize("suffix", ["", ".pdf", "/edit"])
def test_other_companies_invoices_are_404(staff_client, create, other_company, suffix):
    theirs = create.invoice(create.customer(other_company), status=InvoiceStatus.DRAFT)
    assert staff_client.get(f"/invoices/{theirs.id}{suffix}").status_code == 404
    for action in ("send", "void", "payments"):
        assert (
            staff_client.post(
                f"/invoices/{theirs.id}/{action}",
                data={"reason": "x", "amount": "1", "method": "cash"},
            ).status_code
            == 404
        )


def test_technicians_see_no_invoices(client, create, company, customer):
    technician = create.staff(company, role=StaffRole.TECHNICIAN)
    invoice = create.invoice(customer)
    sign_in(client, technician)
    assert client.get("/invoices").status_code == 404
    assert client.get(f"/invoices/{invoice.id}").status_code == 404
    assert client.get(f"/invoices/{invoice.id}.pdf").status_code == 404
    assert "Invoices" not in text_of(client.get("/"))


@pytest.mark.parametrize(
    ("chosen", "expected", "days"),
    [("", BillingTerms.NET_30, 30), ("net_15", BillingTerms.NET_15, 15)],
)
def test_new_invoice_takes_the_customers_terms_unless_others_are_chosen(
    staff_client, db, company, create, chosen, expected, days
):
    company.default_billing_terms = BillingTerms.ON_COMPLETION
    customer = create.customer(company, billing_terms=BillingTerms.NET_30, email="ap@fleet.test")
    response = staff_client.post(
        "/invoices/new",
        data={
            "customer_id": customer.id,
            "billing_terms": chosen,
            **line_fields(("Service", "1", "80", True)),
        },
    )
    assert response.status_code == 303
    assert staff_client.post(response.headers["Location"] + "/send").status_code == 303
    invoice = db.session.scalar(select(Invoice))
    assert invoice.billing_terms == expected
    assert invoice.due_on == invoice.issued_on + timedelta(days=days)


def _reads_of_invoices(statements: list[str]) -> int:
    return sum(1 for s in statements if re.match(r"\s*SELECT\b.*?\bFROM invoices\b", s, re.S))


def test_sending_reads_the_invoice_once(staff_client, create, customer, count_queries, db):
    invoice_id = create.invoice(customer, status=InvoiceStatus.DRAFT).id
    db.session.flush()
    db.session.expire_all()
    with count_queries() as sent:
        assert staff_client.post(f"/invoices/{invoice_id}/send").status_code == 303
    assert _reads_of_invoices(sent) == 1, sent
    assert len(sent) <= 11, sent
    # refused (nothing to send it to): the page from the invoice in hand, no second read
    without_email = create.invoice(create.customer(customer.company, email=None)).id
    db.session.flush()
    db.session.expire_all()
    with count_queries() as refused:
        response = staff_client.post(f"/invoices/{without_email}/send")
    assert response.status_code == 422 and "No email on file" in text_of(response)
    assert _reads_of_invoices(refused) == 1, refused
    assert len(refused) <= 5, refused


def test_recording_a_payment_reads_the_invoice_once(
    staff_client, create, customer, count_queries, db
):
    invoice_id = create.invoice(customer).id
    db.session.flush()
    db.session.expire_all()
    with count_queries() as paid:
        response = staff_client.post(
            f"/invoices/{invoice_id}/payments", data={"amount": "10.00", "method": "cash"}
        )
    assert response.status_code == 303
    assert _reads_of_invoices(paid) == 1, paid
    assert len(paid) <= 7, paid
    db.session.expire_all()
    with count_queries() as refused:
        response = staff_client.post(
            f"/invoices/{invoice_id}/payments", data={"amount": "1000.00", "method": "cash"}
        )
    assert response.status_code == 422 and "more than the balance" in text_of(response)
    assert _reads_of_invoices(refused) == 1, refused
    assert len(refused) <= 4, refused
    assert db.session.get(Invoice, invoice_id).amount_paid_cents == 1_000


def test_list_pages_and_sorts_keeping_the_filter(staff_client, create, customer):
    for n in range(52):
        create.invoice(customer, lines=((f"Line {n}", 1_000 + n),))
    create.invoice(customer, status=InvoiceStatus.DRAFT, lines=(("Draft", 500),))
    first = staff_client.get("/invoices?status=open")
    assert "52 invoices" in text_of(first) and "Page 1 of 2" in text_of(first)
    assert 'href="/invoices?status=open&amp;page=2"' in first.text
    second = staff_client.get("/invoices?status=open&page=2", headers={"HX-Request": "true"})
    assert "<html" not in second.text and "Page 2 of 2" in text_of(second)
    assert re.findall(r">#(\d+)</a>", second.text) == ["2", "1"]  # the two oldest
    oldest_first = staff_client.get("/invoices?status=open&sort=number&dir=asc")
    numbers = re.findall(r">#(\d+)</a>", oldest_first.text)
    assert numbers == sorted(numbers, key=int) and len(numbers) == 50
    assert 'aria-sort="ascending"' in oldest_first.text


def test_a_long_list_is_counted_up_to_its_bound(staff_client, create, customer, monkeypatch):
    """Past COUNT_LIMIT the list says "N+" (the count stops there) and still pages on."""
    from fieldportal.services.billing import invoices

    for _ in range(4):
        create.invoice(customer)
    monkeypatch.setattr(invoices, "COUNT_LIMIT", 3)
    page = staff_client.get("/invoices", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "3+ invoices" in text_of(page)
    assert "Page 1 of" not in text_of(page)
    monkeypatch.setattr(invoices, "COUNT_LIMIT", 4)
    assert "4 invoices" in text_of(staff_client.get("/invoices", headers={"HX-Request": "true"}))
