"""Importing customers, sites, vehicles and assets from CSV and .xlsx: upload → preview
(what is created or updated, every row's problems, nothing written) → confirm (all or
nothing); re-importing changes nothing; templates; bad files of every kind; tenancy."""

import csv
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import (
    Asset,
    AuditEvent,
    Contact,
    Customer,
    CustomerKind,
    ImportUpload,
    OdometerReading,
    Site,
    StaffRole,
    Vehicle,
    utcnow,
)

from ..helpers import sign_in, text_of
from .conftest import HX

CUSTOMERS_CSV = (
    "external_ref,name,kind,email,phone,billing_address,billing_terms,contact_name,"
    "contact_email,contact_phone\n"
    "C-1,Harbour Logistics,fleet,accounts@harbour.example,312 555 0100,1 Dock Road,net_30,"
    "Dana Reyes,dana@harbour.example,(312) 555-0101\n"
    "C-2,Lakeside Dental,account,desk@lakeside.example,,2 Shore Lane,,Sam Lee,,\n"
    ",Pat Jones,,pat@jones.example,,,,,,\n"
)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def upload(client, kind: str, content: bytes | str, filename: str = "file.csv", headers=None):
    if isinstance(content, str):
        content = content.encode()
    return client.post(
        "/import",
        data={"kind": kind, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def preview(client, kind: str, content, filename: str = "file.csv"):
    """Upload and open the preview: (the preview response, the upload's id)."""
    response = upload(client, kind, content, filename)
    assert response.status_code == 303, text_of(response)
    upload_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return client.get(f"/import/uploads/{upload_id}"), upload_id


def digest_of(response) -> str:
    return re.search(r'name="digest"[^>]*value="([0-9a-f]+)"', response.get_data(as_text=True))[1]


def confirm(client, upload_id: int, digest: str, headers=None):
    return client.post(
        f"/import/uploads/{upload_id}/confirm", data={"digest": digest}, headers=headers or {}
    )


def imported(client, kind: str, content, filename: str = "file.csv"):
    page, upload_id = preview(client, kind, content, filename)
    response = confirm(client, upload_id, digest_of(page))
    assert response.status_code == 303, text_of(response)
    return client.get(response.headers["Location"])


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- the journey


def test_preview_shows_what_will_be_created_and_writes_nothing(staff_client, company):
    page, upload_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    assert page.status_code == 200
    text = text_of(page)
    assert "3 rows: 3 to create, 0 to update" in text
    assert "Harbour Logistics (C-1)" in text and "Pat Jones" in text
    assert "Import: create 3, update 0" in text
    assert count(Customer, Customer.company_id == company.id) == 0
    assert count(Contact, Contact.company_id == company.id) == 0


def test_confirm_creates_customers_with_contact_and_billing_address(staff_client, company, owner):
    company.country = "US"
    company.default_interval_miles = 7_500
    page = imported(staff_client, "customers", CUSTOMERS_CSV, "crm-export.csv")
    assert "Imported 3 new and 0 updated customers." in text_of(page)
    assert "3 created, 0 updated, 0 unchanged" in text_of(page)
    harbour = db.session.scalar(select(Customer).where(Customer.external_ref == "C-1"))
    assert harbour.company_id == company.id and harbour.kind == CustomerKind.FLEET
    assert harbour.phone == "+13125550100" and harbour.billing_address == "1 Dock Road"
    assert harbour.interval_miles == 7_500
    dana = db.session.scalar(select(Contact).where(Contact.customer_id == harbour.id))
    assert (dana.name, dana.email, dana.phone, dana.is_admin) == (
        "Dana Reyes",
        "dana@harbour.example",
        "+13125550101",
        True,
    )
    pat = db.session.scalar(select(Customer).where(Customer.name == "Pat Jones"))
    assert pat.kind == CustomerKind.CONSUMER and pat.external_ref is None
    assert pat.billing_terms == company.default_billing_terms
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import.customers"))
    assert event.staff_user_id == owner.id
    assert event.details == {
        "filename": "crm-export.csv",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert "3 created, 0 updated" in event.summary


def test_a_file_of_mixed_rows_is_written_in_one_insert_per_table(
    staff_client, company, count_queries
):
    """Consumers and fleets, contacts with and without a phone, in any order: each table's
    new rows go in one batched INSERT (rows of different columns were a statement per run
    of same-shaped rows: 10,000 customers took 40 s on PostgreSQL)."""
    company.default_interval_miles = 7_500
    header = "external_ref,name,kind,contact_name,contact_email,contact_phone\n"
    customers = "".join(
        f"M-{n},Mixed {n},{'fleet' if n % 3 else 'consumer'},,,\n" for n in range(30)
    )

    def inserts_into(statements, table: str) -> int:
        return sum(
            s.lstrip().upper().startswith(f"INSERT INTO {table.upper()} ") for s in statements
        )

    page, upload_id = preview(staff_client, "customers", header + customers)
    with count_queries() as statements:
        assert confirm(staff_client, upload_id, digest_of(page)).status_code == 303
    if db.engine.dialect.name == "postgresql":
        # SQLite hands the new ids back one row at a time whatever the rows' columns.
        assert inserts_into(statements, "customers") == 1
    fleet, consumer = (
        db.session.scalar(select(Customer).where(Customer.external_ref == ref))
        for ref in ("M-1", "M-3")
    )
    assert (fleet.kind, fleet.interval_miles) == (CustomerKind.FLEET, 7_500)
    assert (consumer.kind, consumer.interval_miles) == (CustomerKind.CONSUMER, None)

    # Each existing customer gains its first contact, every other one with a phone.
    contacts = "".join(
        f"M-{n},Mixed {n},,Person {n},p{n}@mixed.example,"
        + (f"+1 312 555 01{n:02}" if n % 2 else "")
        + "\n"
        for n in range(30)
    )
    page, upload_id = preview(staff_client, "customers", header + contacts)
    assert "0 to create, 30 to update" in text_of(page)
    with count_queries() as statements:
        assert confirm(staff_client, upload_id, digest_of(page)).status_code == 303
    assert inserts_into(statements, "contacts") == 1
    person = db.session.scalar(select(Contact).where(Contact.email == "p1@mixed.example"))
    assert (person.name, person.phone, person.is_admin) == ("Person 1", "+13125550101", True)
    assert (
        db.session.scalar(select(Contact.phone).where(Contact.email == "p2@mixed.example")) is None
    )


def test_reimporting_the_same_file_changes_nothing(staff_client, company):
    imported(staff_client, "customers", CUSTOMERS_CSV)
    before = db.session.execute(select(Customer.id, Customer.name, Customer.email)).all()
    contacts = count(Contact)
    page, upload_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    assert "3 rows: 0 to create, 0 to update, 3 already as the file says" in text_of(page)
    assert "nothing to import" in text_of(page)
    assert db.session.execute(select(Customer.id, Customer.name, Customer.email)).all() == before
    assert count(Contact) == contacts


def test_an_updated_row_says_what_changes(staff_client, company, create):
    create.customer(company, name="Harbour Logistics", email="old@harbour.example", phone="")
    changed = CUSTOMERS_CSV.replace("1 Dock Road", "9 New Pier")
    page, upload_id = preview(staff_client, "customers", changed.replace("C-1,", ",", 1))
    text = text_of(page)
    assert "1 to update" not in text  # name + email differ: it is a new customer
    first = imported(staff_client, "customers", changed)
    assert "3 created" in text_of(first)
    again = changed.replace("9 New Pier", "10 New Pier").replace("Dana Reyes", "Dana Reyes-Moss")
    page, upload_id = preview(staff_client, "customers", again)
    text = text_of(page)
    assert "0 to create, 1 to update, 2 already as the file says" in text
    assert "billing_address: 9 New Pier → 10 New Pier" in text
    assert "contact_name: Dana Reyes → Dana Reyes-Moss" in text
    confirm(staff_client, upload_id, digest_of(page))
    harbour = db.session.scalar(select(Customer).where(Customer.external_ref == "C-1"))
    assert harbour.billing_address == "10 New Pier"
    assert db.session.scalar(select(Contact.name).where(Contact.customer_id == harbour.id)) == (
        "Dana Reyes-Moss"
    )


def test_a_customer_found_by_name_and_email_gets_the_files_reference(staff_client, company, create):
    pat = create.customer(company, name="Pat Jones", email="Pat@Jones.example")
    page, upload_id = preview(
        staff_client, "customers", "external_ref,name,email\nP-9,Pat Jones,pat@jones.example\n"
    )
    assert "external_ref: — → P-9" in text_of(page)
    confirm(staff_client, upload_id, digest_of(page))
    db.session.refresh(pat)
    assert pat.external_ref == "P-9" and pat.email == "Pat@Jones.example"
    assert count(Customer, Customer.company_id == company.id) == 1


# ---------------------------------------------------------------- all or nothing


def test_a_file_with_a_bad_row_imports_nothing(staff_client, company):
    bad = CUSTOMERS_CSV + ",,,,,,,,,\nC-4,Quay Bakers,boat,not-an-email,12,,net_99,,,\n"
    page, upload_id = preview(staff_client, "customers", bad)
    text = text_of(page)
    assert page.status_code == 200
    assert "Nothing is imported while the file has problems" in text
    assert "kind “boat” is not one of: account, consumer, fleet." in text
    assert "email “not-an-email” is not an email address." in text
    assert "billing_terms “net_99” is not one of" in text
    assert "phone “12”: That is not a phone number" in text
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", page.get_data(as_text=True))
    assert ("6", "kind") in rows and ("6", "email") in rows  # the blank row 5 is skipped
    assert 'name="digest"' not in page.get_data(as_text=True)
    refused = confirm(staff_client, upload_id, digest_of_plan(company, upload_id))
    assert refused.status_code == 422
    assert "Nothing was imported: 4 problems" in text_of(refused)
    assert count(Customer, Customer.company_id == company.id) == 0
    assert db.session.get(ImportUpload, upload_id).imported_at is None


def digest_of_plan(company, upload_id):
    from fieldportal.services.data_import import uploads

    upload = db.session.get(ImportUpload, upload_id)
    return uploads.plan(company, upload.kind, upload.filename, upload.content).digest


def test_a_failing_write_leaves_nothing(staff_client, company, monkeypatch):
    """A row the database refuses halfway through the writes rolls every row back."""
    from fieldportal.services.data_import import customers

    page, upload_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    original = customers._new_contact

    def contact_without_name(company, contact, is_admin):
        return {**original(company, contact, is_admin), "name": None}

    monkeypatch.setattr(customers, "_new_contact", contact_without_name)
    assert confirm(staff_client, upload_id, digest_of(page)).status_code == 500
    assert count(Customer, Customer.company_id == company.id) == 0
    assert db.session.get(ImportUpload, upload_id).imported_at is None


def test_the_preview_is_not_trusted_from_the_page(staff_client, company, create):
    """Confirming writes what the server reads from the stored file now: a preview whose
    plan no longer holds (a record changed since) is refused and shown again."""
    page, upload_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    digest = digest_of(page)
    refused = confirm(staff_client, upload_id, "0" * 32)
    assert refused.status_code == 409 and "changed since this preview" in text_of(refused)
    create.customer(company, name="Pat Jones", email="pat@jones.example")
    refused = confirm(staff_client, upload_id, digest)
    assert refused.status_code == 409
    assert "2 to create, 0 to update, 1 already as the file says" in text_of(refused)
    assert count(Customer, Customer.company_id == company.id) == 1
    fresh = digest_of(refused)
    assert confirm(staff_client, upload_id, fresh).status_code == 303
    assert count(Customer, Customer.company_id == company.id) == 3


def test_an_upload_is_imported_once_and_expires(staff_client, company):
    page, upload_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    digest = digest_of(page)
    assert confirm(staff_client, upload_id, digest).status_code == 303
    again = confirm(staff_client, upload_id, digest)
    assert again.status_code == 409 and "imported already" in text_of(again)
    assert count(Customer, Customer.company_id == company.id) == 3
    page, upload_id = preview(
        staff_client, "sites", "customer,name,address_line1,city\nC-1,A,1 B,C\n"
    )
    db.session.get(ImportUpload, upload_id).expires_at = utcnow()
    db.session.flush()
    assert "This upload has expired" in text_of(staff_client.get(f"/import/uploads/{upload_id}"))
    late = confirm(staff_client, upload_id, digest_of(page))
    assert late.status_code == 409 and count(Site) == 0


def test_expired_uploads_are_deleted_with_the_next_upload(staff_client, company):
    page, old_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    db.session.get(ImportUpload, old_id).expires_at = utcnow()
    db.session.flush()
    preview(staff_client, "customers", CUSTOMERS_CSV)
    assert count(ImportUpload) == 1
    assert count(ImportUpload, ImportUpload.expires_at <= utcnow()) == 0


# ---------------------------------------------------------------- bad files and rows


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (
            "name,email\nJosé,jose@example.com\n".encode("cp1252"),
            "win.csv",
            "not UTF-8 text: line 2",
        ),
        (b"name\x00,email\n", "nul.csv", "NUL characters"),
        (b"email,phone\na@b.example,1\n", "cols.csv", "lacks the column name"),
        (b"name,Name\nA,B\n", "twice.csv", "names the column “name” twice"),
        (b"name,email\n", "header-only.csv", "no rows under it"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "old Excel workbook (.xls)"),
        (b"PK\x03\x04broken", "broken.xlsx", "not a readable .xlsx workbook"),
        (b'name,email\n"unclosed,a@b.example\n', "quote.csv", None),
    ],
)
def test_bad_files_are_refused_with_a_message_and_kept_nowhere(
    staff_client, company, content, filename, message
):
    response = upload(staff_client, "customers", content, filename)
    if message is None:  # an unclosed quote reads to the end: one row, no crash
        assert response.status_code in (303, 422)
        return
    assert response.status_code == 422
    text = text_of(response)
    assert message in text and "The file was not taken" in text
    assert count(ImportUpload) == 0


def test_utf8_with_bom_semicolons_and_utf16_are_read(staff_client, company):
    page = imported(staff_client, "customers", "\ufeffname;email\nJosé Núñez;jose@example.com\n")
    assert "1 created" in text_of(page)
    same = "name\temail\nJosé Núñez\tjose@example.com\n".encode("utf-16")
    page, _ = preview(staff_client, "customers", same)
    assert "0 to create, 0 to update, 1 already as the file says" in text_of(page)
    assert db.session.scalar(select(Customer.name).where(Customer.company_id == company.id)) == (
        "José Núñez"
    )
    assert count(Customer, Customer.company_id == company.id) == 1


def test_formulas_are_reported_never_imported(staff_client, company):
    csv_text = (
        "name,email,phone,notes\n"
        '=HYPERLINK("http://evil.example"),a@b.example,,\n'
        "Ann,ann@b.example,+1 312 555 0100,@SUM(A1)\n"
        "Bob,bob@b.example,,+cmd|' /C calc'!A0\n"
        "Cy,cy@b.example,,-2+3\n"
        "Di,di@b.example,,- see notes\n"
    )
    page, upload_id = preview(staff_client, "customers", csv_text)
    errors = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", page.get_data(as_text=True))
    assert errors == [("2", "name"), ("3", "notes"), ("4", "notes"), ("5", "notes"), ("6", "notes")]
    assert "which a spreadsheet takes for a formula" in text_of(page)
    workbook = xlsx([["name", "email"], ["Ann", "ann@b.example"], ['=A2&"x"', "x@b.example"]])
    page, upload_id = preview(staff_client, "customers", workbook, "people.xlsx")
    assert "name holds a formula; formulas are not imported" in text_of(page)
    assert count(Customer, Customer.company_id == company.id) == 0


def test_xlsx_is_imported_like_csv(staff_client, company):
    workbook = xlsx(
        [
            ["External ref", "Name", "Kind", "Email", "Phone"],
            ["C-1", "Harbour Logistics", "fleet", "a@harbour.example", 3125550100],
            [],
            ["C-2", "Lakeside", None, None, None],
        ]
    )
    page = imported(staff_client, "customers", workbook, "customers.xlsx")
    assert "2 created" in text_of(page)
    harbour = db.session.scalar(select(Customer).where(Customer.external_ref == "C-1"))
    assert harbour.phone == "+13125550100" and harbour.kind == CustomerKind.FLEET
    page, _ = preview(staff_client, "customers", workbook, "customers.xlsx")
    assert "0 to create, 0 to update, 2 already as the file says" in text_of(page)


def test_duplicates_inside_the_file_are_row_errors(staff_client, company):
    csv_text = (
        "external_ref,name,email,contact_name,contact_email\n"
        "C-1,Harbour,a@h.example,Dana,dana@h.example\n"
        "C-1,Harbour again,b@h.example,,\n"
        ",Pat,pat@p.example,,\n"
        ",PAT,PAT@p.example,,\n"
        "C-3,Other,,Dana Two,DANA@h.example\n"
    )
    page, _ = preview(staff_client, "customers", csv_text)
    text = text_of(page)
    assert "external_ref repeats row 2 (the same external reference)" in text
    assert "name repeats row 4 (the same name and email)" in text
    assert "contact_email repeats row 2 (the same contact email)" in text
    assert "3 problems" in text


def test_contact_email_of_another_customer_is_a_row_error(staff_client, company, create):
    other = create.customer(company, name="Someone Else")
    create.contact(other, email="dana@h.example")
    page, _ = preview(
        staff_client, "customers", "name,contact_name,contact_email\nHarbour,Dana,dana@h.example\n"
    )
    assert "contact_email Another contact already uses this email." in text_of(page)


def test_a_cell_too_long_and_a_missing_name(staff_client, company):
    page, _ = preview(staff_client, "customers", f"name,notes\n{'x' * 161},\n,hello\n")
    text = text_of(page)
    assert "name is 161 characters long; at most 160 fit." in text
    assert "name is empty; it is needed." in text


def test_an_upload_over_the_body_limit_is_413(staff_client, company, app):
    big = b"name\n" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = upload(staff_client, "customers", big)
    assert response.status_code == 413
    assert count(ImportUpload) == 0


def test_no_file_or_no_kind_is_422_on_the_field(staff_client, company):
    response = staff_client.post("/import", data={"kind": "customers"})
    assert response.status_code == 422 and "Choose a CSV or .xlsx file." in text_of(response)
    response = upload(staff_client, "boats", CUSTOMERS_CSV)
    assert response.status_code == 422 and "Not a valid choice" in text_of(response)


# ---------------------------------------------------------------- sites, vehicles, assets


@pytest.fixture
def customers_imported(staff_client, company):
    imported(staff_client, "customers", CUSTOMERS_CSV)
    return db.session.scalar(select(Customer).where(Customer.external_ref == "C-1"))


SITES_CSV = (
    "customer,name,address_line1,city,postal_code,country\n"
    "C-1,North depot,12 Quay Street,Springfield,62701,\n"
    "Lakeside Dental,Main surgery,2 Shore Lane,Lakeside,,us\n"
)


def test_sites_by_customer_reference_or_name(staff_client, company, customers_imported):
    company.country = "GB"
    page = imported(staff_client, "sites", SITES_CSV)
    assert "2 created" in text_of(page)
    north = db.session.scalar(select(Site).where(Site.name == "North depot"))
    assert north.customer_id == customers_imported.id and north.country == "GB"
    lakeside = db.session.scalar(select(Site).where(Site.name == "Main surgery"))
    assert lakeside.country == "US"
    page, upload_id = preview(staff_client, "sites", SITES_CSV.replace("62701", "62702"))
    assert "postal_code: 62701 → 62702" in text_of(page)
    assert "0 to create, 1 to update, 1 already as the file says" in text_of(page)


def test_site_rows_with_problems(staff_client, company, customers_imported):
    csv_text = (
        "customer,name,address_line1,city,country\n"
        "C-404,Nowhere,1 A St,Town,\n"
        "C-1,No address,,,\n"
        "C-1,Bad country,1 A St,Town,XX\n"
        "C-1,North depot,1 A St,Town,\n"
        "C-1,north DEPOT,1 A St,Town,\n"
    )
    page, _ = preview(staff_client, "sites", csv_text)
    text = text_of(page)
    assert "customer No customer has the reference or name “C-404”." in text
    assert "address_line1 is empty; a new site needs it." in text
    assert "city is empty; a new site needs it." in text
    assert "country “XX” is not a two-letter country code" in text
    assert "name repeats row 5 (the same customer and site name)" in text


VEHICLES_CSV = (
    "customer,site,registration,vin,year,make,model,odometer\n"
    "C-1,North depot,KX19 ABC,1ftbw2cm5hka12345,2019,Ford,Transit,48200\n"
    "C-1,,KX20 DEF,,2020,Mercedes,Sprinter,\n"
)


@pytest.fixture
def sites_imported(staff_client, customers_imported):
    imported(staff_client, "sites", SITES_CSV)
    return customers_imported


def test_vehicles_import_with_their_first_reading(staff_client, company, sites_imported):
    page = imported(staff_client, "vehicles", VEHICLES_CSV)
    assert "2 created" in text_of(page)
    transit = db.session.scalar(select(Vehicle).where(Vehicle.vin == "1FTBW2CM5HKA12345"))
    north = db.session.scalar(select(Site).where(Site.name == "North depot"))
    assert (transit.customer_id, transit.site_id, transit.plate, transit.odometer) == (
        sites_imported.id,
        north.id,
        "KX19 ABC",
        48_200,
    )
    readings = db.session.scalars(
        select(OdometerReading.reading).where(OdometerReading.vehicle_id == transit.id)
    ).all()
    assert readings == [48_200]
    page, _ = preview(staff_client, "vehicles", VEHICLES_CSV)
    assert "0 to create, 0 to update, 2 already as the file says" in text_of(page)
    # Matched by plate however it is written; the odometer goes up with a reading.
    moved = VEHICLES_CSV.replace("KX20 DEF,", "kx20-def,WDB9066331S123456").replace(
        "Sprinter,\n", "Sprinter,1500\n"
    )
    page, upload_id = preview(staff_client, "vehicles", moved)
    text = text_of(page)
    assert "0 to create, 1 to update" in text
    assert "vin: — → WDB9066331S123456" in text and "odometer: 0 → 1500" in text
    confirm(staff_client, upload_id, digest_of(page))
    sprinter = db.session.scalar(select(Vehicle).where(Vehicle.vin == "WDB9066331S123456"))
    assert sprinter.plate == "KX20 DEF" and sprinter.odometer == 1_500
    assert count(OdometerReading, OdometerReading.vehicle_id == sprinter.id) == 2
    assert count(Vehicle, Vehicle.company_id == company.id) == 2


def test_a_vehicle_moved_to_another_site_shows_both_sites_names(staff_client, sites_imported):
    imported(staff_client, "vehicles", VEHICLES_CSV)
    imported(
        staff_client, "sites", "customer,name,address_line1,city\nC-1,South yard,3 Quay,Hull\n"
    )
    moved = VEHICLES_CSV.replace("C-1,North depot,", "C-1,South yard,")
    page, upload_id = preview(staff_client, "vehicles", moved)
    assert "0 to create, 1 to update" in text_of(page)
    assert "site: North depot → South yard" in text_of(page)
    confirm(staff_client, upload_id, digest_of(page))
    transit = db.session.scalar(select(Vehicle).where(Vehicle.plate == "KX19 ABC"))
    assert db.session.get(Site, transit.site_id).name == "South yard"


def test_vehicle_rows_with_problems(staff_client, company, sites_imported, create):
    create.vehicle(create.customer(company, name="Owner Two"), plate="TAKEN 1", odometer=900)
    imported(staff_client, "vehicles", VEHICLES_CSV)
    csv_text = (
        "customer,site,plate,vin,year,make,model,odometer\n"
        "C-1,Nowhere,N1,,2019,Ford,Transit,\n"
        "C-1,,,,2019,Ford,Transit,\n"
        "C-1,,N2,,1800,Ford,Transit,-5\n"
        "C-1,,N3,,2019,,,\n"
        "C-1,,TAKEN 1,,,,,\n"
        "C-1,,KX19 ABC,,,,,100\n"
        "C-1,,N4,,twenty,Ford,Transit,\n"
        "C-1,,n-4,,2019,Ford,Transit,\n"
    )
    page, _ = preview(staff_client, "vehicles", csv_text)
    text = text_of(page)
    assert "site The customer has no site called “Nowhere”" in text
    assert "plate and vin are both empty; give at least one." in text
    assert "year 1,800 is out of range: give 1,900 to 2,100." in text
    assert "odometer -5 is out of range" in text
    assert "make is empty; a new vehicle needs it." in text
    assert "customer This vehicle belongs to another customer" in text
    assert "odometer cannot go backwards: the last reading was 48,200." in text
    assert "year “twenty” is not a whole number." in text
    assert "plate repeats row 8 (the same plate)" in text


def test_a_vehicle_naming_another_companys_customer_is_a_row_error(
    staff_client, company, other_company, create
):
    create.customer(other_company, name="Rival Customer", external_ref="R-1")
    page, _ = preview(
        staff_client,
        "vehicles",
        "customer,plate,make,model\nR-1,AB1,Ford,Ka\nRival Customer,AB2,Ford,Ka\n",
    )
    text = text_of(page)
    assert "No customer has the reference or name “R-1”." in text
    assert "No customer has the reference or name “Rival Customer”." in text
    assert count(Vehicle) == 0


ASSETS_CSV = (
    "customer,site,serial_number,asset_code,asset_type,description\n"
    "C-1,North depot,SN-1,EXT-1,Fire extinguisher,6 kg powder\n"
    "C-1,,SN-2,,Boiler,\n"
)


def test_assets_match_on_serial_and_keep_ids_unique(staff_client, company, sites_imported, create):
    page = imported(staff_client, "assets", ASSETS_CSV)
    assert "2 created" in text_of(page)
    boiler = db.session.scalar(select(Asset).where(Asset.serial_number == "SN-2"))
    assert boiler.asset_code == "SN-2" and boiler.asset_type == "Boiler"
    page, _ = preview(staff_client, "assets", ASSETS_CSV)
    assert "0 to create, 0 to update, 2 already as the file says" in text_of(page)
    create.asset(create.customer(company, name="Other"), asset_code="EXT-9", serial_number="SN-9")
    changed = ASSETS_CSV.replace("EXT-1", "EXT-1B").replace(",SN-2,,", ",SN-2,EXT-9,")
    changed += "C-1,,,,Lift,\nC-1,,SN-9,,Lift,\n"
    page, _ = preview(staff_client, "assets", changed)
    text = text_of(page)
    assert "asset_code “EXT-9” is the ID of another asset." in text
    assert "serial_number and asset_code are both empty" in text
    assert "customer This asset belongs to another customer" in text
    renamed = ASSETS_CSV.replace("EXT-1", "EXT-1B")
    page, upload_id = preview(staff_client, "assets", renamed)
    assert "asset_code: EXT-1 → EXT-1B" in text_of(page)
    confirm(staff_client, upload_id, digest_of(page))
    assert db.session.scalar(select(Asset.asset_code).where(Asset.serial_number == "SN-1")) == (
        "EXT-1B"
    )


# ---------------------------------------------------------------- the pages


def test_import_page_lists_kinds_templates_and_labelled_inputs(staff_client):
    response = staff_client.get("/import")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for kind in ("customers", "sites", "vehicles", "assets"):
        assert f'href="/import/{kind}/template.csv"' in html
    assert '<label for="kind">' in html and '<label for="file">' in html
    assert 'enctype="multipart/form-data"' in html and 'hx-encoding="multipart/form-data"' in html
    assert ">Import</a>" in html  # in the navigation


@pytest.mark.parametrize("kind", ["customers", "sites", "vehicles", "assets"])
def test_each_template_has_a_header_and_an_example_that_reads_cleanly(staff_client, kind):
    response = staff_client.get(f"/import/{kind}/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="{kind}-template.csv"' in response.headers["Content-Disposition"]
    header, example, *rest = csv.reader(io.StringIO(response.get_data(as_text=True)))
    assert not rest and len(header) == len(example) and all(header)
    assert "customer" in header or "name" in header


def test_the_customers_template_imports_as_it_is(staff_client, company):
    template = staff_client.get("/import/customers/template.csv").get_data()
    page = imported(staff_client, "customers", template)
    assert "1 created" in text_of(page)


def test_htmx_renderings(staff_client, company):
    bad = upload(staff_client, "customers", b"", headers=HX)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" not in html
    assert html.startswith('<form id="import-form"') and "The file is empty." in html
    good = upload(staff_client, "customers", CUSTOMERS_CSV, headers=HX)
    assert good.headers["HX-Redirect"].startswith("/import/uploads/")
    upload_id = int(good.headers["HX-Redirect"].rsplit("/", 1)[1])
    fragment = staff_client.get(f"/import/uploads/{upload_id}", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.startswith('<div id="import-preview"')
    refused = confirm(staff_client, upload_id, "f" * 32, headers=HX)
    assert refused.status_code == 409
    assert refused.get_data(as_text=True).startswith('<div id="import-preview"')
    done = confirm(staff_client, upload_id, digest_of(fragment), headers=HX)
    assert done.headers["HX-Redirect"] == f"/import/uploads/{upload_id}"
    assert count(Customer, Customer.company_id == company.id) == 3


def test_problems_download_lists_every_problem(staff_client, company):
    rows = "".join(f",Name {n},bad-{n}\n" for n in range(1_200))
    page, upload_id = preview(staff_client, "customers", "external_ref,name,email\n" + rows)
    assert "And 200 more in the downloaded list." in text_of(page)
    problems = staff_client.get(f"/import/uploads/{upload_id}/problems.csv")
    lines = problems.get_data(as_text=True).splitlines()
    assert lines[0] == "row,column,problem" and len(lines) == 1_201
    assert lines[1].startswith("2,email,") and "bad-0" in lines[1]


def test_another_companys_upload_is_404(app, staff_client, company, other_company, create):
    page, upload_id = preview(staff_client, "customers", CUSTOMERS_CSV)
    digest = digest_of(page)
    rival = app.test_client()
    sign_in(rival, create.staff(other_company))
    for path in (f"/import/uploads/{upload_id}", f"/import/uploads/{upload_id}/problems.csv"):
        assert rival.get(path).status_code == 404
    assert confirm(rival, upload_id, digest).status_code == 404
    assert count(Customer) == 0


def test_a_technician_cannot_import(app, company, create):
    client = app.test_client()
    sign_in(client, create.staff(company, StaffRole.TECHNICIAN))
    assert client.get("/import").status_code == 404
    assert upload(client, "customers", CUSTOMERS_CSV).status_code == 404
    assert count(ImportUpload) == 0
