"""A customer's data, theirs: the data page, the zip of everything held about one
customer, and erasing a customer on request (what the database and the upload folder
hold afterwards)."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import (
    AuditEvent,
    AuthSession,
    Contact,
    Customer,
    Invoice,
    InvoiceStatus,
    LoginLink,
    OutboxEmail,
    Payment,
    PaymentMethod,
    QuoteDecision,
    QuoteDecisionKind,
    RequestPhoto,
    ServiceRequest,
    StaffRole,
    utcnow,
)
from fieldportal.services.work import request_photos
from tests.exports.conftest import read_csv
from tests.helpers import sign_in, text_of
from tests.requests.conftest import image_bytes, upload


def _photo(service_request) -> RequestPhoto:
    prepared = request_photos.prepare_photo(upload(image_bytes("JPEG")))
    filename = request_photos.store_photo(prepared)
    photo = RequestPhoto(
        company_id=service_request.company_id,
        request_id=service_request.id,
        filename=filename,
        content_type=prepared.content_type,
        width=prepared.width,
        height=prepared.height,
        size_bytes=len(prepared.data),
    )
    db.session.add(photo)
    db.session.flush()
    return photo


class Books:
    pass


@pytest.fixture
def books(app, company, other_company, create, owner):
    """Ada's Garage with two contacts (one signed in, one with a sign-in link), a site, a
    vehicle, a request with a photo, a quote she answered, a part-paid invoice, a draft,
    an email to her; and Bob's Bikes of the same company, untouched by anything."""
    b = Books()
    b.customer = create.customer(
        company, name="Ada's Garage", email="ada@garage.test", phone="+13125550142",
        notes="Prefers mornings", billing_address="1 Oak Lane, Springfield",
    )  # fmt: skip
    b.contact = create.contact(b.customer, name="Ada Lovelace", email="ada.l@garage.test")
    b.second = create.contact(b.customer, name="Charles Babbage", email="cb@garage.test")
    b.site = create.site(b.customer, name="Oak Lane")
    b.vehicle = create.vehicle(b.customer, make="Ford", model="Transit", plate="ADA 1")
    b.request = create.request(b.customer, contact_id=b.contact.id, description="Brakes squeal")
    b.photo = _photo(b.request)
    b.quote = create.quote(b.customer, title="Brake job")
    db.session.add(
        QuoteDecision(
            company_id=company.id, quote_id=b.quote.id, revision=1, quote_sha256="0" * 64,
            decision=QuoteDecisionKind.ACCEPTED, contact_id=b.contact.id,
            signed_name="Ada Lovelace", message="Go ahead", ip_address="203.0.113.9",
            user_agent="Firefox",
        )
    )  # fmt: skip
    b.invoice = create.invoice(b.customer, lines=(("Brakes", 20_000),), amount_paid_cents=5_000)
    db.session.add(
        Payment(
            company_id=company.id, invoice=b.invoice, method=PaymentMethod.CASH,
            amount_cents=5_000, recorded_by_id=owner.id,
        )
    )  # fmt: skip
    b.draft = create.invoice(b.customer, status=InvoiceStatus.DRAFT, issued_on=None, due_on=None)
    db.session.add(
        OutboxEmail(
            company_id=company.id, to_address="Ada.L@garage.test", kind="magic_link",
            subject="Your sign-in link", text_body="Hello Ada",
        )
    )  # fmt: skip
    b.session = sign_in(app.test_client(), b.contact)
    db.session.add(
        LoginLink(
            company_id=company.id, contact_id=b.second.id, token_hash="f" * 64,
            expires_at=utcnow() + timedelta(minutes=30),
        )
    )  # fmt: skip
    b.other = create.customer(company, name="Bob's Bikes", email="bob@bikes.test")
    b.other_contact = create.contact(b.other, name="Bob Rider", email="bob.r@bikes.test")
    db.session.add(
        OutboxEmail(
            company_id=company.id, to_address="bob.r@bikes.test", kind="magic_link",
            subject="Your sign-in link", text_body="Hello Bob",
        )
    )  # fmt: skip
    b.other_request = create.request(b.other, description="Chain slips")
    b.other_photo = _photo(b.other_request)
    db.session.flush()
    return b


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _csv(archive, name):
    class Body:
        def __init__(self, data):
            self.data = data

        def get_data(self):
            return self.data

    return read_csv(Body(archive.read(name)))


def test_the_data_page_says_what_is_held(staff_client, books):
    response = staff_client.get(f"/customers/{books.customer.id}/data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for label, count in (("Contacts", 2), ("Invoices", 2), ("Payments", 1), ("Request photos", 1)):
        assert f'data-held="{label}">{count}<' in html
    assert 'data-held="Emails">1<' in html  # the address is matched whatever its case
    text = text_of(response)
    assert "Erasing cannot be undone." in text
    assert "with the name and billing address they were issued to" in text
    fragment = staff_client.get(
        f"/customers/{books.customer.id}/data", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and fragment.startswith('<div id="customer-data">')


def test_the_zip_holds_everything_about_the_customer_and_nothing_else(staff_client, books, company):
    archive = _zip(staff_client.post(f"/customers/{books.customer.id}/data/export"))
    names = set(archive.namelist())
    assert {"README.txt", "customer.json", "contacts.csv", "invoices.csv", "payments.csv"} <= names
    assert f"invoices/invoice-{books.invoice.number}.pdf" in names
    assert f"invoices/invoice-{books.draft.number}.pdf" not in names  # drafts were never sent
    assert f"quotes/quote-{books.quote.number}.pdf" in names
    assert archive.read(f"invoices/invoice-{books.invoice.number}.pdf").startswith(b"%PDF")
    [photo] = [name for name in names if name.startswith("photos/")]
    assert (
        archive.read(photo) == (request_photos.photo_folder() / books.photo.filename).read_bytes()
    )

    profile = json.loads(archive.read("customer.json"))
    assert profile["customer"]["name"] == "Ada's Garage"
    assert profile["customer"]["email"] == "ada@garage.test"
    assert [c["name"] for c in profile["contacts"]] == ["Ada Lovelace", "Charles Babbage"]
    assert profile["sites"][0]["name"] == "Oak Lane"
    assert "password_hash" not in archive.read("customer.json").decode()

    assert [row["Name"] for row in _csv(archive, "contacts.csv")] == [
        "Ada Lovelace",
        "Charles Babbage",
    ]
    invoices = _csv(archive, "invoices.csv")
    assert [(row["Total"], row["Paid"], row["Balance"]) for row in invoices] == [
        ("200.00", "50.00", "150.00"),
        ("100.00", "0.00", "0.00"),
    ]
    assert [row["Amount"] for row in _csv(archive, "payments.csv")] == ["50.00"]
    assert [row["Description"] for row in _csv(archive, "service-requests.csv")] == [
        "Brakes squeal"
    ]
    assert [row["Plate"] for row in _csv(archive, "vehicles.csv")] == ["ADA 1"]
    assert [row["Subject"] for row in _csv(archive, "emails.csv")] == ["Your sign-in link"]
    everything = b"".join(archive.read(name) for name in names if not name.endswith(".pdf"))
    assert b"Bob" not in everything and b"Chain slips" not in everything
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "customer.exported")
    ).one()
    assert event.customer_id == books.customer.id and event.details["documents"] == 2


def _erase(client, customer, **fields):
    data = {"confirmation": customer.name, "understood": "y", **fields}
    return client.post(f"/customers/{customer.id}/erase", data=data)


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_erasing_removes_what_is_personal_and_keeps_invoices_and_payments(
    staff_client, app, books, company
):
    customer = books.customer
    photo_file = request_photos.photo_folder() / books.photo.filename
    other_file = request_photos.photo_folder() / books.other_photo.filename
    thumb_file = request_photos.photo_folder() / request_photos.thumb_name(books.photo.filename)
    contact_ids = [books.contact.id, books.second.id]
    response = _erase(staff_client, customer)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/customers/{customer.id}/data"

    assert _count(Contact, Contact.customer_id == customer.id) == 0
    assert _count(AuthSession, AuthSession.customer_id == customer.id) == 0
    assert _count(LoginLink, LoginLink.contact_id.in_(contact_ids)) == 0
    assert _count(RequestPhoto, RequestPhoto.request_id == books.request.id) == 0
    assert not photo_file.exists() and not thumb_file.exists()
    assert _count(OutboxEmail, func.lower(OutboxEmail.to_address).like("%garage.test")) == 0
    request = db.session.get(ServiceRequest, books.request.id)
    db.session.refresh(request)
    assert request.description == "Erased on request" and request.contact_id is None
    decision = db.session.scalars(
        select(QuoteDecision).where(QuoteDecision.quote_id == books.quote.id)
    ).one()
    assert (decision.signed_name, decision.message, decision.ip_address) == (None, None, None)
    assert decision.user_agent is None and decision.decision == QuoteDecisionKind.ACCEPTED

    # Invoices and payments stay, figures and all, under the name they were issued to.
    assert _count(Invoice, Invoice.customer_id == customer.id) == 2
    invoice = db.session.get(Invoice, books.invoice.id)
    db.session.refresh(invoice)
    assert (invoice.total_cents, invoice.amount_paid_cents) == (20_000, 5_000)
    assert _count(Payment, Payment.invoice_id == books.invoice.id) == 1
    erased = db.session.get(Customer, customer.id)
    db.session.refresh(erased)
    assert erased.name == "Ada's Garage" and erased.billing_address == "1 Oak Lane, Springfield"
    assert (erased.email, erased.phone, erased.notes) == (None, None, None)
    assert erased.erased_at is not None and erased.archived_at is not None
    assert not erased.portal_enabled

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "customer.erased")
    ).one()
    assert event.details == {
        "contacts": 2, "sessions": 1, "emails": 1, "photos": 1, "requests": 1,
        "quote_decisions": 1, "audit_events": event.details["audit_events"],
        "invoices_kept": 2, "payments_kept": 1,
    }  # fmt: skip
    assert "Ada" not in event.summary
    # The rest of the company is as it was.
    assert _count(Contact, Contact.customer_id == books.other.id) == 1
    assert _count(OutboxEmail, OutboxEmail.to_address == "bob.r@bikes.test") == 1
    assert other_file.exists()
    page = text_of(staff_client.get(f"/customers/{customer.id}/data"))
    assert "This customer was erased on request" in page and "Erase this customer" not in page


def test_an_erased_contact_is_signed_out_of_the_portal(app, books, owner):
    portal = app.test_client()
    sign_in(portal, books.contact)
    assert portal.get("/portal/acme/").status_code == 200
    staff = app.test_client()
    sign_in(staff, owner)
    assert _erase(staff, books.customer).status_code == 303
    response = portal.get("/portal/acme/")
    assert response.status_code == 302 and "/portal/acme/sign-in" in response.headers["Location"]


def test_without_an_issued_invoice_the_name_goes_too(staff_client, create, company):
    customer = create.customer(company, name="Zoë Private", billing_address="2 Elm St")
    create.invoice(customer, status=InvoiceStatus.DRAFT, issued_on=None, due_on=None)
    page = text_of(staff_client.get(f"/customers/{customer.id}/data"))
    assert f"the name is replaced by “Erased customer {customer.id}”" in page
    assert _erase(staff_client, customer).status_code == 303
    erased = db.session.get(Customer, customer.id)
    db.session.refresh(erased)
    assert erased.name == f"Erased customer {customer.id}" and erased.billing_address is None


@pytest.mark.parametrize(
    "fields",
    [
        {"confirmation": "Ada"},  # not the whole name
        {"confirmation": ""},
        {"understood": ""},
    ],
)
def test_erasing_needs_the_name_and_the_tick(staff_client, books, fields):
    response = _erase(staff_client, books.customer, **fields)
    assert response.status_code == 422
    text = text_of(response)
    assert "Type the customer" in text or "Tick the box" in text
    assert _count(Contact, Contact.customer_id == books.customer.id) == 2
    assert _count(AuditEvent, AuditEvent.action == "customer.erased") == 0
    assert (request_photos.photo_folder() / books.photo.filename).exists()


def test_a_refusal_answers_htmx_with_the_fragment(staff_client, books):
    response = staff_client.post(
        f"/customers/{books.customer.id}/erase",
        data={"confirmation": "nope", "understood": "y"},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert 'aria-invalid="true"' in html and "exactly as shown" in html


def test_erasing_twice_is_a_conflict(staff_client, books):
    assert _erase(staff_client, books.customer).status_code == 303
    customer = db.session.get(Customer, books.customer.id)
    db.session.refresh(customer)
    response = _erase(staff_client, customer)
    assert response.status_code == 409 and "erased already" in text_of(response)


@pytest.mark.parametrize("role", [StaffRole.DISPATCHER, StaffRole.TECHNICIAN])
def test_only_owners_export_or_erase(client, create, company, books, role):
    sign_in(client, create.staff(company, role))
    customer_id = books.customer.id
    assert client.get(f"/customers/{customer_id}/data").status_code == 404
    assert client.post(f"/customers/{customer_id}/data/export").status_code == 404
    assert _erase(client, books.customer).status_code == 404
    assert _count(Contact, Contact.customer_id == customer_id) == 2


def test_another_companys_customer_is_404(staff_client, create, other_company):
    rival = create.customer(other_company, name="Rival")
    create.contact(rival, name="Rival Contact", email="r@rival.test")
    assert staff_client.get(f"/customers/{rival.id}/data").status_code == 404
    assert staff_client.post(f"/customers/{rival.id}/data/export").status_code == 404
    assert _erase(staff_client, rival).status_code == 404
    assert _count(Contact, Contact.customer_id == rival.id) == 1
