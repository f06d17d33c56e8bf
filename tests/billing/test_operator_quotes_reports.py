"""Operator quote and report pages, and the operator's job/vehicle/statement PDFs."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fieldportal.models import (
    Job,
    JobStatus,
    OutboxEmail,
    QuoteDecisionKind,
    QuoteStatus,
    ReportKind,
    ReportStatus,
    StaffRole,
    Vehicle,
)
from fieldportal.services.billing import quotes
from fieldportal.services.work import reports
from tests.helpers import first_contact, sign_in, text_of

from .conftest import line
from .test_operator_invoices import line_fields


def test_quote_create_send_decision_record_and_convert(staff_client, db, customer):
    response = staff_client.post(
        "/quotes/new",
        data={
            "customer_id": customer.id,
            "title": "Timing belt",
            "valid_until": "2099-01-31",
            **line_fields(("Belt kit", "1", "320", True), ("Labour", "3", "95", True)),
        },
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    assert "Draft" in text_of(staff_client.get(url))
    assert staff_client.post(url + "/send").status_code == 303
    email = db.session.scalar(select(OutboxEmail))
    assert email.kind == "quote_sent" and "$605.00" in email.text_body
    quote = db.session.get(
        quotes.Quote, int(url.rsplit("/", 1)[1]), options=[selectinload(quotes.Quote.lines)]
    )
    quotes.decide(
        quote,
        QuoteDecisionKind.ACCEPTED,
        contact=first_contact(customer),
        evidence=quotes.Evidence("192.0.2.7", "Safari/17"),
        signed_name="Hana Baker",
    )
    db.session.flush()
    text = text_of(staff_client.get(url))
    assert "Accepted" in text and "signed “Hana Baker”" in text and "192.0.2.7" in text
    db.session.refresh(quote, ["decisions"])
    assert "Safari/17" in text and quote.decisions[0].quote_sha256 in text
    assert staff_client.post(url + "/convert").status_code == 303
    job = db.session.scalar(select(Job).where(Job.customer_id == customer.id))
    assert job.title == "Timing belt" and job.status == JobStatus.UNSCHEDULED
    assert staff_client.post(url + "/convert").status_code == 409
    pdf = staff_client.get(url + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_quote_list_shows_lapsed_sent_quotes_as_expired(staff_client, create, customer):
    from datetime import date

    create.quote(customer, title="Lapsed one", valid_until=date(2020, 1, 1))
    create.quote(customer, title="Fresh one")
    expired = text_of(staff_client.get("/quotes?status=expired"))
    assert "Lapsed one" in expired and "Fresh one" not in expired
    sent = text_of(staff_client.get("/quotes?status=sent"))
    assert "Fresh one" in sent and "Lapsed one" not in sent


def test_quote_list_pages_and_sorts_keeping_the_filter(staff_client, create, customer):
    for n in range(51):
        create.quote(customer, title=f"Quote {n}")
    create.quote(customer, title="A draft", status=QuoteStatus.DRAFT)
    first = staff_client.get("/quotes?status=sent")
    assert "51 quotes" in text_of(first) and "Page 1 of 2" in text_of(first)
    assert "A draft" not in text_of(first)
    assert 'href="/quotes?status=sent&amp;page=2"' in first.text
    second = staff_client.get("/quotes?status=sent&page=2", headers={"HX-Request": "true"})
    assert "<html" not in second.text and "Page 2 of 2" in text_of(second)
    assert "Quote 0" in text_of(second) and "Quote 1" not in text_of(second)
    oldest_first = staff_client.get("/quotes?status=sent&sort=number&dir=asc")
    assert 'aria-sort="ascending"' in oldest_first.text
    assert text_of(oldest_first).index("Quote 0") < text_of(oldest_first).index("Quote 9")


def test_refused_sends_say_why_and_send_nothing(staff_client, db, create, company, customer):
    no_email = quotes.create_quote(
        create.customer(company, email=None), title="Tyres", lines=[line()]
    )
    response = staff_client.post(f"/quotes/{no_email.id}/send")
    assert response.status_code == 422 and "No email on file" in text_of(response)
    rejected = create.quote(customer, status=QuoteStatus.REJECTED)
    response = staff_client.post(f"/quotes/{rejected.id}/send")
    assert response.status_code == 409 and "A rejected quote cannot be sent." in text_of(response)
    assert db.session.scalar(select(OutboxEmail)) is None
    db.session.refresh(no_email)
    assert no_email.status == QuoteStatus.DRAFT


@pytest.mark.parametrize("suffix", ["", ".pdf", "/edit"])
def test_other_companies_quotes_are_404(staff_client, create, other_company, suffix):
    theirs = create.quote(create.customer(other_company), status=QuoteStatus.DRAFT)
    assert staff_client.get(f"/quotes/{theirs.id}{suffix}").status_code == 404
    assert staff_client.post(f"/quotes/{theirs.id}/send").status_code == 404
    assert staff_client.post(f"/quotes/{theirs.id}/convert").status_code == 404


def test_report_from_job_then_approved(staff_client, db, create, customer):
    job = create.job(customer, status=JobStatus.COMPLETED)
    response = staff_client.post(
        f"/reports/new?job_id={job.id}",
        data={"kind": "inspection", "title": "Annual <inspection>", "body": "Brakes 80 %"},
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    page = staff_client.get(url)
    assert "Annual &lt;inspection&gt;" in page.get_data(as_text=True)
    assert "Drafts are not shown" in text_of(page)
    assert staff_client.post(url + "/approve").status_code == 303
    assert "Approved" in text_of(staff_client.get(url))
    assert staff_client.post(url + "/approve").status_code == 409


def test_technician_reads_reports_but_cannot_approve_or_see_money(
    client, db, create, company, customer
):
    technician = create.staff(company, role=StaffRole.TECHNICIAN)
    report = reports.create_report(customer, kind=ReportKind.SERVICE, title="Oil service")
    sign_in(client, technician)
    assert client.get("/reports").status_code == 200
    assert client.get(f"/reports/{report.id}").status_code == 200
    assert client.get(f"/reports/{report.id}.pdf").status_code == 200
    assert client.post(f"/reports/{report.id}/approve").status_code == 404
    db.session.refresh(report)
    assert report.status == ReportStatus.DRAFT
    assert client.get("/quotes").status_code == 404
    assert client.get(f"/customers/{customer.id}/statement.pdf").status_code == 404


def test_operator_pdfs_and_their_tenancy(staff_client, db, create, company, other_company):
    fleet = create.fleet(company, vehicles=1)
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.customer_id == fleet.id))
    job = create.job(fleet, vehicle_id=vehicle.id)
    for url in (
        f"/jobs/{job.id}/sheet.pdf",
        f"/vehicles/{vehicle.id}/history.pdf",
        f"/customers/{fleet.id}/statement.pdf",
    ):
        response = staff_client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", url
    theirs = create.fleet(other_company, vehicles=1)
    their_vehicle = db.session.scalar(select(Vehicle).where(Vehicle.customer_id == theirs.id))
    their_job = create.job(theirs)
    their_report = reports.create_report(theirs, kind=ReportKind.TEST, title="x")
    for url in (
        f"/jobs/{their_job.id}/sheet.pdf",
        f"/vehicles/{their_vehicle.id}/history.pdf",
        f"/customers/{theirs.id}/statement.pdf",
        f"/reports/{their_report.id}",
        f"/reports/{their_report.id}.pdf",
    ):
        assert staff_client.get(url).status_code == 404, url


def test_report_list_pages_and_sorts_keeping_the_filter(staff_client, db, customer, owner):
    made = [
        reports.create_report(customer, kind=ReportKind.SERVICE, title=f"Report {n}")
        for n in range(52)
    ]
    reports.approve_report(made[0], by=owner)
    drafts = staff_client.get("/reports?status=draft")
    assert "51 reports" in text_of(drafts) and "Report 0 " not in text_of(drafts) + " "
    everything = staff_client.get("/reports")
    assert "52 reports" in text_of(everything) and "Page 1 of 2" in text_of(everything)
    second = staff_client.get("/reports?page=2", headers={"HX-Request": "true"})
    assert "<html" not in second.text and "Page 2 of 2" in text_of(second)
    assert "Report 0 " in text_of(second) + " " and "Approved" in text_of(second)
    oldest_first = staff_client.get("/reports?status=draft&sort=number&dir=asc")
    assert 'aria-sort="ascending"' in oldest_first.text
    assert 'href="/reports?status=draft&amp;dir=asc&amp;page=2"' in oldest_first.text
    assert text_of(oldest_first).index("Report 1 ") < text_of(oldest_first).index("Report 9 ")


def test_an_approved_report_is_not_edited(staff_client, db, customer, owner):
    report = reports.create_report(customer, kind=ReportKind.TEST, title="Load test")
    reports.approve_report(report, by=owner)
    for method in ("get", "post"):
        response = getattr(staff_client, method)(
            f"/reports/{report.id}/edit", data={"kind": "test", "title": "Changed"}
        )
        assert response.status_code == 303
    page = text_of(staff_client.get(f"/reports/{report.id}"))
    assert "An approved report cannot be edited." in page and "Load test" in page
    db.session.refresh(report)
    assert report.title == "Load test"
