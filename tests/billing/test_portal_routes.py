"""Every portal billing route, found by walking the URL map (so a new route is covered
without editing this file): hidden tabs answer 404 for all of them, and another
customer's or another company's ids answer 404 for pages, PDFs and POSTs alike."""

import io
from datetime import date

import pytest
from flask import url_for
from pypdf import PdfReader
from sqlalchemy import select

from fieldportal.models import (
    CheckoutPayment,
    CheckoutStatus,
    JobStatus,
    PortalPermission,
    ReportKind,
    Vehicle,
)
from fieldportal.services.billing import quotes
from fieldportal.services.work import reports
from tests.helpers import first_contact, sign_in, text_of

from .conftest import line

# Which portal paths belong to which company switch ("Companies can hide quotes,
# invoices or reports: their tabs, links and routes disappear").
HIDEABLE = {
    "show_quotes": ("/quotes",),
    "show_invoices": ("/invoices", "/statement", "/payments"),
    "show_reports": ("/reports",),
}
ID_ARGUMENTS = {"quote_id", "invoice_id", "report_id", "checkout_id", "vehicle_id"}


def portal_rules(app, prefixes=None):
    """(rule, method) for every portal route whose path (after the company) starts with
    one of ``prefixes``, or that takes one of the billing ids when prefixes is None."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal."):
            continue
        path = rule.rule.removeprefix("/portal/<company_slug>")
        arguments = set(rule.arguments) - {"company_slug"}
        wanted = (
            path.startswith(prefixes)
            if prefixes is not None
            else bool(arguments & ID_ARGUMENTS) and arguments <= ID_ARGUMENTS | {"answer"}
        )
        if wanted:
            found += [(rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert found, prefixes
    return found


def url_of(app, rule, ids: dict) -> str:
    values = {name: ids[name] for name in rule.arguments if name in ids}
    if "answer" in rule.arguments:
        values["answer"] = "accept"
    with app.test_request_context():
        return url_for(rule.endpoint, company_slug="acme", **values)


def documents_of(db, create, customer, by):
    """A sent quote, an open invoice with a checkout, an approved report and a vehicle."""
    quote = create.quote(customer)
    invoice = create.invoice(customer)
    checkout = CheckoutPayment(
        company_id=customer.company_id,
        customer_id=customer.id,
        amount_cents=invoice.total_cents,
        currency="USD",
        status=CheckoutStatus.OPEN,
    )
    db.session.add(checkout)
    report = reports.create_report(customer, kind=ReportKind.SERVICE, title="Annual check")
    reports.approve_report(report, by=by)
    vehicle = create.vehicle(customer)
    db.session.flush()
    return {
        "quote_id": quote.id,
        "invoice_id": invoice.id,
        "checkout_id": checkout.id,
        "report_id": report.id,
        "vehicle_id": vehicle.id,
    }


@pytest.fixture
def portal(client, customer):
    sign_in(client, first_contact(customer))
    return client


@pytest.mark.parametrize("switch", sorted(HIDEABLE))
def test_hidden_tab_routes_links_and_figures_are_gone(
    app, portal, db, create, company, customer, owner, stripe_on, switch
):
    ids = documents_of(db, create, customer, owner)
    rules = portal_rules(app, HIDEABLE[switch])
    for rule, method in rules:
        if method == "GET":
            url = url_of(app, rule, ids)
            assert portal.get(url).status_code == 200, url
    tab_link = f'href="{url_for_tab(app, switch)}"'
    assert tab_link in portal.get("/portal/acme/").text

    setattr(company, switch, False)
    db.session.flush()
    for rule, method in rules:
        url = url_of(app, rule, ids)
        assert portal.open(url, method=method).status_code == 404, (method, url)
    dashboard = portal.get("/portal/acme/")
    assert tab_link not in dashboard.text
    if switch == "show_invoices":
        assert 'data-figure="open-balance"' not in dashboard.text
    if switch == "show_quotes":
        assert 'data-figure="quotes-awaiting"' not in dashboard.text


def url_for_tab(app, switch: str) -> str:
    endpoint = {"show_quotes": "quotes", "show_invoices": "invoices", "show_reports": "reports"}
    with app.test_request_context():
        return url_for(f"portal.{endpoint[switch]}", company_slug="acme")


@pytest.mark.parametrize("whose", ["neighbour", "stranger"])
def test_other_customers_and_companies_ids_are_404_everywhere(
    app, portal, db, create, company, other_company, owner, stripe_on, whose
):
    if whose == "neighbour":
        theirs = documents_of(db, create, create.customer(company), owner)
    else:
        rival = create.customer(other_company)
        theirs = documents_of(db, create, rival, create.staff(other_company))
    for rule, method in portal_rules(app):
        url = url_of(app, rule, theirs)
        response = portal.open(url, method=method, data={"signed_name": "Hana Baker"})
        assert response.status_code == 404, (method, url)


def test_history_shows_invoice_totals_only_to_who_may_see_invoices(
    client, db, create, company, customer
):
    job = create.job(customer, status=JobStatus.COMPLETED, title="Spring service")
    create.invoice(customer, job_id=job.id, lines=(("Service", 43_210),))
    sign_in(client, first_contact(customer))
    assert "$432.10" in text_of(client.get("/portal/acme/history"))
    no_money = create.contact(
        customer, is_admin=False, permissions=[PortalPermission.HISTORY.value]
    )
    sign_in(client, no_money)
    page = text_of(client.get("/portal/acme/history"))
    assert "Spring service" in page and "$432.10" not in page
    sign_in(client, first_contact(customer))
    company.show_invoices = False
    db.session.flush()
    assert "$432.10" not in text_of(client.get("/portal/acme/history"))


def test_vehicle_service_history_pdf_to_share(portal, db, create, customer, company):
    vehicle = create.vehicle(customer, plate="SHARE-1")
    create.job(
        customer,
        status=JobStatus.COMPLETED,
        vehicle_id=vehicle.id,
        odometer_at_service=48_200,
        services_performed="Timing belt <b>replaced</b>",
    )
    page = portal.get(f"/portal/acme/vehicles/{vehicle.id}")
    href = f"/portal/acme/vehicles/{vehicle.id}/history.pdf"
    assert f'href="{href}"' in page.text
    response = portal.get(href)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Service history" in text and "48,200" in text
    assert "Timing belt <b>replaced</b>" in " ".join(text.split())
    no_vehicles = create.contact(customer, is_admin=False, permissions=["quotes"])
    sign_in(portal, no_vehicles)
    assert portal.get(href).status_code == 404


def test_operator_pages_link_to_their_documents(staff_client, db, create, company):
    fleet = create.fleet(company, vehicles=1)
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.customer_id == fleet.id))
    job = create.job(fleet, vehicle_id=vehicle.id)
    quote = quotes.create_quote(fleet, title="Brakes", lines=[line()], valid_until=date(2099, 1, 1))
    for page, links in (
        (
            f"/jobs/{job.id}",
            [f"/jobs/{job.id}/sheet.pdf", f"/invoices/new?job_id={job.id}", "/reports/new?job_id="],
        ),
        (f"/vehicles/{vehicle.id}", [f"/vehicles/{vehicle.id}/history.pdf"]),
        (
            f"/customers/{fleet.id}",
            [f"/customers/{fleet.id}/statement.pdf", f"/invoices/new?customer_id={fleet.id}"],
        ),
        (f"/quotes/{quote.id}", [f"/quotes/{quote.id}.pdf"]),
    ):
        html = staff_client.get(page).text
        for link in links:
            assert f'href="{link}' in html, (page, link)
