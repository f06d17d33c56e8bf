"""The companies migration keeps every company, live and on Pro, in its own country."""

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from fieldportal import create_app
from fieldportal.extensions import db
from tests.foundation.test_migrations import _insert

BEFORE = "4982d1971ed4"


def _company(connection, slug: str, locale: str, created_at: datetime) -> int:
    return _insert(
        connection, "companies", slug=slug, name=slug, brand_color="#1d4ed8",
        time_zone="UTC", currency="USD", locale=locale, paper_size="A4", tax_rate_ppm=0,
        portal_enabled=True, requests_enabled=True, login_methods=[], show_quotes=True,
        show_invoices=True, show_reports=True, asset_id_label="Unit", asset_portal_fields=[],
        default_job_status="unscheduled", due_soon_percent=10,
        default_billing_terms="net_30", next_job_number=1, next_quote_number=1,
        next_invoice_number=1, next_report_number=1, created_at=created_at,
    )  # fmt: skip


def test_existing_companies_get_their_country_stay_on_pro_and_are_live(empty_database_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "m", "TESTING": True}
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _company(connection, "london", "en_GB", datetime(2026, 1, 5, 9, 0))
            _company(connection, "paris", "fr", datetime(2026, 2, 5, 9, 0))
        upgrade()
        with db.engine.begin() as connection:
            rows = connection.execute(
                text("SELECT slug, country, plan, live_at, suspended_at FROM companies")
            ).all()
        by_slug = {row.slug: row for row in rows}
        assert (by_slug["london"].country, by_slug["london"].plan) == ("GB", "pro")
        assert (by_slug["paris"].country, by_slug["paris"].plan) == ("US", "pro")
        assert all(row.live_at is not None and row.suspended_at is None for row in rows)
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM companies")).scalar() == 2
            # The plan's CHECK went with its column: a new row goes in on SQLite too.
            _company(connection, "berlin", "de_DE", datetime(2026, 3, 5, 9, 0))
        db.engine.dispose()
