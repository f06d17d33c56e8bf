"""Billing fixtures: a customer with a contact, line builders."""

from decimal import Decimal

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import orm, text

from fieldportal.extensions import db as _db
from fieldportal.services.billing import LineInput


def line(description="Labour", quantity="1", unit_price_cents=10_000, taxable=True):
    return LineInput(description, Decimal(quantity), unit_price_cents, taxable)


@pytest.fixture
def customer(company, create):
    customer = create.customer(company, name="Harbor Bakery")
    create.contact(customer, name="Hana Baker", email="hana@bakery.test")
    return customer


@pytest.fixture(scope="session")
def stripe_standin():
    from .stripe_standin import StripeStandIn

    standin = StripeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_on(app, monkeypatch, stripe_standin):
    """Online payments configured against the stand-in Stripe API."""
    from .stripe_standin import WEBHOOK_SECRET

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_standin")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stripe_standin.url)
    return stripe_standin


@pytest.fixture
def db(app):
    """tests/conftest.py's ``db`` with two fixes, so views that commit stay isolated.

    Flask-SQLAlchemy's Session.get_bind picks the app's engine and ignores the
    ``bind=connection`` option, so a view's commit reached the real database: a plain
    SQLAlchemy session bound to the test connection is used instead. And pysqlite emits no BEGIN for ``connection.begin()``, so the session's first SAVEPOINT
    opened the real transaction and a view's ``commit()`` (RELEASE of that savepoint)
    committed the test's rows for good. An explicit outer savepoint keeps every release
    nested, and the final rollback undoes everything on both databases.
    """
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        if connection.dialect.name == "sqlite":
            connection.execute(text("SAVEPOINT test_outer"))
        original_session = _db.session
        _db.session = orm.scoped_session(
            orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original_session
            transaction.rollback()
            connection.close()
