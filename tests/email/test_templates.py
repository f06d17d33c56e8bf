"""Every email template renders, text and HTML, branded, with hostile user text escaped in
the HTML and left plain in the text, links from BASE_URL only, and sign-in secrets only in
the delivered message: the stored bodies and the Outbox page's copy hold a placeholder."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldportal.models import JobStatus, RequestStatus, utcnow
from fieldportal.services.fleet.fleets import VehicleWithStatus
from fieldportal.services.fleet.intervals import ServiceState, ServiceStatus
from fieldportal.services.mail import mailer
from fieldportal.services.mail.outbox_secrets import reveal

# No spaces, so first_name (the name's first word) carries all of it.
HOSTILE = "<script>alert(1)</script><img/src/onerror=x>{{7*7}}\"'&amp;"
BASE = "https://portal.example.test"
TEMPLATES = Path(__file__).parents[2] / "fieldportal" / "templates" / "emails"
SECRETS = {
    "link": f"{BASE}/portal/acme/link/SECRET-TOKEN-magic",
    "temporary_password": "SECRET-temporary-pw",
    "pin": "918273",
    "login_url": f"{BASE}/portal/acme/link/SECRET-TOKEN-invoice",
}


def _template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.html") if not p.name.startswith("_"))


@pytest.fixture
def hostile_company(company, db):
    company.name = f"Acme{HOSTILE}"
    company.phone = "555<script>alert(1)</script>"  # the column holds 40 characters
    company.address = f"1 Main St{HOSTILE}"
    company.email = "office@acme.example"
    company.logo_filename = "logo-abc123.png"
    company.brand_color = '";}<b>'  # the column holds 7 characters
    db.session.flush()
    return company


def _contexts(create, company) -> dict[str, dict]:
    fleet = create.fleet(company, vehicles=0, name=f"Metro{HOSTILE}")
    contact = create.contact(fleet, name=HOSTILE, email="frank@metro.example")
    job_type = create.job_type(company, name=f"Brakes{HOSTILE}")
    service_request = create.request(
        fleet,
        contact=contact,
        job_type=job_type,
        description=f"Note{HOSTILE}",
    )
    declined = create.request(
        fleet,
        contact_id=contact.id,
        description=f"Note{HOSTILE}",
        status=RequestStatus.DECLINED,
        decline_reason=f"Busy{HOSTILE}",
        decided_at=utcnow(),
    )
    job = create.job(fleet, status=JobStatus.SCHEDULED, title=f"Job{HOSTILE}")
    portal = f"{BASE}/portal/acme/"
    unsubscribe = f"{BASE}/unsubscribe/signed-token"
    message = f"Staff note{HOSTILE}"
    login = {"contact": contact, "link": SECRETS["link"], "link_lifetime": timedelta(minutes=30)}
    sign_in = f"{BASE}/portal/acme/sign-in"
    return {
        "magic_link": login,
        "fresh_link": login,
        "activation": {
            "contact": contact,
            "temporary_password": SECRETS["temporary_password"],
            "password_lifetime": timedelta(hours=24),
            "link": sign_in,
        },
        "pin_credentials": {
            "contact": contact,
            "pin": SECRETS["pin"],
            "phone_ending": "0199",
            "message": message,
            "link": sign_in,
        },
        "fleet_link": {
            "fleet": fleet,
            "link": f"{BASE}/portal/t/SECRET-TOKEN-fleet",
            "message": message,
        },
        "invoice_sent": {
            "invoice": create.invoice(fleet),
            "customer": fleet,
            "contact": contact,
            "login_url": SECRETS["login_url"],
            "link_lifetime": timedelta(minutes=30),
            "can_pay_online": True,
            "portal_url": portal,
        },
        "quote_sent": {
            "quote": create.quote(fleet, title=f"Quote{HOSTILE}"),
            "customer": fleet,
            "contact": contact,
            "portal_url": portal,
        },
        "request_received": {
            "service_request": service_request,
            "requests_url": portal,
            "unsubscribe_url": unsubscribe,
        },
        "request_approved": {
            "service_request": service_request,
            "job": job,
            "requests_url": portal,
        },
        "request_declined": {"service_request": declined, "requests_url": portal},
        "no_account": {"email": "ann@home.example", "link": sign_in},
        "signup_confirm": {
            "owner": create.staff(company, name=HOSTILE, email="bea@bright.example"),
            "again": False,
            "link": f"{BASE}/signup/confirm/SECRET-TOKEN-signup",
            "link_lifetime": timedelta(hours=48),
        },
        "signup_address_in_use": {
            "staff": create.staff(company, name=HOSTILE, email="dan@bright.example"),
            "new_name": f"New{HOSTILE}",
            "link": f"{BASE}/login",
        },
        "password_reset": {
            "staff": create.staff(company, name=HOSTILE, email="eve@bright.example"),
            "link": f"{BASE}/password/reset/SECRET-TOKEN-reset",
            "link_lifetime": timedelta(minutes=30),
        },
        "password_reset_no_account": {
            "email": "ann@home.example",
            "link": f"{BASE}/password/forgot",
        },
        "appointment_reminder": {
            "job": job,
            "contact": contact,
            "portal_url": portal,
            "unsubscribe_url": unsubscribe,
        },
        "invoice_overdue_reminder": {
            "invoice": create.invoice(fleet, due_on=date.today() - timedelta(days=4)),
            "contact": contact,
            "portal_url": portal,
            "unsubscribe_url": unsubscribe,
        },
        "on_my_way": {
            "job": job,
            "contact": contact,
            "portal_url": portal,
            "history_url": portal,
            "unsubscribe_url": unsubscribe,
        },
        "job_completed": {
            "job": job,
            "contact": contact,
            "portal_url": portal,
            "history_url": portal,
            "unsubscribe_url": unsubscribe,
        },
        "service_due_digest": {
            "contact": contact,
            "vehicles": [
                VehicleWithStatus(
                    create.vehicle(fleet, make="Ford"),
                    ServiceStatus(ServiceState.OVERDUE, 5000, 180, 50_000, date.today(), -1200, -3),
                ),
                VehicleWithStatus(
                    create.vehicle(fleet, plate="SOON-1"),
                    ServiceStatus(ServiceState.DUE_SOON, 5000, None, 50_000, None, 300, None),
                ),
            ],
            "request_url": lambda vehicle: f"{portal}requests/new?vehicle_id={vehicle.id}",
            "vehicles_url": f"{portal}vehicles",
            "unsubscribe_url": unsubscribe,
        },
        "quote_follow_up_reminder": {
            "quote": create.quote(fleet, title=f"Quote{HOSTILE}", sent_at=utcnow()),
            "contact": contact,
            "portal_url": portal,
            "unsubscribe_url": unsubscribe,
        },
        "staff_invite": {
            "staff": create.staff(company, name=HOSTILE, email="ines@bright.example"),
            "invited_by": create.staff(company, name=f"Owner{HOSTILE}", email="o@bright.example"),
            "link": f"{BASE}/invite/SECRET-TOKEN-invite",
            "link_lifetime": timedelta(days=7),
        },
    }


def _queued(app, company, template, context, subject="s", **request):
    with app.test_request_context("/", **request):
        return mailer.queue(
            to="x@y.example",
            kind=template,
            subject=subject,
            template=template,
            company=company,
            **context,
        )


def test_there_is_a_text_and_an_html_template_for_every_kind():
    html = {p.stem for p in TEMPLATES.glob("*.html") if not p.name.startswith("_")}
    text = {p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_")}
    assert html == text
    assert {"fleet_link", "magic_link", "invoice_sent", "request_declined"} <= html


@pytest.mark.parametrize("template", _template_names())
def test_every_template_is_branded_and_escapes_user_text(
    app, db, create, hostile_company, template
):
    contexts = _contexts(create, hostile_company)
    assert set(contexts) == set(_template_names()), "add a context for the new template"
    email = _queued(
        app,
        hostile_company,
        template,
        contexts[template],
        subject=f"Subject{HOSTILE}\r\nBcc: victim@example.com",
        base_url="http://evil.example",
    )
    text, html = reveal(email)

    # HTML: no live markup from user text, and the text is there, escaped.
    assert "<script" not in html and "<img/src" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{7*7}}" in html and ">49<" not in html
    # Text: plain, nothing HTML-escaped, nothing evaluated.
    assert HOSTILE in text and "&lt;" not in text and "&#34;" not in text

    # Branded: name in both, footer with the contact details. No logo image even when the
    # company has one: spam filters score an image beside a short text (HTML_IMAGE_ONLY).
    assert "<img" not in html
    assert "555&lt;script&gt;" in html and "1 Main St&lt;script&gt;" in html
    assert text.rstrip().endswith("office@acme.example")
    assert f"-- \nAcme{HOSTILE}\n1 Main St{HOSTILE}\n{hostile_company.phone}" in text
    # A malformed brand colour never reaches a style attribute.
    assert f"solid {mailer.DEFAULT_BRAND_COLOR}" in html and "&lt;b&gt;" not in html

    # Every link from BASE_URL, never the request's Host.
    links = re.findall(r'(?:href|src)="([^"]+)"', html) + re.findall(r"https?://\S+", text)
    assert links and all(link.startswith(BASE + "/") for link in links), links

    # The subject is one line (it becomes a header).
    assert "\n" not in email.subject and "\r" not in email.subject


@pytest.mark.parametrize("template", sorted(mailer.SECRETS_IN_TEMPLATE))
def test_secrets_are_in_the_email_but_not_in_the_outbox_copy(app, db, create, company, template):
    context = _contexts(create, company)[template]
    email = _queued(app, company, template, context)
    text, html = reveal(email)
    for name, kind in mailer.SECRETS_IN_TEMPLATE[template].items():
        secret = context[name]
        assert secret in text and secret in html
        assert secret not in email.text_body and secret not in email.html_body
        assert secret not in email.text_for_staff and secret not in email.html_for_staff
        assert f"[{kind.label} hidden]" in email.text_for_staff
        assert f"[{kind.label} hidden]" in email.html_for_staff


def test_emails_without_secrets_keep_one_copy(app, db, create, company):
    email = _queued(app, company, "quote_sent", _contexts(create, company)["quote_sent"])
    assert email.secrets_ciphertext is None and email.text_for_staff == email.text_body
    assert reveal(email) == (email.text_body, email.html_body)


def test_a_company_without_logo_or_details_gets_a_plain_header(app, db, create, company):
    assert not company.logo_filename and not company.phone
    email = _queued(app, company, "magic_link", _contexts(create, company)["magic_link"])
    assert "<img" not in email.html_body
    assert f"solid {company.brand_color}" in email.html_body
    assert email.text_body.rstrip().endswith("-- \nAcme Mobile Mechanics")


@pytest.mark.parametrize(("brand", "label_color"), [("#fde047", "#111827"), ("#1d4ed8", "#ffffff")])
def test_the_button_label_is_readable_on_the_brand_colour(
    app, db, create, company, brand, label_color
):
    company.brand_color = brand
    email = _queued(app, company, "magic_link", _contexts(create, company)["magic_link"])
    assert f"background: {brand}; color: {label_color};" in email.html_body
