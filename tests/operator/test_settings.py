"""Settings (owner only): company settings, logo upload, staff and roles."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from fieldportal.extensions import db
from fieldportal.models import (
    AuditEvent,
    AuthSession,
    InvoiceStatus,
    QuoteStatus,
    StaffRole,
    StaffUser,
    utcnow,
)

from ..helpers import sign_in, text_of

VALID = {
    "name": "Acme Mobile Mechanics",
    "brand_color": "#123456",
    "time_zone": "Europe/London",
    "currency": "GBP",
    "portal_enabled": "y",
    "login_methods": ["magic_link", "pin"],
    "requests_enabled": "y",
    "show_quotes": "y",
    "asset_id_label": "Tag",
    "asset_portal_fields": ["serial_number"],
    "default_interval_miles": "7500",
    "default_interval_days": "",
    "default_billing_terms": "net_15",
    "default_tax_percent": "8.875",
    "due_soon_percent": "15",
}


def png_bytes(size=(40, 20), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=fmt)
    return buffer.getvalue()


def test_owner_saves_every_setting(staff_client, company):
    assert staff_client.get("/settings").status_code == 200
    response = staff_client.post("/settings", data=VALID)
    assert response.status_code == 303
    db.session.refresh(company)
    assert (company.time_zone, company.currency, company.brand_color) == (
        "Europe/London",
        "GBP",
        "#123456",
    )
    assert company.portal_enabled and company.requests_enabled
    assert company.show_quotes and not company.show_invoices and not company.show_reports
    assert company.login_methods == ["magic_link", "pin"]
    assert company.asset_id_label == "Tag" and company.asset_portal_fields == ["serial_number"]
    assert company.default_interval_miles == 7_500 and company.default_interval_days is None
    assert company.default_billing_terms.value == "net_15" and company.due_soon_percent == 15
    assert company.tax_rate_ppm == 88_750  # New York City's 8.875 %
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.updated"))
    assert "time_zone" in event.summary and "tax_rate_ppm" in event.summary
    # Shown again exactly as the rate it is, not rounded to 2 places.
    assert 'value="8.875"' in staff_client.get("/settings").get_data(as_text=True)


def test_portal_off_and_on_keeps_everything(staff_client, company):
    off = {k: v for k, v in VALID.items() if k != "portal_enabled"}
    assert staff_client.post("/settings", data=off).status_code == 303
    db.session.refresh(company)
    assert company.portal_enabled is False and company.login_methods == ["magic_link", "pin"]
    assert staff_client.post("/settings", data=VALID).status_code == 303
    db.session.refresh(company)
    assert company.portal_enabled is True and company.asset_id_label == "Tag"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Not a valid choice"),
        ({"currency": "XYZ1"}, "Not a valid choice"),
        ({"default_interval_miles": "0"}, "An interval is at least 1 mile."),
        ({"login_methods": ["carrier_pigeon"]}, "Choose one of the options listed."),
        ({"brand_color": "red;}"}, "Use a colour like #1d4ed8."),
        ({"name": ""}, "This field is required."),
        ({"default_tax_percent": "8.87501"}, "Use at most 4 decimal places."),
        ({"default_tax_percent": "NaN"}, "Enter a rate in digits, like 8.875."),
        ({"default_tax_percent": "1E2"}, "Enter a rate in digits, like 8.875."),
        ({"default_tax_percent": "-1"}, "Enter a rate of zero or more, like 8.875."),
        ({"default_tax_percent": "100.0001"}, "Enter a rate of at most 100."),
        ({"default_tax_percent": ""}, "Enter a rate, like 8.875 (0 for no tax)."),
    ],
)
def test_bad_settings_are_refused_whole(staff_client, company, change, message):
    response = staff_client.post("/settings", data={**VALID, **change})
    assert response.status_code == 422
    assert message in text_of(response)
    db.session.refresh(company)
    assert company.time_zone == "America/Chicago" and company.currency == "USD"
    assert company.tax_rate_ppm == 0


def test_logo_upload_is_reencoded_under_a_random_name_and_served(staff_client, company, app):
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (io.BytesIO(png_bytes(fmt="JPEG")), "../../evil name.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    db.session.refresh(company)
    assert re.fullmatch(r"[0-9a-f]{32}\.png", company.logo_filename)
    served = staff_client.get(f"/settings/logo/{company.logo_filename}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).format == "PNG"
    assert (
        staff_client.get("/settings/logo/0123456789abcdef0123456789abcdef.png").status_code == 404
    )
    assert f'src="/settings/logo/{company.logo_filename}"' in staff_client.get(
        "/settings"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "SVG logos are not accepted",
        ),
        (b"<svg onload=alert(1)></svg>", "SVG logos are not accepted"),
        (b"not an image at all", "not an image we can read"),
        (b"\x89PNG" + b"0" * (2 * 1024 * 1024), "2 MB or smaller"),
    ],
)
def test_bad_logos_are_refused(staff_client, company, payload, message):
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (io.BytesIO(payload), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in text_of(response)
    db.session.refresh(company)
    assert company.logo_filename is None


def test_huge_pixel_count_is_refused(staff_client, company):
    # A tiny file that claims a 10,000 x 10,000 canvas.
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG", optimize=True)
    assert len(buffer.getvalue()) < 2 * 1024 * 1024
    buffer.seek(0)
    response = staff_client.post(
        "/settings/logo", data={"logo": (buffer, "bomb.png")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "too large in pixels" in text_of(response)


def test_add_staff_and_change_role(staff_client, company):
    response = staff_client.post(
        "/settings/staff/new",
        data={
            "name": "Uma Tech",
            "email": "Uma@Acme.example.com",
            "role": "technician",
            "password": "a long enough passphrase",
        },
    )
    assert response.status_code == 303
    uma = db.session.scalar(select(StaffUser).where(StaffUser.email == "uma@acme.example.com"))
    assert uma.role == StaffRole.TECHNICIAN
    weak = staff_client.post(
        "/settings/staff/new",
        data={
            "name": "Weak",
            "email": "weak@acme.example.com",
            "role": "dispatcher",
            "password": "short",
        },
    )
    assert weak.status_code == 422 and "Use at least" in text_of(weak)
    session_id = sign_in(staff_client.application.test_client(), uma).id
    assert (
        staff_client.post(f"/settings/staff/{uma.id}", data={"role": "dispatcher"}).status_code
        == 303
    )
    db.session.refresh(uma)
    assert uma.role == StaffRole.DISPATCHER and uma.active is False
    assert db.session.get(AuthSession, session_id) is None


def test_last_owner_cannot_demote_themselves(staff_client, owner):
    response = staff_client.post(
        f"/settings/staff/{owner.id}", data={"role": "dispatcher", "active": "y"}
    )
    assert response.status_code == 422
    assert "at least one active owner" in text_of(response)
    db.session.refresh(owner)
    assert owner.role == StaffRole.OWNER


@pytest.mark.parametrize("role", ["dispatcher", "technician"])
def test_only_owners_reach_settings(client_as, company, create, role):
    client = client_as(create.staff(company, StaffRole(role)))
    assert client.get("/settings").status_code == 404
    assert client.post("/settings", data=VALID).status_code == 404
    assert client.get("/settings/staff/new").status_code == 404
    assert client.post("/settings/logo", data={}).status_code == 404
    db.session.refresh(company)
    assert company.currency == "USD"


def test_other_tenants_staff_is_404(staff_client, other_company, create):
    stranger = create.staff(other_company)
    assert staff_client.get(f"/settings/staff/{stranger.id}").status_code == 404
    assert (
        staff_client.post(f"/settings/staff/{stranger.id}", data={"role": "technician"}).status_code
        == 404
    )
    db.session.refresh(stranger)
    assert stranger.role == StaffRole.OWNER and stranger.active


def _currency_field(response) -> str:
    """The currency field's markup: its label, select, help and error."""
    html = response.get_data(as_text=True)
    start = html.index('<label for="currency"')
    return html[start : html.index("</div>", start)]


def test_currency_changes_while_nothing_was_sent(staff_client, company, create):
    customer = create.customer(company)
    create.quote(customer, status=QuoteStatus.DRAFT)
    create.invoice(customer, status=InvoiceStatus.DRAFT)
    create.invoice(customer, status=InvoiceStatus.VOID)  # a voided draft went nowhere
    assert "stays" not in text_of(staff_client.get("/settings"))
    assert staff_client.post("/settings", data=VALID).status_code == 303
    db.session.refresh(company)
    assert company.currency == "GBP"


@pytest.mark.parametrize(
    "sent",
    [
        lambda create, customer: create.invoice(customer, status=InvoiceStatus.SENT),
        lambda create, customer: create.invoice(customer, status=InvoiceStatus.PAID),
        lambda create, customer: create.invoice(
            customer, status=InvoiceStatus.VOID, sent_at=utcnow()
        ),
        lambda create, customer: create.quote(customer, status=QuoteStatus.SENT),
        lambda create, customer: create.quote(customer, status=QuoteStatus.REJECTED),
    ],
    ids=["invoice sent", "invoice paid", "sent then voided", "quote sent", "quote answered"],
)
def test_currency_is_locked_once_a_quote_or_invoice_was_sent(staff_client, company, create, sent):
    sent(create, create.customer(company))
    reason = (
        "Quotes or invoices have been sent in USD, so the currency stays USD: changing it "
        "would relabel the figures customers were sent."
    )
    page = staff_client.get("/settings")
    assert reason in text_of(page)
    assert 'aria-describedby="currency-help"' in _currency_field(page)

    response = staff_client.post("/settings", data={**VALID, "currency": "GBP"})
    assert response.status_code == 422
    field = _currency_field(response)
    assert f'<p class="error" id="currency-error">{reason}</p>' in field
    assert 'aria-invalid="true"' in field and text_of(response).count(reason) == 1
    db.session.refresh(company)
    assert company.currency == "USD" and company.time_zone == "America/Chicago"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.updated")) is None
    )

    # The other settings still save while the currency stays as it is.
    assert staff_client.post("/settings", data={**VALID, "currency": "USD"}).status_code == 303
    db.session.refresh(company)
    assert company.currency == "USD" and company.time_zone == "Europe/London"


def test_currency_lock_is_per_company(staff_client, company, other_company, create):
    create.invoice(create.customer(other_company), status=InvoiceStatus.SENT)
    assert staff_client.post("/settings", data=VALID).status_code == 303
    db.session.refresh(company)
    assert company.currency == "GBP"


def test_a_refused_logo_shows_the_settings_as_saved(staff_client, company):
    company.requests_enabled = True
    db.session.flush()
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (io.BytesIO(b"not an image at all"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The settings form below the logo shows the company's values, not the logo post's.
    assert re.search(
        r'<input[^>]*checked[^>]*name="requests_enabled"|<input[^>]*name="requests_enabled"[^>]*checked',
        html,
    )
    assert f'value="{company.name}"' in html
