"""Random text in every billing form field never gives a 500 (QUALITY.md 32)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldportal.models import InvoiceStatus

FIELD_TEXT = st.text(max_size=40)
# Numeric fields also get numbers written every way Python can: NaN, Infinity, exponents,
# -0, 60-digit integers, long fractions.
NUMBER_TEXT = st.one_of(
    FIELD_TEXT,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.integers().map(str),
    st.integers(min_value=10**20, max_value=10**60).map(str),
)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(
    description=FIELD_TEXT,
    quantity=NUMBER_TEXT,
    price=NUMBER_TEXT,
    tax=NUMBER_TEXT,
    po=FIELD_TEXT,
    terms=FIELD_TEXT,
)
def test_invoice_form(staff_client, customer, description, quantity, price, tax, po, terms):
    response = staff_client.post(
        "/invoices/new",
        data={
            "customer_id": str(customer.id),
            "billing_terms": terms,
            "tax_percent": tax,
            "po_number": po,
            "lines-0-description": description,
            "lines-0-quantity": quantity,
            "lines-0-unit_price": price,
        },
    )
    assert response.status_code in (303, 400, 422)


@SETTINGS
@given(title=FIELD_TEXT, valid_until=FIELD_TEXT, price=NUMBER_TEXT, customer_id=FIELD_TEXT)
def test_quote_form(staff_client, customer, title, valid_until, price, customer_id):
    response = staff_client.post(
        "/quotes/new",
        data={
            "customer_id": customer_id,
            "title": title,
            "valid_until": valid_until,
            "lines-0-description": "Work",
            "lines-0-unit_price": price,
        },
    )
    assert response.status_code in (303, 400, 404, 422)


@SETTINGS
@given(
    amount=NUMBER_TEXT,
    method=FIELD_TEXT,
    reference=FIELD_TEXT,
    received=FIELD_TEXT,
    reason=FIELD_TEXT,
)
def test_payment_and_void_forms(
    staff_client, create, customer, amount, method, reference, received, reason
):
    invoice = create.invoice(customer, status=InvoiceStatus.SENT)
    paid = staff_client.post(
        f"/invoices/{invoice.id}/payments",
        data={"amount": amount, "method": method, "reference": reference, "received_on": received},
    )
    assert paid.status_code in (303, 400, 422)
    voided = staff_client.post(f"/invoices/{invoice.id}/void", data={"reason": reason})
    assert voided.status_code in (303, 400, 422)


@SETTINGS
@given(amount=NUMBER_TEXT)
def test_portal_partial_amount(client, create, customer, stripe_on, amount):
    from tests.helpers import first_contact, sign_in

    sign_in(client, first_contact(customer))
    invoice = create.invoice(customer, lines=(("Service", 25_000),))
    response = client.post(f"/portal/acme/invoices/{invoice.id}/pay", data={"amount": amount})
    assert response.status_code in (303, 400, 422)  # 400: a NUL byte


def test_nul_byte_is_a_clear_400_or_422(staff_client, customer):
    response = staff_client.post(
        "/invoices/new",
        data={
            "customer_id": str(customer.id),
            "billing_terms": "net_30",
            "lines-0-description": "Oil\x00change",
            "lines-0-unit_price": "10",
        },
    )
    assert response.status_code in (400, 422)
