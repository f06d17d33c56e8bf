"""Fixtures: the app on SQLite (default) or PostgreSQL (FIELDPORTAL_TEST_DATABASE_URL),
a database whose every test runs in a transaction rolled back at the end, a test client
that sends CSRF tokens like a browser, factories, and a query counter."""

import contextvars
import os
import uuid
from contextlib import contextmanager

import pytest
from flask import Flask, has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

from fieldportal import create_app
from fieldportal.extensions import db as _db
from fieldportal.services.portal.page_cache import PageCache

from . import factories
from .helpers import sign_in
from .redis_server import RedisDatabaseZero, redis_test_url, redis_url_or_skip

TEST_DATABASE_URL = os.environ.get("FIELDPORTAL_TEST_DATABASE_URL")
# Tasks wait in memory (tests run them by hand); every app built here, and every
# subprocess it starts unless the test says otherwise, uses no task-queue file.
os.environ.setdefault("TASK_QUEUE_URL", "memory://")
CSRF_RAW_TOKEN = "test-csrf-raw-token"


def pytest_configure(config):
    try:
        redis_test_url()
    except RedisDatabaseZero as error:  # stop before any test can write to it
        raise pytest.UsageError(str(error)) from None


def pytest_collection_modifyitems(config, items):
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set FIELDPORTAL_TEST_DATABASE_URL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def _request_in_fresh_app_context(open_request, *args, **kwargs):
    # Flask reuses an app context already pushed for the same app; the test's own context
    # would then leak `g` (Flask-Login's cached user) and the test's session into requests.
    _cv_app.set(None)
    return open_request(*args, **kwargs)


class ClosingClient(FlaskClient):
    """Reads each response whole and closes it, and closes the request body werkzeug
    spooled to a temporary file, as a server does: a file left open would warn
    (ResourceWarning), and warnings are errors."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        response = super().open(*args, **kwargs)
        body = response.request.environ["wsgi.input"]
        if hasattr(body, "close"):
            body.close()
        return response


# Every app a test builds, not only the session's.
Flask.test_client_class = ClosingClient


class BrowserLikeClient(ClosingClient):
    """Each request in its own app context and database session, like a real server, with
    the CSRF token sent on unsafe methods as our pages do (csrf=False omits it). The test's
    session is flushed before a request and expired after it, so both see the same rows."""

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            with self.session_transaction() as session:
                session["csrf_token"] = CSRF_RAW_TOKEN
            signed = URLSafeTimedSerializer(
                self.application.secret_key, salt="wtf-csrf-token"
            ).dumps(CSRF_RAW_TOKEN)
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", signed)
            kwargs["headers"] = headers
        in_test_context = has_app_context()
        if in_test_context:
            _db.session.flush()
        response = contextvars.copy_context().run(
            _request_in_fresh_app_context, super().open, *args, **kwargs
        )
        if in_test_context:
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    database_url = TEST_DATABASE_URL or f"sqlite:///{instance / 'test.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "BASE_URL": "https://portal.example.test",
            "UPLOAD_FOLDER": str(instance / "uploads"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    app.test_client_class = BrowserLikeClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    """The app with production settings behind one HTTPS proxy, on its own SQLite file."""
    monkeypatch.setenv("FIELDPORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret-from-environment")
    monkeypatch.setenv("PROXY_COUNT", "1")
    monkeypatch.setenv("BASE_URL", "https://service.example.com")
    monkeypatch.setenv("MAIL_FROM", "Service portal <no-reply@mail.service.example.com>")
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


@pytest.fixture
def db(app):
    """The database, with everything this test writes rolled back afterwards."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original_session = _db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own picks the engine per table
        # and would bypass this connection (and its rolled-back transaction).
        _db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original_session
            transaction.rollback()
            connection.close()


@pytest.fixture
def committed_db(app):
    """A database whose writes really commit (for tests across threads or processes);
    every table is emptied afterwards."""
    with app.app_context():
        yield _db
        _db.session.remove()
        with _db.engine.begin() as connection:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _reset_rate_limits(app):
    from fieldportal.extensions import limiter

    limiter.reset()
    yield


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def company(db):
    return factories.create_company(name="Acme Mobile Mechanics", slug="acme")


@pytest.fixture
def other_company(db):
    return factories.create_company(name="Rival Fleet Care", slug="rival")


@pytest.fixture
def owner(company):
    return factories.create_staff(company, name="Olivia Owner", email="olivia@acme.test")


@pytest.fixture
def create(db):
    """All factories: create.fleet(company, vehicles=3), create.invoice(customer), …"""

    class Create:
        company = staticmethod(factories.create_company)
        staff = staticmethod(factories.create_staff)
        customer = staticmethod(factories.create_customer)
        fleet = staticmethod(factories.create_fleet)
        site = staticmethod(factories.create_site)
        contact = staticmethod(factories.create_contact)
        vehicle = staticmethod(factories.create_vehicle)
        asset = staticmethod(factories.create_asset)
        job_type = staticmethod(factories.create_job_type)
        job = staticmethod(factories.create_job)
        invoice = staticmethod(factories.create_invoice)
        quote = staticmethod(factories.create_quote)
        request = staticmethod(factories.create_request)

    return Create


@pytest.fixture
def staff_client(client, owner):
    """A client signed in as the company's owner."""
    sign_in(client, owner)
    return client


@pytest.fixture
def shared_page_cache(app, monkeypatch):
    """The page cache and data versions on the test Redis, as production runs them
    (``PAGE_CACHE_URL``); its own key namespace, so another run sharing this Redis cannot
    touch its versions."""
    cache = PageCache(redis_url_or_skip(), namespace=f"test-{uuid.uuid4().hex}")
    monkeypatch.setitem(app.extensions, "page_cache", cache)
    yield cache
    for key in cache.redis.scan_iter(f"{cache.namespace}:*"):
        cache.redis.delete(key)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as queries: ...`` then ``len(queries)``."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before_cursor_execute)

    return counter
