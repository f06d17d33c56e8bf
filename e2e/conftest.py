"""Browser tests: a live server on an ephemeral port over a database of its own with the
small demo data, driven by pytest-playwright in Chromium. The database is a SQLite file,
or, when FIELDPORTAL_TEST_DATABASE_URL names a PostgreSQL database, a fresh schema in it
(made by the migrations, dropped after the run; tests/ keep the default schema to
themselves, so `pytest tests e2e` runs both against one database).

Chromium comes from FIELDPORTAL_CHROMIUM, else /usr/bin/chromium, else Playwright's own.
Without any, the tests skip with a reason — unless E2E_REQUIRED is set, when they fail.
"""

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, make_url
from werkzeug.serving import make_server

from fieldportal import create_app

# Tasks wait in memory (tests run them by hand); every app built here, and every
# subprocess it starts unless the test says otherwise, uses no task-queue file.
os.environ.setdefault("TASK_QUEUE_URL", "memory://")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
TEST_DATABASE_URL = os.environ.get("FIELDPORTAL_TEST_DATABASE_URL", "")
# expect() polls until it holds, so a longer limit costs a passing test nothing; 5 s (the
# default) was too short for resizing four photos in the page on a loaded 2-core machine.
expect.set_options(timeout=15_000)


def chromium_path() -> str | None:
    candidate = os.environ.get("FIELDPORTAL_CHROMIUM") or "/usr/bin/chromium"
    if Path(candidate).exists():
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _playwright_has_own_browser() -> bool:
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache/ms-playwright"))
    return cache.exists() and any(cache.glob("chromium*"))


def pytest_collection_modifyitems(config, items):
    if chromium_path() or _playwright_has_own_browser():
        return
    reason = "no Chromium found (set FIELDPORTAL_CHROMIUM or install Debian's chromium)"
    if os.environ.get("E2E_REQUIRED"):
        raise pytest.UsageError(f"E2E_REQUIRED is set but {reason}")
    print(f"\nSkipping browser tests: {reason}")
    for item in items:
        if str(item.fspath).startswith(str(Path(__file__).parent)):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = dict(browser_type_launch_args)
    path = chromium_path()
    if path:
        args["executable_path"] = path
    args["args"] = [*args.get("args", []), *CHROMIUM_FLAGS]
    return args


class LiveServer:
    def __init__(self, app, server):
        self.app = app
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}"

    def outbox_text(self, to_address: str) -> str:
        """The plain-text body, as delivered, of the newest email queued to ``to_address``."""
        from fieldportal.extensions import db
        from fieldportal.models import OutboxEmail
        from fieldportal.services.mail.outbox_secrets import reveal

        with self.app.app_context():
            email = db.session.scalars(
                db.select(OutboxEmail)
                .where(OutboxEmail.to_address == to_address)
                .order_by(OutboxEmail.id.desc())
            ).first()
            assert email is not None, f"no email queued to {to_address}"
            return reveal(email)[0]

    def outbox_link(self, to_address: str, marker: str = "/portal/") -> str:
        """The newest link containing ``marker`` in an email queued to ``to_address``."""
        import re

        text = self.outbox_text(to_address)
        links = [link for link in re.findall(r"https?://\S+", text) if marker in link]
        assert links, f"no link with {marker!r} in the email to {to_address}"
        return links[0]

    def run(self, work):
        """Call ``work()`` inside a request context of the app, commit, return its result
        (test set-up through the services, as a view would)."""
        from fieldportal.extensions import db

        with self.app.test_request_context():
            result = work()
            db.session.commit()
            return result


@contextmanager
def _database_of_its_own(instance: Path) -> Iterator[str]:
    """A live server's database URL: on PostgreSQL a new schema in the test database,
    first on the search path of every connection, dropped with all it holds afterwards;
    otherwise a SQLite file in ``instance``."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        yield f"sqlite:///{instance / 'e2e.db'}"
        return
    schema = f"e2e_{uuid.uuid4().hex[:12]}"  # [0-9a-f] only: safe to quote into DDL
    admin = create_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _serve(instance: Path, *, demo_data: bool):
    """A live server over a new database of its own (see _database_of_its_own), migrated
    from empty and, with ``demo_data``, holding the small demo data; yields its LiveServer."""
    from flask_migrate import upgrade

    from fieldportal.demo_data import build_demo_data
    from fieldportal.extensions import db

    with _database_of_its_own(instance) as database_url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "e2e-secret-key-not-for-production",
                "UPLOAD_FOLDER": str(instance / "uploads"),
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            upgrade()
            if demo_data:
                build_demo_data(scale="small", seed=1, echo=lambda *_: None)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        live = LiveServer(app, server)
        app.config["BASE_URL"] = live.url
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield live
        server.shutdown()
        with app.app_context():
            db.engine.dispose()  # no connection left to hold a lock on the schema


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("e2e-instance"), demo_data=True)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A live server of its own over an empty database (migrated, no company at all), as
    a new installation is before its first sign-up."""
    yield from _serve(tmp_path_factory.mktemp("e2e-fresh"), demo_data=False)


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def stripe_server(live_server):
    """One Stripe stand-in for the whole run: its ids, like Stripe's, never repeat."""
    from tests.billing.stripe_standin import StripeStandIn

    standin = StripeStandIn().start()
    standin.webhook_url = f"{live_server.url}/webhooks/stripe"
    yield standin
    standin.stop()


@pytest.fixture
def stripe_standin(live_server, stripe_server):
    """The app's Stripe calls and Checkout page go to the stand-in, whose "Pay" button
    sends a signed webhook back to the live server."""
    from tests.billing.stripe_standin import WEBHOOK_SECRET

    app = live_server.app
    settings = {
        "STRIPE_SECRET_KEY": "sk_test_standin",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_server.url,
        "STRIPE_CHECKOUT_ORIGIN": stripe_server.url,
    }
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    yield stripe_server
    app.config.update(saved)
