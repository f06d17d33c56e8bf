"""The onboarding checklist on the home page: a company made by sign-up starts with it,
each step ticks itself from the company's data and links to where it is done, owners may
dismiss it, it goes once every step is done, and it costs one query whatever the data."""

import re

import pytest
from sqlalchemy import select

from fieldportal.demo_data import build_demo_data
from fieldportal.models import AuditEvent, Company, InvoiceStatus, OutboxEmail, StaffRole, utcnow
from fieldportal.services import onboarding
from fieldportal.services.mail.outbox_secrets import reveal
from tests.helpers import sign_in, text_of

HX = {"HX-Request": "true"}
STEPS = [
    "branding",
    "tax_rate",
    "job_types",
    "invite_staff",
    "import_customers",
    "portal",
    "first_invoice",
]
SIGNUP = {
    "name": "Bright Sparks Ltd", "slug": "bright-sparks", "country": "US",
    "proposed_for": "US", "time_zone": "America/Chicago", "currency": "USD",
    "owner_name": "Bea Bright", "owner_email": "bea@bright-sparks.example",
    "password": "sparks fly upward",
}  # fmt: skip


def _shown(response) -> dict[str, bool]:
    """{step: done} as the page shows it."""
    html = response.get_data(as_text=True)
    return {
        key: state == "done"
        for key, state in re.findall(r'data-step="(\w+)" class="(done|todo)"', html)
    }


def test_a_company_made_by_sign_up_starts_with_every_step_to_do(app, client, db):
    assert client.post("/signup", data=SIGNUP).status_code == 303
    [email] = db.session.scalars(select(OutboxEmail))
    token = re.search(r"/signup/confirm/([\w-]{43})", reveal(email)[0])[1]
    assert client.post(f"/signup/confirm/{token}").status_code == 303
    login = {"email": SIGNUP["owner_email"], "password": SIGNUP["password"]}
    assert client.post("/login", data=login).status_code == 303
    home = client.get("/")
    assert home.status_code == 200 and "Set up Bright Sparks Ltd" in text_of(home)
    assert _shown(home) == dict.fromkeys(STEPS, False)
    assert "0 of 7 done" in text_of(home)


def test_each_step_ticks_itself_and_links_where_it_is_done(db, staff_client, company, create):
    def shown():
        db.session.flush()
        return _shown(staff_client.get("/"))

    assert shown() == dict.fromkeys(STEPS, False)
    html = staff_client.get("/").get_data(as_text=True)
    for href in (
        "/settings#logo-heading",
        "/settings#defaults-heading",
        "/settings/job-types",
        "/settings/staff",
        "/import",
        "/settings#portal-heading",
        "/invoices",
    ):
        assert f'href="{href}"' in html

    company.brand_color = "#0f766e"
    company.tax_rate_ppm = 82_500
    assert [k for k, done in shown().items() if done] == ["branding", "tax_rate"]
    create.job_type(company)
    staff_client.post(
        "/settings/staff/invite", data={"email": "ines@acme.example", "role": "technician"}
    )
    customer = create.customer(company)
    assert [k for k, done in shown().items() if not done] == ["portal", "first_invoice"]
    create.invoice(customer, status=InvoiceStatus.DRAFT)
    assert shown()["first_invoice"] is False, "a draft is not sent"
    company.portal_reviewed_at = utcnow()
    create.invoice(customer, status=InvoiceStatus.SENT, sent_at=utcnow())
    db.session.flush()
    home = staff_client.get("/")
    assert "Set up" not in text_of(home) and 'data-step="' not in home.get_data(as_text=True)


def test_saving_the_settings_ticks_the_portal_step(db, staff_client, company):
    from tests.operator.test_settings import VALID

    assert _shown(staff_client.get("/"))["portal"] is False
    assert staff_client.post("/settings", data=VALID).status_code == 303
    assert _shown(staff_client.get("/"))["portal"] is True


def test_a_logo_alone_is_branding(db, staff_client, company):
    company.logo_filename = "0123456789abcdef0123456789abcdef.png"
    assert _shown(staff_client.get("/"))["branding"] is True


def test_the_owner_dismisses_it_in_both_renderings(app, db, company, owner, create):
    client = app.test_client()
    sign_in(client, owner)
    fragment = client.get("/", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert 'id="onboarding"' in fragment.get_data(as_text=True)
    response = client.post("/settings/onboarding/dismiss", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="onboarding"' in html and "data-step" not in html
    assert "Checklist dismissed" in text_of(response)
    assert company.onboarding_dismissed_at is not None
    assert "data-step" not in client.get("/").get_data(as_text=True)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.company_id == company.id)
    )
    assert "onboarding.dismissed" in set(actions)

    plain = app.test_client()
    sign_in(plain, create.staff(company, email="second-owner@acme.example"))
    again = plain.post("/settings/onboarding/dismiss")
    assert again.status_code == 303 and again.headers["Location"] == "/"


@pytest.mark.parametrize("role", [StaffRole.DISPATCHER, StaffRole.TECHNICIAN])
def test_only_those_who_manage_settings_see_or_dismiss_it(app, db, company, create, role):
    client = app.test_client()
    sign_in(client, create.staff(company, role))
    home = client.get("/")
    assert home.status_code == 200 and "data-step" not in home.get_data(as_text=True)
    assert client.post("/settings/onboarding/dismiss").status_code == 404
    assert company.onboarding_dismissed_at is None


def test_one_query_whatever_the_data(app, db, company, create, count_queries):
    def queries() -> int:
        with app.test_request_context(), count_queries() as statements:
            onboarding.checklist(company)
        return len(statements)

    assert queries() == 1
    for _ in range(3):
        customer = create.customer(company)
        create.invoice(customer, status=InvoiceStatus.SENT, sent_at=utcnow())
        create.job_type(company)
        create.staff(company)
    assert queries() == 1


def test_the_demo_company_has_most_steps_ticked(app, db):
    build_demo_data(scale="small", seed=3, echo=lambda *_: None)
    for company in db.session.scalars(select(Company)):
        with app.test_request_context():
            found = onboarding.checklist(company)
        done = {step.key for step in found.steps if step.done}
        assert done == set(STEPS) - {"portal"}, company.slug
