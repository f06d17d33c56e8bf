"""Phone numbers: read in the company's region, stored in E.164, shown as the company
dials them (national at home, international abroad); every phone input refuses what is
no number with a message saying how to write one."""

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import Contact, Customer
from fieldportal.services import phones
from fieldportal.services.errors import Invalid

from ..helpers import sign_in, text_of
from .test_settings import VALID as VALID_SETTINGS

HTMX = {"HX-Request": "true"}


@pytest.fixture
def london(company):
    """The test company, moved to London."""
    company.country, company.locale = "GB", "en_GB"
    company.time_zone, company.currency = "Europe/London", "GBP"
    db.session.flush()
    return company


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("020 7946 0101", "GB", "+442079460101"),
        ("+44 20 7946 0101", "GB", "+442079460101"),
        ("0044 20 7946 0101", "GB", "+442079460101"),
        ("+44 (0)20 7946 0101", "GB", "+442079460101"),
        ("(312) 555-0199", "US", "+13125550199"),
        ("312.555.0199", "US", "+13125550199"),
        ("+1 312 555 0199", "GB", "+13125550199"),
        ("011 44 20 7946 0101", "US", "+442079460101"),
    ],
)
def test_a_number_however_written_is_stored_in_e164(typed, region, stored):
    assert phones.e164_or_none(typed, region) == stored
    assert phones.problem(typed, region) is None


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("07946 0101", "GB"),  # one digit short of a London number
        ("312 555 0199", "GB"),  # a US number without its country code, read in the UK
        ("12345", "US"),
        ("call the office", "US"),
        ("+1 312 555 0199 ext 12", "US"),
    ],
)
def test_what_is_no_number_is_refused(typed, region):
    assert phones.e164_or_none(typed, region) is None
    assert phones.problem(typed, region)


def test_the_message_says_how_to_write_a_number_in_the_companys_country():
    assert phones.problem("07946 0101", "GB") == (
        "That is not a phone number we can use. Write it as it is dialled in the company's "
        "country, United Kingdom (like 0121 234 5678), or with its country code "
        "(like +44 121 234 5678)."
    )
    assert "extension" in phones.problem("+1 312 555 0199 x12", "US")


def test_home_numbers_national_abroad_international(company, london, other_company):
    # ``london`` moved ``company``; ``other_company`` stays in the US.
    assert phones.home_region(london) == "GB" and phones.home_region(other_company) == "US"
    assert phones.shown("+442079460101", london) == "020 7946 0101"
    assert phones.shown("+13125550199", london) == "+1 312-555-0199"
    assert phones.shown("+13125550199", other_company) == "(312) 555-0199"
    assert phones.shown("+442079460101", other_company) == "+44 20 7946 0101"
    # Kept as typed by the data migration: shown as typed.
    assert phones.shown("555-0101", other_company) == "555-0101"
    assert phones.shown(None, other_company) == ""


def test_normalised_refuses_with_a_message_on_each_phone_field(london):
    assert phones.normalised({"phone": " 020 7946 0101 ", "name": "x"}, london) == {
        "phone": "+442079460101",
        "name": "x",
    }
    assert phones.normalised({"phone": "  "}, london) == {"phone": None}
    with pytest.raises(Invalid) as refused:
        phones.normalised({"phone": "07946 0101"}, london)
    assert list(refused.value.errors) == ["phone"]


def _contact_form(**values):
    return {"name": "Fiona Marsh", "portal_access": "y", "all_sites": "y", **values}


def test_contact_phone_stored_e164_and_shown_national(staff_client, london, create):
    customer = create.customer(london)
    response = staff_client.post(
        f"/customers/{customer.id}/contacts/new", data=_contact_form(phone="020 7946 0101")
    )
    assert response.status_code == 303
    contact = db.session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert contact.phone == "+442079460101"
    assert "020 7946 0101" in text_of(staff_client.get(f"/customers/{customer.id}"))
    edit = staff_client.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    assert 'type="tel"' in edit and 'value="020 7946 0101"' in edit
    assert 'autocomplete="tel"' in edit


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_contact_phone_that_is_no_number_is_refused(staff_client, london, create, headers):
    customer = create.customer(london)
    response = staff_client.post(
        f"/customers/{customer.id}/contacts/new",
        data=_contact_form(phone="07946 0101"),
        headers=headers,
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "That is not a phone number we can use." in page
    assert "(like 0121 234 5678)" in page
    assert 'value="07946 0101"' in response.get_data(as_text=True), "what was typed stays"
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_one_number_written_two_ways_is_one_portal_identity(staff_client, london, create):
    customer = create.customer(london)
    create.contact(customer, phone="+442079460101")
    response = staff_client.post(
        f"/customers/{customer.id}/contacts/new",
        data=_contact_form(phone="020 7946 0101", email="second@x.example"),
    )
    assert response.status_code == 422
    assert "Another contact already uses this phone number." in text_of(response)
    assert db.session.scalar(select(func.count(Contact.id))) == 1


def test_editing_a_contact_keeps_its_number_and_reads_a_new_one(staff_client, london, create):
    contact = create.contact(create.customer(london), name="Colin Baker", phone="+442079460101")
    form = _contact_form(name="Colin Baker", email=contact.email, phone="020 7946 0101")
    assert staff_client.post(f"/contacts/{contact.id}/edit", data=form).status_code == 303
    assert contact.phone == "+442079460101"
    form["phone"] = "+1 (312) 555-0199"
    assert staff_client.post(f"/contacts/{contact.id}/edit", data=form).status_code == 303
    db.session.refresh(contact)
    assert contact.phone == "+13125550199"
    assert "+1 312-555-0199" in text_of(staff_client.get(f"/customers/{contact.customer_id}"))


def test_a_number_kept_as_typed_must_be_corrected_when_its_contact_is_edited(
    staff_client, company, create
):
    contact = create.contact(create.customer(company), name="Old Timer", phone="555-0101")
    assert contact.phone == "555-0101"
    assert "555-0101" in text_of(staff_client.get(f"/customers/{contact.customer_id}"))
    form = _contact_form(name="Old Timer", email=contact.email, phone="555-0101")
    response = staff_client.post(f"/contacts/{contact.id}/edit", data=form)
    assert response.status_code == 422 and "(like (201) 555-0123)" in text_of(response)
    db.session.refresh(contact)
    assert contact.phone == "555-0101"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_customer_phone_checked_and_stored_e164(staff_client, company, headers):
    data = {"kind": "consumer", "name": "Ada Lovelace", "billing_terms": "net_30"}
    refused = staff_client.post("/customers/new", data={**data, "phone": "555 01"}, headers=headers)
    assert refused.status_code == 422
    assert "That is not a phone number we can use." in text_of(refused)
    assert db.session.scalar(select(func.count(Customer.id))) == 0
    saved = staff_client.post("/customers/new", data={**data, "phone": "312-555-0142"})
    assert saved.status_code == 303
    customer = db.session.scalar(select(Customer))
    assert customer.phone == "+13125550142"
    assert "(312) 555-0142" in text_of(staff_client.get(f"/customers/{customer.id}"))
    assert "(312) 555-0142" in text_of(staff_client.get("/customers"))


def test_other_companys_contact_edit_is_404(staff_client, other_company, create):
    theirs = create.contact(create.customer(other_company), phone="+13125550150")
    assert staff_client.get(f"/contacts/{theirs.id}/edit").status_code == 404
    response = staff_client.post(
        f"/contacts/{theirs.id}/edit", data=_contact_form(phone="312 555 0151")
    )
    assert response.status_code == 404
    assert theirs.phone == "+13125550150"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_company_phone_checked_stored_e164_and_shown_as_dialled(staff_client, company, headers):
    refused = staff_client.post(
        "/settings", data={**VALID_SETTINGS, "phone": "0800 FLOWERS 1"}, headers=headers
    )
    assert refused.status_code == 422
    assert "That is not a phone number we can use." in text_of(refused)
    db.session.refresh(company)
    assert company.phone is None and company.currency == "USD", "nothing was saved"
    saved = staff_client.post("/settings", data={**VALID_SETTINGS, "phone": "(312) 555-0100"})
    assert saved.status_code == 303
    db.session.refresh(company)
    assert company.phone == "+13125550100"
    assert 'value="(312) 555-0100"' in staff_client.get("/settings").get_data(as_text=True)


def test_phones_shown_in_the_portal_as_the_company_dials_them(client, london, create):
    london.phone = "+442079460100"
    customer = create.customer(london, phone="+13125550142")
    contact = create.contact(customer, phone="+442079460101")
    sign_in(client, contact)
    page = text_of(client.get(f"/portal/{london.slug}/account"))
    assert "020 7946 0101" in page and "+1 312-555-0142" in page
    assert "020 7946 0100" in page
