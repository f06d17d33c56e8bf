"""Markup and template syntax in every free-text field come out as text (QUALITY.md 33):
escaped in operator pages, htmx fragments, portal pages and HTML emails; literal in text
emails and PDFs; never evaluated (``{{7*7}}`` never becomes 49).

Every field in FIELDS holds its own tagged payload; the test walks every page and PDF
(as the owner and as the customer's contact, full and as htmx) and reads every email the
app queued, then checks each field on the surfaces the table names.
"""

import io
import re

from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import select

from fieldportal.models import (
    Asset,
    Contact,
    Customer,
    Job,
    LineItem,
    OutboxEmail,
    Quote,
    Report,
    ServiceRequest,
    Site,
    Vehicle,
)
from fieldportal.models.customer import CustomerKind
from fieldportal.services.mail.outbox_secrets import reveal
from tests.factories import create_asset, create_request
from tests.helpers import sign_in

from .walk import HX, contact_by_email, fill, ids_of, owner_of, rules

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=1>{{7*7}}'
RAW_MARKUP = ("<script>alert(1)", "<img src=x")

# (tag, object, attribute, surfaces it must show on). Tags keep each field's value unique.
FIELDS = [
    ("CN", "customer", "name", {"operator", "fragment", "portal", "pdf"}),
    ("KN", "contact", "name", {"operator", "portal", "email"}),
    ("SN", "site", "name", {"operator", "portal", "pdf"}),
    ("SA", "site", "address_line1", {"operator", "portal", "pdf"}),
    ("MK", "vehicle", "make", {"operator", "fragment", "portal", "pdf"}),
    ("MD", "vehicle", "model", {"operator", "portal", "pdf"}),
    ("AD", "asset", "description", {"operator", "portal"}),
    ("JT", "job", "title", {"operator", "fragment", "portal", "pdf"}),
    ("JC", "job", "customer_notes", {"operator", "portal", "pdf"}),
    ("JI", "job", "internal_notes", {"operator"}),
    # Its "request received" email: tests/requests/test_random_input.py.
    ("RD", "request", "description", {"operator", "fragment", "portal"}),
    ("QT", "quote", "title", {"operator", "portal", "email", "pdf"}),
    ("QL", "quote_line", "description", {"operator", "portal", "pdf"}),
    ("IL", "invoice_line", "description", {"operator", "portal", "pdf"}),
    ("RT", "report", "title", {"operator", "portal", "pdf"}),
    ("RB", "report", "body", {"operator", "portal", "pdf"}),
]
GREETED_BY_FIRST_NAME = {"KN"}  # emails show only the first word of these
# Text entered through a form whose effect is an email (or a page) rather than a stored field.
POSTED = [
    ("DR", "/requests/{request_id}/decline", "reason", {"operator", "portal", "email"}),
    ("PM", "/customers/{customer_id}/contacts/{contact_id}/access/pin", "message", {"email"}),
]


def _value(tag: str) -> str:
    return f"{tag}{PAYLOAD}"


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _world(db, company) -> tuple[dict, dict]:
    """The demo fleet's objects, each free-text field set to its payload; and the ids."""
    contact = contact_by_email(db, "fleet@acme.example")
    contact.phone = contact.phone or "+1 312 555 0101"
    customer = db.session.get(Customer, contact.customer_id)
    assert customer.kind == CustomerKind.FLEET
    ids = ids_of(db, company, customer.id)
    ids["asset_id"] = create_asset(customer).id
    request = create_request(customer, contact_id=contact.id, site_id=ids["site_id"])
    ids["request_id"] = request.id
    objects = {
        "customer": customer,
        "contact": db.session.get(Contact, contact.id),
        "site": db.session.get(Site, ids["site_id"]),
        "vehicle": db.session.get(Vehicle, ids["vehicle_id"]),
        "asset": db.session.get(Asset, ids["asset_id"]),
        "job": db.session.get(Job, ids["job_id"]),
        "request": db.session.get(ServiceRequest, request.id),
        "quote": db.session.get(Quote, ids["quote_id"]),
        "quote_line": db.session.scalar(
            select(LineItem).where(LineItem.quote_id == ids["quote_id"]).limit(1)
        ),
        "invoice_line": db.session.scalar(
            select(LineItem).where(LineItem.invoice_id == ids["invoice_id"]).limit(1)
        ),
        "report": db.session.get(Report, ids["report_id"]),
    }
    objects["job"].site_id, objects["job"].vehicle_id = ids["site_id"], ids["vehicle_id"]
    objects["report"].job_id = ids["job_id"]
    for tag, name, attribute, _ in FIELDS:
        setattr(objects[name], attribute, _value(tag))
    db.session.flush()
    return objects, ids


def _pdf_text(response) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def _read_everything(app, client, principal, prefix: str, ids: dict, seen: dict):
    sign_in(client, principal)
    for rule in rules(app, prefix):
        if "GET" not in rule.methods:
            continue
        path = fill(rule, ids)
        for surface, headers in ((prefix.rstrip("."), {}), ("fragment", HX)):
            response = client.get(path, headers=headers)
            if response.mimetype == "application/pdf":
                seen["pdf"].append((path, _pdf_text(response)))
            elif response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                for marker in RAW_MARKUP:
                    assert marker not in html, f"raw markup on {path} {headers}"
                if surface == "fragment" and "<html" in html:
                    continue  # a page that has no fragment rendering
                seen[surface].append((path, html))


def test_user_text_is_escaped_on_every_surface(app, client, demo, db):
    acme, _ = demo
    owner = owner_of(db, acme)
    objects, ids = _world(db, acme)
    sign_in(client, owner)
    for tag, url, field, _ in POSTED:
        response = client.post(
            url.format(**ids), data={field: _value(tag), "pin": "4321", "send": "y"}
        )
        assert response.status_code in (200, 303), (url, response.status_code)
    for url in ("/invoices/{invoice_id}/send", "/quotes/{quote_id}/send"):
        client.post(url.format(**ids))
    contact = objects["contact"]
    client.post(f"/customers/{ids['customer_id']}/contacts/{contact.id}/access/link")

    seen = {"operator": [], "fragment": [], "portal": [], "pdf": []}
    _read_everything(app, client, owner, "operator.", ids, seen)
    _read_everything(app, client, contact, "portal.", ids, seen)
    # As delivered: the stored bodies hold markers where the secrets go.
    emails = [(email.kind, *reveal(email)) for email in db.session.scalars(select(OutboxEmail))]
    for kind, _, html_body in emails:
        for marker in RAW_MARKUP:
            assert marker not in html_body, f"raw markup in the {kind} email"

    missing = []
    for tag, *_, surfaces in FIELDS + POSTED:
        value = _value(tag)
        escaped = str(escape(value))
        first_word = value.split()[0]
        found = {
            "operator": any(escaped in html for _, html in seen["operator"]),
            "fragment": any(escaped in html for _, html in seen["fragment"]),
            "portal": any(escaped in html for _, html in seen["portal"]),
            "pdf": any(_squeezed(value) in _squeezed(text) for _, text in seen["pdf"]),
            "email": any(
                (value in text_body and escaped in html_body)
                or (
                    tag in GREETED_BY_FIRST_NAME
                    and first_word in text_body
                    and str(escape(first_word)) in html_body
                )
                for _, text_body, html_body in emails
            ),
        }
        missing += [(tag, surface) for surface in sorted(surfaces) if not found[surface]]
    assert not missing, f"fields not shown (escaped) where expected: {missing}"
