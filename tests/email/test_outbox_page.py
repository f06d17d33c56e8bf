"""The operator's Outbox page: list, filters, a message as sent, retry; roles and tenants."""

from sqlalchemy import select

from fieldportal.models import OutboxEmail, OutboxStatus, StaffRole
from tests.helpers import sign_in, text_of


def _email(db, company, **fields):
    fields.setdefault("to_address", "frank@metro.example")
    fields.setdefault("kind", "magic_link")
    fields.setdefault("subject", "Your sign-in link")
    fields.setdefault("text_body", "Hello <b>Frank</b>")
    email = OutboxEmail(company_id=company.id, **fields)
    db.session.add(email)
    db.session.flush()
    return email


def test_list_filter_and_fragment(staff_client, db, company, other_company):
    _email(db, company, status=OutboxStatus.SENT)
    _email(
        db,
        company,
        to_address="carla@home.example",
        kind="invoice_sent",
        subject="Invoice 12",
        status=OutboxStatus.FAILED,
        last_error="SMTPRecipientsRefused",
    )
    _email(db, other_company, to_address="secret@rival.example", subject="Rival mail")
    page = text_of(staff_client.get("/outbox"))
    assert "frank@metro.example" in page and "carla@home.example" in page
    assert "secret@rival.example" not in page
    assert "SMTPRecipientsRefused" in page
    filtered = staff_client.get("/outbox?status=failed", headers={"HX-Request": "true"})
    html = filtered.get_data(as_text=True)
    assert (
        "<html" not in html and "carla@home.example" in html and "frank@metro.example" not in html
    )
    assert "Invoice 12" in text_of(staff_client.get("/outbox?recipient=CARLA"))
    assert "Invoice 12" not in text_of(staff_client.get("/outbox?kind=magic_link"))


def test_message_as_sent_is_escaped(staff_client, db, company):
    email = _email(db, company, html_body="<p>Hello <script>alert(1)</script></p>")
    html = staff_client.get(f"/outbox/{email.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Hello &lt;b&gt;Frank&lt;/b&gt;" in html


def test_retry_a_failed_email(staff_client, db, company):
    email = _email(db, company, status=OutboxStatus.FAILED, attempts=8, last_error="boom")
    email_id = email.id
    response = staff_client.post(f"/outbox/{email_id}/retry")
    assert response.status_code == 303
    row = db.session.get(OutboxEmail, email_id)
    assert row.status == OutboxStatus.QUEUED and row.attempts == 0
    assert staff_client.post(f"/outbox/{email_id}/retry").status_code == 409


def test_other_company_ids_are_404(staff_client, db, other_company):
    email = _email(db, other_company, status=OutboxStatus.FAILED)
    assert staff_client.get(f"/outbox/{email.id}").status_code == 404
    assert staff_client.post(f"/outbox/{email.id}/retry").status_code == 404
    assert db.session.get(OutboxEmail, email.id).status == OutboxStatus.FAILED


def test_technicians_cannot_see_the_outbox(client, db, company, create):
    sign_in(client, create.staff(company, role=StaffRole.TECHNICIAN))
    assert client.get("/outbox").status_code == 404
    assert 'href="/outbox"' not in client.get("/").get_data(as_text=True)


def test_outbox_queries_do_not_grow(staff_client, db, company, count_queries):
    _email(db, company)
    staff_client.get("/outbox")
    with count_queries() as few:
        staff_client.get("/outbox")
    for n in range(40):
        _email(db, company, to_address=f"p{n}@x.example")
    with count_queries() as many:
        staff_client.get("/outbox")
    assert len(many) == len(few) <= 8
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 41
