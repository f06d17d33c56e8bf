"""The live server runs on the database the suite was given: on PostgreSQL a schema of its
own in FIELDPORTAL_TEST_DATABASE_URL's database, made by the migrations."""

from sqlalchemy import make_url, text

from fieldportal.extensions import db
from fieldportal.models import Company

from .conftest import TEST_DATABASE_URL


def test_the_live_server_uses_the_test_database(live_server):
    with live_server.app.app_context():
        engine = db.engine
        if TEST_DATABASE_URL.startswith("postgresql"):
            assert engine.dialect.name == "postgresql"
            assert engine.url.database == make_url(TEST_DATABASE_URL).database
            schema = db.session.scalar(text("SELECT current_schema()"))
            assert schema.startswith("e2e_")
            tables = db.session.scalars(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).all()
            assert {"alembic_version", "companies", "outbox_emails"} <= set(tables)
        else:
            assert engine.dialect.name == "sqlite"
            assert engine.url.database.endswith("e2e.db")
        assert db.session.scalar(db.select(db.func.count()).select_from(Company)) > 0
