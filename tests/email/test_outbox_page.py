"""The operator's Outbox page: list, filters, a message as sent, retry; roles and tenants."""

import re

from sqlalchemy import select

from fieldportal.models import OutboxEmail, OutboxStatus, StaffRole
from fieldportal.services.mail.outbox_secrets import reveal
from fieldportal.services.portal import portal_auth
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


def _only_email(db) -> OutboxEmail:
    [email] = db.session.scalars(select(OutboxEmail)).all()
    return email


def test_a_queued_magic_link_token_is_not_shown_to_staff(app, staff_client, db, company, create):
    contact = create.contact(create.customer(company), email="frank@metro.example")
    with app.test_request_context():
        token = portal_auth.issue_login_link(contact)  # an earlier link: replaced below
        portal_auth.send_login_link(contact)
    email = _only_email(db)
    text, html = reveal(email)
    [live] = re.findall(r"/portal/acme/link/([\w-]{43})", text)
    assert live != token and live in html
    for page in (staff_client.get(f"/outbox/{email.id}"), staff_client.get("/outbox")):
        assert page.status_code == 200
        assert live not in page.get_data(as_text=True)
    shown = staff_client.get(f"/outbox/{email.id}").get_data(as_text=True)
    assert "[sign-in link hidden]" in shown
    assert "Sign-in links, temporary passwords and PINs are hidden here" in shown


def test_temporary_passwords_and_pins_are_not_shown_to_staff(
    app, staff_client, db, company, create
):
    contact = create.contact(create.customer(company), phone="555-0101")
    with app.test_request_context():
        portal_auth.send_activation(contact)
    email = _only_email(db)
    [password] = re.findall(r"temporary password:\s+(\S+)", reveal(email)[0])
    page = staff_client.get(f"/outbox/{email.id}").get_data(as_text=True)
    assert password not in page and "[temporary password hidden]" in page

    db.session.delete(email)
    response = staff_client.post(
        f"/customers/{contact.customer_id}/contacts/{contact.id}/access/pin",
        data={"pin": "482913", "send": "y", "message": "Welcome"},
    )
    assert response.status_code == 303
    email = _only_email(db)
    assert "482913" in reveal(email)[0]
    page = staff_client.get(f"/outbox/{email.id}").get_data(as_text=True)
    assert "482913" not in page and "[PIN hidden]" in page and "Welcome" in page


def test_the_html_version_is_shown_in_a_sandboxed_frame(staff_client, db, company):
    email = _email(
        db,
        company,
        html_body='<p style="color: red" onclick="x()">Hi &#34; style=&#34;x</p><script>alert(1)</script>',
        attempts=2,
        last_error="SMTPServerDisconnected: bye",
    )
    html = staff_client.get(f"/outbox/{email.id}").get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*>", html).group(0)
    assert 'sandbox=""' in frame and 'referrerpolicy="no-referrer"' in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in srcdoc and "<" not in srcdoc
    # the frame inherits the page's CSP: our inline styles are dropped, user text is kept
    assert "color: red" not in srcdoc and "style=&amp;#34;x" in srcdoc
    assert "color: red" in html  # the source view shows the message exactly as sent
    text = text_of(staff_client.get(f"/outbox/{email.id}"))
    for fact in (
        "To frank@metro.example",
        "Subject Your sign-in link",
        "Kind magic link",
        "Status queued",
        "Attempts 2",
        "Last error SMTPServerDisconnected: bye",
        "Next attempt",
    ):
        assert fact in text, fact


def test_older_pages_keep_the_filter_and_cost_the_same(staff_client, db, company, count_queries):
    for n in range(53):
        _email(db, company, subject=f"Failed {n}", status=OutboxStatus.FAILED)
    _email(db, company, subject="Sent one", status=OutboxStatus.SENT)
    first = staff_client.get("/outbox?status=failed")
    assert "Failed 52" in text_of(first) and "Sent one" not in text_of(first)
    assert "Failed 2 " not in text_of(first) + " "
    [older] = re.findall(r'<a rel="next" href="([^"]+)"', first.text)
    older = older.replace("&amp;", "&")
    assert "status=failed" in older and "after=" in older
    with count_queries() as queries:
        second = staff_client.get(older, headers={"HX-Request": "true"})
    assert "<html" not in second.text and len(queries) <= 4, queries
    subjects = re.findall(r">(Failed \d+)</a>", second.text)
    assert subjects == ["Failed 2", "Failed 1", "Failed 0"]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


def test_only_failed_or_unsent_emails_are_queued_again(staff_client, db, company):
    email = _email(db, company, status=OutboxStatus.SENT)
    response = staff_client.post(f"/outbox/{email.id}/retry")
    assert response.status_code == 409
    assert "Only a failed or unsent email can be queued again." in text_of(response)
    db.session.refresh(email)
    assert email.status == OutboxStatus.SENT
