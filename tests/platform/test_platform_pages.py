"""The platform pages (issue 15, Platform admin): every company with plan, staff,
customers, invoices this month and last activity, in constant queries per page and paged;
one company with its plan and suspension; the platform audit log. Both renderings, CSRF,
and every action audited with who, what and which company."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fieldportal.models import (
    AuditEvent,
    InvoiceStatus,
    Plan,
    PlatformAuditEvent,
    StaffRole,
    utcnow,
)
from fieldportal.services.platform import companies
from tests.helpers import text_of

from .helpers import platform_sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(client, platform_admin):
    platform_sign_in(client, platform_admin)
    return client


def _row_text(response, name: str) -> str:
    """The visible text of the table row naming ``name``."""
    html = response.get_data(as_text=True)
    start = html.rindex("<tr", 0, html.index(f">{name}</a>"))
    row = html[start : html.index("</tr>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


def test_every_company_with_its_figures(admin_client, db, company, owner, create):
    today = utcnow().date()
    create.staff(company, StaffRole.TECHNICIAN)
    create.staff(company, StaffRole.DISPATCHER, active=False)  # not counted
    fleet = create.fleet(company, vehicles=0)
    create.customer(company)
    create.customer(company, archived_at=utcnow())  # not counted
    for issued_on, status in (
        (today, InvoiceStatus.SENT),
        (today.replace(day=1), InvoiceStatus.PAID),
        (today.replace(day=1) - timedelta(days=1), InvoiceStatus.SENT),  # last month
        (None, InvoiceStatus.DRAFT),  # not issued
    ):
        invoice = create.invoice(fleet, lines=(("Labour", 1_000),))
        invoice.status, invoice.issued_on = status, issued_on
    db.session.add(AuditEvent(company_id=company.id, action="staff.signed_in", details={}))
    quiet = create.company(name="Quiet Co", slug="quiet", plan=Plan.FREE)
    db.session.flush()

    page = admin_client.get("/platform/")
    assert page.status_code == 200
    acme = _row_text(page, "Acme Mobile Mechanics")
    assert acme.startswith("Acme Mobile Mechanics acme Pro Live 2 2 2 ")
    assert "UTC" in acme
    assert _row_text(page, "Quiet Co").startswith("Quiet Co quiet Free Live 0 0 0 None yet")
    assert "2 companies" in text_of(page)
    assert quiet.id


def test_the_list_takes_the_same_queries_for_3_companies_as_for_25(
    admin_client, db, create, count_queries
):
    def statements() -> int:
        with count_queries() as queries:
            assert admin_client.get("/platform/").status_code == 200
        return len(queries)

    for _ in range(3):
        create.staff(create.company())
    few = statements()
    for _ in range(22):
        create.staff(create.company())
    assert statements() == few <= 4  # session, count, page (+ last-seen write at most)


def test_the_list_is_paged_searched_filtered_and_sorted(admin_client, db, create):
    for n in range(30):
        create.company(name=f"Fleet {n:02d}", slug=f"fleet-{n:02d}")
    create.company(name="Zebra Haulage", slug="zebra", plan=Plan.FREE, suspended_at=utcnow())
    first = admin_client.get("/platform/")
    assert "Page 1 of 2" in text_of(first) and "Fleet 24" in text_of(first)
    second = admin_client.get("/platform/?page=2")
    assert "Fleet 25" in text_of(second) and "Fleet 24" not in text_of(second)
    assert "Zebra Haulage" in text_of(admin_client.get("/platform/?q=zeb"))
    assert "Fleet 01" not in text_of(admin_client.get("/platform/?q=zeb"))
    free = text_of(admin_client.get("/platform/?plan=free"))
    assert "Zebra Haulage" in free and "Fleet 01" not in free
    suspended = text_of(admin_client.get("/platform/?state=suspended"))
    assert "Zebra Haulage" in suspended and "1 company" in suspended
    by_name_desc = text_of(admin_client.get("/platform/?sort=name&dir=desc"))
    assert by_name_desc.index("Zebra Haulage") < by_name_desc.index("Fleet 29")
    for args in ("?sort=nonsense&dir=up&page=x", "?plan=gold&state=gone", "?q=%25_"):
        assert admin_client.get(f"/platform/{args}").status_code == 200


def test_the_list_as_a_fragment(admin_client, db, company):
    fragment = admin_client.get("/platform/?q=acme", headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="company-table"')
    assert "Acme Mobile Mechanics" in html
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_suspending_and_resuming_from_the_company_page(admin_client, db, company, platform_admin):
    page = admin_client.get(f"/platform/companies/{company.id}")
    assert page.status_code == 200 and "Suspend Acme Mobile Mechanics" in text_of(page)
    suspended = admin_client.post(f"/platform/companies/{company.id}/suspend")
    assert suspended.status_code == 303
    assert suspended.headers["Location"] == f"/platform/companies/{company.id}"
    db.session.refresh(company)
    assert company.is_suspended
    after = text_of(admin_client.get(f"/platform/companies/{company.id}"))
    assert "is suspended: staff cannot sign in" in after and "Resume Acme Mobile Mechanics" in after
    assert "Suspended Acme Mobile Mechanics" in after  # the audit row
    again = admin_client.post(f"/platform/companies/{company.id}/suspend")
    assert again.status_code == 409 and "suspended already" in text_of(again)
    htmx = admin_client.post(f"/platform/companies/{company.id}/resume", headers=HX)
    assert htmx.headers["HX-Redirect"] == f"/platform/companies/{company.id}"
    db.session.refresh(company)
    assert not company.is_suspended
    events = db.session.scalars(select(PlatformAuditEvent).order_by(PlatformAuditEvent.id)).all()
    assert [(e.action, e.platform_admin_id, e.company_id) for e in events] == [
        ("company.suspended", platform_admin.id, company.id),
        ("company.resumed", platform_admin.id, company.id),
    ]


def test_changing_the_plan(admin_client, db, company):
    moved = admin_client.post(f"/platform/companies/{company.id}/plan", data={"plan": "free"})
    assert moved.status_code == 303
    db.session.refresh(company)
    assert company.plan is Plan.FREE
    assert "Closed: not in the Free plan" in text_of(
        admin_client.get(f"/platform/companies/{company.id}")
    )
    for bad in ({"plan": "gold"}, {}):
        refused = admin_client.post(f"/platform/companies/{company.id}/plan", data=bad)
        assert refused.status_code == 422
        assert "Not a valid choice" in text_of(refused) or "Choose a plan." in text_of(refused)
    db.session.refresh(company)
    assert company.plan is Plan.FREE
    assert db.session.scalar(select(PlatformAuditEvent.details)) == {
        "before": "pro",
        "after": "free",
    }


@pytest.mark.parametrize("company_id", [999_999, 0, 2**40])
def test_an_unknown_company_is_404_by_every_route(admin_client, db, company_id):
    assert admin_client.get(f"/platform/companies/{company_id}").status_code == 404
    for action in ("suspend", "resume", "plan"):
        assert (
            admin_client.post(
                f"/platform/companies/{company_id}/{action}", data={"plan": "pro"}
            ).status_code
            == 404
        )


def test_every_post_needs_csrf(admin_client, db, company):
    for path in (f"/platform/companies/{company.id}/suspend", "/platform/sign-out"):
        assert admin_client.post(path, csrf=False).status_code == 400
    db.session.refresh(company)
    assert not company.is_suspended


def test_the_audit_log_says_who_did_what_to_which_company(
    admin_client, db, company, platform_admin
):
    companies.suspend(company, by=platform_admin)
    companies.set_plan(company, Plan.FREE, by=platform_admin)
    db.session.flush()
    log = text_of(admin_client.get("/platform/audit"))
    assert "pat@platform.example.com Acme Mobile Mechanics: plan pro → free" in log
    assert log.index("plan pro → free") < log.index("Suspended Acme Mobile Mechanics")
    fragment = admin_client.get("/platform/audit", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="audit-list"')


def test_the_audit_log_pages_by_keyset(admin_client, db, company, platform_admin):
    from fieldportal.services.platform import audit

    for n in range(55):
        audit.record(
            "company.resumed", admin=platform_admin, company=company, summary=f"Event {n:02d}"
        )
    db.session.flush()
    first = admin_client.get("/platform/audit")
    assert "Event 54" in text_of(first) and "Event 04" not in text_of(first)
    from tests.helpers import next_page_href

    older = admin_client.get(next_page_href(first))
    assert "Event 04" in text_of(older) and "Event 54" not in text_of(older)


def test_month_bounds():
    assert companies.month_bounds(date(2026, 12, 4)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert companies.month_bounds(date(2026, 2, 28)) == (date(2026, 2, 1), date(2026, 3, 1))
