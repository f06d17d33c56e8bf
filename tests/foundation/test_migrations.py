"""Migrations: one head, upgrade from empty, and the models match what they build."""

import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from fieldportal import create_app
from fieldportal.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Alembic's autogenerate says so when it leaves an index on an expression (lower(name)) out
# of the comparison, as it must on SQLite, which cannot reflect one (pyproject.toml ignores
# SQLAlchemy's own warning about that everywhere): on SQLite the models-match test does
# not compare those indexes (PostgreSQL does).
pytestmark = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning",
)


def test_one_head():
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_file_names_are_timestamped():
    names = [p.name for p in (MIGRATIONS / "versions").glob("*.py")]
    assert names
    for name in names:
        assert name[:8].isdigit() and name[8] == "_" and name[9:13].isdigit(), name


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on."""
    url = os.environ.get("FIELDPORTAL_TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name = f"fp_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_models(empty_database_url, tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "migration-test",
            "TESTING": True,
        }
    )
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"companies", "jobs", "invoices", "outbox_emails", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        db.engine.dispose()


BEFORE_PPM = "e2b8bb4cde26"  # the last revision with tax rates in basis points


def _insert(connection, table_name: str, **values) -> int:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def _old_rows(connection) -> dict:
    """A company at 8.25 %, its customer, a quote at 10 % and an invoice at 8.25 % with a
    line each, typed into the basis-point schema."""
    now = datetime(2026, 11, 30, 12, 0)
    company = _insert(
        connection, "companies", slug="nyc", name="NYC Mobile", brand_color="#1d4ed8",
        time_zone="America/New_York", currency="USD", locale="en_US", paper_size="Letter",
        tax_rate_bp=825, portal_enabled=True, requests_enabled=True, login_methods=[],
        show_quotes=True, show_invoices=True, show_reports=True, asset_id_label="Unit",
        asset_portal_fields=[], default_job_status="unscheduled", due_soon_percent=10,
        default_billing_terms="net_30", next_job_number=1, next_quote_number=2,
        next_invoice_number=2, next_report_number=1, created_at=now,
    )  # fmt: skip
    customer = _insert(
        connection, "customers", kind="consumer", name="Ada", billing_terms="net_30",
        portal_enabled=True, company_id=company, created_at=now,
    )  # fmt: skip
    common = dict(
        number=1, customer_id=customer, subtotal_cents=10000, total_cents=10825,
        tax_cents=825, updated_at=now, company_id=company, created_at=now,
    )  # fmt: skip
    quote = _insert(
        connection, "quotes", title="Brakes", status="sent", revision=1, tax_rate_bp=1000,
        **common,
    )  # fmt: skip
    invoice = _insert(
        connection, "invoices", status="sent", billing_terms="net_30", tax_rate_bp=825,
        amount_paid_cents=0, **common,
    )  # fmt: skip
    for parent in ({"quote_id": quote}, {"invoice_id": invoice}):
        _insert(
            connection, "line_items", position=0, description="Pads", quantity=1,
            unit_price_cents=10000, taxable=True, amount_cents=10000, company_id=company,
            **parent,
        )  # fmt: skip
    return {"company": company, "customer": customer, "quote": quote, "invoice": invoice}


def _rates(connection, column: str) -> dict:
    return {
        table: connection.execute(text(f"SELECT {column} FROM {table}")).scalars().all()
        for table in ("companies", "quotes", "invoices")
    }


def test_upgrade_converts_basis_points_to_ppm_and_keeps_every_row(empty_database_url):
    """825 bp becomes 82,500 ppm; rebuilding the tables (SQLite batch mode) must not
    cascade-delete the customers, line items or anything else that refers to them."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m", "TESTING": True}
    )
    with app.app_context():
        upgrade(revision=BEFORE_PPM)
        with db.engine.begin() as connection:
            ids = _old_rows(connection)
        upgrade()
        with db.engine.begin() as connection:
            assert _rates(connection, "tax_rate_ppm") == {
                "companies": [82_500],
                "quotes": [100_000],
                "invoices": [82_500],
            }
            counts = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("companies", "customers", "quotes", "invoices", "line_items")
            }
            assert counts == {
                "companies": 1,
                "customers": 1,
                "quotes": 1,
                "invoices": 1,
                "line_items": 2,
            }
            assert (
                connection.execute(text("SELECT company_id FROM customers")).scalar()
                == (ids["company"])
            )
            if connection.dialect.name == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        # The new CHECK constraints allow 8.875 % and 100 % and refuse more than 100 %;
        # the constraints that were not touched survived the rebuild.
        for statement, allowed in (
            ("UPDATE companies SET tax_rate_ppm = 88750", True),
            ("UPDATE invoices SET tax_rate_ppm = 1000000", True),
            ("UPDATE quotes SET tax_rate_ppm = 1000001", False),
            ("UPDATE invoices SET tax_rate_ppm = -1", False),
            ("UPDATE companies SET due_soon_percent = 101", False),
            ("UPDATE invoices SET amount_paid_cents = 99999", False),
            ("UPDATE quotes SET revision = 0", False),
        ):
            try:
                with db.engine.begin() as connection:
                    connection.execute(text(statement))
            except IntegrityError:
                assert not allowed, statement
            else:
                assert allowed, statement
        # And back: the downgrade restores basis points (rounding finer rates half up).
        downgrade(revision=BEFORE_PPM)
        with db.engine.begin() as connection:
            assert _rates(connection, "tax_rate_bp") == {
                "companies": [888],
                "quotes": [1000],
                "invoices": [10000],
            }
            assert connection.execute(text("SELECT count(*) FROM line_items")).scalar() == 2
        db.engine.dispose()


def test_upgrade_drops_the_secrets_kept_in_outbox_bodies(empty_database_url):
    """Messages queued before the outbox sealed its secrets keep only the copy without
    them; the ones not yet sent cannot carry a working link any more, so they fail."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m", "TESTING": True}
    )
    raw = "https://portal.example.test/portal/acme/link/RAW-TOKEN-kept-before-upgrade"
    insert = text(
        "INSERT INTO outbox_emails (to_address, kind, subject, text_body, html_body,"
        " shown_text_body, shown_html_body, status, attempts, next_attempt_at, created_at)"
        " VALUES (:to, :kind, 's', :text, :html, :shown_text, :shown_html, :status, 0,"
        " :now, :now)"
    )
    rows = [
        ("queued@x.example", "magic_link", "Sign in: " + raw, f'<a href="{raw}">in</a>', "queued"),
        ("sent@x.example", "magic_link", "Sign in: " + raw, f'<a href="{raw}">in</a>', "sent"),
    ]
    with app.app_context():
        upgrade(revision="5b1f0c8e2a47")
        with db.engine.begin() as connection:
            for to, kind, body, html, status in rows:
                connection.execute(
                    insert,
                    {
                        "to": to,
                        "kind": kind,
                        "text": body,
                        "html": html,
                        "shown_text": "Sign in: [sign-in link hidden]",
                        "shown_html": '<a href="[sign-in link hidden]">in</a>',
                        "status": status,
                        "now": datetime(2026, 12, 1, 9, 0),
                    },
                )
            connection.execute(
                insert,
                {
                    "to": "quote@x.example",
                    "kind": "quote_sent",
                    "text": "Your quote",
                    "html": None,
                    "shown_text": None,
                    "shown_html": None,
                    "status": "queued",
                    "now": datetime(2026, 12, 1, 9, 0),
                },
            )
        upgrade()
        from fieldportal.models import OutboxEmail, OutboxStatus
        from fieldportal.services.mail.outbox_delivery import retry
        from fieldportal.services.mail.outbox_secrets import SecretUnavailable

        emails = {e.to_address: e for e in db.session.scalars(sa.select(OutboxEmail))}
        for address in ("queued@x.example", "sent@x.example"):
            email = emails[address]
            assert "RAW-TOKEN" not in email.text_body + email.html_body
            assert email.text_for_staff == "Sign in: [sign-in link hidden]"
            assert email.secrets_ciphertext is None
        assert emails["queued@x.example"].status == OutboxStatus.FAILED
        assert "send a new one" in emails["queued@x.example"].last_error
        assert emails["sent@x.example"].status == OutboxStatus.SENT
        with pytest.raises(SecretUnavailable, match="send a new sign-in link"):
            retry(emails["queued@x.example"])
        quote = emails["quote@x.example"]
        assert (quote.status, quote.text_body) == (OutboxStatus.QUEUED, "Your quote")
        db.session.remove()
        db.engine.dispose()  # else its pooled connection is closed by nobody (ResourceWarning)


BEFORE_E164 = "4c43abfeb5ff"  # the last revision with phones stored as typed


def test_upgrade_stores_phones_in_e164_and_keeps_what_it_cannot_read(empty_database_url):
    """Each phone read in its company's country (GB, US) becomes E.164; what
    is no valid number stays as typed; two contacts of one company writing one number two
    ways keep one each (the E.164 one keeps it, the other its text), so nothing clashes."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m", "TESTING": True}
    )
    now = datetime(2026, 12, 1, 9, 0)
    with app.app_context():
        upgrade(revision=BEFORE_E164)
        with db.engine.begin() as connection:
            ids = {}
            for slug, country, phone in (
                ("london", "GB", "020 7946 0100"),
                ("chicago", "US", "(312) 555-0100 ext. 4"),
            ):
                ids[slug] = _insert(
                    connection, "companies", slug=slug, name=slug, brand_color="#1d4ed8",
                    time_zone="UTC", currency="USD", locale="en_US", country=country,
                    paper_size="A4", plan="pro", live_at=now,
                    tax_rate_ppm=0, portal_enabled=True, requests_enabled=True,
                    login_methods=[], show_quotes=True, show_invoices=True, show_reports=True,
                    asset_id_label="Unit", asset_portal_fields=[],
                    default_job_status="unscheduled", due_soon_percent=10,
                    default_billing_terms="net_30", next_job_number=1, next_quote_number=1,
                    next_invoice_number=1, next_report_number=1, created_at=now, phone=phone,
                )  # fmt: skip
            customers = {
                (slug, phone): _insert(
                    connection,
                    "customers",
                    kind="consumer",
                    name="C",
                    billing_terms="net_30",
                    portal_enabled=True,
                    company_id=ids[slug],
                    created_at=now,
                    phone=phone,
                )  # fmt: skip
                for slug, phone in (
                    ("london", "+1 312 555 0199"),
                    ("london", "07946 0101"),
                    ("chicago", "312.555.0142"),
                    ("chicago", None),
                )
            }
            contacts = {}
            for n, (slug, phone) in enumerate(
                (
                    ("london", "020 7946 0101"),  # same number as the next, written nationally
                    ("london", "+442079460101"),  # already E.164: keeps it
                    ("london", "+44 20 7946 0102"),
                    ("london", "call reception"),
                    ("chicago", "020 7946 0101"),  # no US number: kept
                    ("chicago", "+44 20 7946 0101"),  # a London number at the US company
                )
            ):
                contacts[n] = _insert(
                    connection, "contacts", customer_id=customers[("london", "07946 0101")]
                    if slug == "london" else customers[("chicago", None)],
                    company_id=ids[slug], name=f"P{n}", email=f"p{n}@x.example", phone=phone,
                    is_admin=False, permissions=[], all_sites=True, portal_access=True,
                    password_is_temporary=False, failed_attempts=0, created_at=now,
                )  # fmt: skip
        upgrade()
        with db.engine.begin() as connection:

            def phones(table):
                rows = connection.execute(text(f"SELECT id, phone FROM {table} ORDER BY id"))
                return [phone for _, phone in rows]

            assert phones("companies") == ["+442079460100", "(312) 555-0100 ext. 4"]
            assert phones("customers") == ["+13125550199", "07946 0101", "+13125550142", None]
            assert phones("contacts") == [
                "020 7946 0101",
                "+442079460101",
                "+442079460102",
                "call reception",
                "020 7946 0101",
                "+442079460101",
            ]
        downgrade(revision=BEFORE_E164)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 6
        db.engine.dispose()


BEFORE_RESETS = "7c2e5a1f9b30"  # the last revision whose setup links had no password resets


def test_setup_links_take_password_resets_and_the_check_still_refuses_others(
    empty_database_url,
):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m", "TESTING": True}
    )
    now = datetime(2026, 12, 4, 7, 0)
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            company = _insert(
                connection, "companies", slug="nyc", name="NYC", brand_color="#1d4ed8",
                time_zone="UTC", currency="USD", locale="en_US", paper_size="A4",
                country="US", plan="pro", two_factor_required="off", tax_rate_ppm=0,
                portal_enabled=True, requests_enabled=True, login_methods=[], show_quotes=True,
                show_invoices=True,
                show_reports=True, asset_id_label="Unit", asset_portal_fields=[],
                default_job_status="unscheduled", due_soon_percent=10,
                default_billing_terms="net_30", next_job_number=1, next_quote_number=1,
                next_invoice_number=1, next_report_number=1, created_at=now,
            )  # fmt: skip
            staff = _insert(
                connection, "staff_users", company_id=company, email="o@nyc.example",
                name="O", role="owner", password_hash="x", active=True, failed_attempts=0,
                created_at=now,
            )  # fmt: skip

        def add_link(purpose, n):
            with db.engine.begin() as connection:
                _insert(
                    connection, "setup_links", token_hash=f"{n:064d}", purpose=purpose,
                    company_id=company, staff_user_id=staff, expires_at=now, created_at=now,
                )  # fmt: skip

        add_link("password_reset", 1)
        with pytest.raises(IntegrityError):
            add_link("no_such_purpose", 2)
        downgrade(revision=BEFORE_RESETS)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM setup_links")).scalar() == 0
        with pytest.raises(IntegrityError):
            add_link("password_reset", 3)
        add_link("owner_password", 4)
        db.engine.dispose()


INVITATIONS = "9b418b5d6bd1"  # staff_users.invited_at and the staff_invite setup links


def test_staff_invitations_upgrade_and_downgrade_drops_only_open_invitations(
    empty_database_url,
):
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    before = ScriptDirectory.from_config(config).get_revision(INVITATIONS).down_revision
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m", "TESTING": True}
    )
    now = datetime(2026, 12, 4, 18, 0)
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            company = _insert(
                connection, "companies", slug="nyc", name="NYC", brand_color="#1d4ed8",
                time_zone="UTC", currency="USD", locale="en_US", paper_size="A4",
                country="US", plan="pro", two_factor_required="off", tax_rate_ppm=0,
                portal_enabled=True, requests_enabled=True, login_methods=[], show_quotes=True,
                show_invoices=True, show_reports=True, asset_id_label="Unit", asset_portal_fields=[],
                default_job_status="unscheduled", due_soon_percent=10,
                default_billing_terms="net_30", next_job_number=1, next_quote_number=1,
                next_invoice_number=1, next_report_number=1, created_at=now,
            )  # fmt: skip
            staff = {"company_id": company, "role": "owner", "password_hash": "x"}
            _insert(
                connection, "staff_users", email="o@nyc.example", name="O", active=True,
                failed_attempts=0, created_at=now, **staff,
            )  # fmt: skip
            invitee = _insert(
                connection, "staff_users", email="i@nyc.example", name="i", active=False,
                failed_attempts=0, created_at=now, invited_at=now, **staff,
            )  # fmt: skip
            _insert(
                connection, "setup_links", token_hash="1" * 64, purpose="staff_invite",
                company_id=company, staff_user_id=invitee, expires_at=now, created_at=now,
            )  # fmt: skip
        downgrade(revision=before)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT email FROM staff_users")).scalars().all() == [
                "o@nyc.example"
            ]
            assert connection.execute(text("SELECT count(*) FROM setup_links")).scalar() == 0
        assert "invited_at" not in {
            c["name"] for c in inspect(db.engine).get_columns("staff_users")
        }
        db.engine.dispose()
