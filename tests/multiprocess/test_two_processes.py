"""Two app processes against one PostgreSQL: the single-use and exactly-once rules hold
across processes, not just across threads (sign-in links, quote decisions, webhooks)."""

import http.client
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, text

from fieldportal.models import (
    AuthSession,
    CheckoutAllocation,
    CheckoutPayment,
    Payment,
    QuoteDecision,
    QuoteStatus,
    SignInMethod,
    utcnow,
)
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.billing.quotes import quote_fingerprint
from fieldportal.services.portal.portal_auth import issue_login_link
from tests import factories
from tests.billing.stripe_standin import event_payload, sign
from tests.redis_server import redis_url_or_skip

pytestmark = pytest.mark.postgres_only

SECRET = "two-process-secret"
WEBHOOK_SECRET = "whsec_test_standin_secret"
CSRF_RAW = "two-process-csrf"
SERVER = """
import sys
from werkzeug.serving import make_server
from fieldportal import create_app
app = create_app({"RATELIMIT_ENABLED": False})
if len(sys.argv) > 2:  # a page cache whose keys are this test run's own
    from fieldportal.services.portal.page_cache import PageCache
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_URL"], namespace=sys.argv[2])
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _two_servers(app, page_cache_url: str | None = None):
    """Two app processes on free ports over the test database, once both answer /healthz;
    with ``page_cache_url`` they share a page cache there (keys of their own)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PAGE_CACHE_URL"},
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": SECRET,
        "BASE_URL": "http://127.0.0.1",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FIELDPORTAL_ENV": "development",
    }
    cache_args = []
    if page_cache_url:
        env["PAGE_CACHE_URL"] = page_cache_url
        cache_args = [f"test-{uuid.uuid4().hex}"]
    ports = [_free_port(), _free_port()]
    root = Path(__file__).resolve().parents[2]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), *cache_args],
            env=env,
            cwd=root,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.time() + 120  # two imports of the app on a busy 2-core machine
        for port in ports:
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        break
                except OSError:
                    pass
                assert time.time() < deadline, "server did not start"
                time.sleep(0.2)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def two_servers(app):
    with _two_servers(app) as ports:
        yield ports


@pytest.fixture
def two_servers_sharing_a_page_cache(app):
    with _two_servers(app, page_cache_url=redis_url_or_skip()) as ports:
        yield ports


def _cookie(data: dict) -> str:
    """A Flask session cookie as the servers (sharing SECRET) would have set it."""
    signer_app = Flask("cookie-signer")
    signer_app.secret_key = SECRET
    return "session=" + signer_app.session_interface.get_signing_serializer(signer_app).dumps(data)


def _post(port: int, path: str, body: bytes, headers: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=body, headers=headers)
    return connection.getresponse().status


def _form_post(port: int, path: str, fields: dict, user_token: str | None = None) -> int:
    session = {"csrf_token": CSRF_RAW}
    if user_token:
        session.update({"_user_id": user_token, "_fresh": True})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": _cookie(session),
        "X-CSRFToken": URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(CSRF_RAW),
    }
    return _post(port, path, urlencode(fields).encode(), headers)


def _get(port: int, path: str, cookie: str) -> tuple[int, str, str]:
    """(status, body, the session cookie to send next: the server's if it set one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read().decode()
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            cookie = header.split(";", 1)[0]
    return response.status, body, cookie


def _portal_session(app, db, contact) -> str:
    """A live portal session of ``contact`` (as a sign-in link makes); its cookie token."""
    token = new_token()
    db.session.add(
        AuthSession(
            token_hash=token_hash(token),
            company_id=contact.company_id,
            contact_id=contact.id,
            customer_id=contact.customer_id,
            method=SignInMethod.MAGIC_LINK,
            expires_at=utcnow() + app.config["PORTAL_ABSOLUTE_TIMEOUT"],
        )
    )
    return token


def _together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results = []

    def run(n):
        barrier.wait()
        results.append(work(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_single_use_and_exactly_once_hold_across_two_processes(app, committed_db, two_servers):
    db = committed_db
    company = factories.create_company(slug="twin")
    customer = factories.create_customer(company)
    contact = factories.create_contact(customer)
    with app.test_request_context():
        link_token = issue_login_link(contact)
    quote = factories.create_quote(customer, status=QuoteStatus.SENT)
    fingerprint = quote_fingerprint(quote)
    invoice = factories.create_invoice(customer, lines=(("Service", 20_000),))
    checkout = CheckoutPayment(
        company_id=company.id,
        customer_id=customer.id,
        checkout_session_id="cs_twin",
        amount_cents=20_000,
        currency=company.currency,
    )
    db.session.add(checkout)
    db.session.flush()
    db.session.add(
        CheckoutAllocation(checkout_id=checkout.id, invoice_id=invoice.id, amount_cents=20_000)
    )
    user_tokens = [_portal_session(app, db, contact) for _ in range(10)]
    ids = {"quote": quote.id, "checkout": checkout.id, "company": company.id, "contact": contact.id}
    db.session.commit()
    db.session.remove()
    ports = two_servers

    link_statuses = _together(
        20, lambda n: _form_post(ports[n % 2], f"/portal/twin/link/{link_token}", {})
    )
    assert sorted(link_statuses).count(303) == 1 and set(link_statuses) <= {303, 410}

    answer = {"signed_name": "Frank Delgado", "quote_sha256": fingerprint}
    quote_statuses = _together(
        10,
        lambda n: _form_post(
            ports[n % 2], f"/portal/twin/quotes/{ids['quote']}/accept", answer, user_tokens[n]
        ),
    )
    assert sorted(quote_statuses).count(303) == 1 and set(quote_statuses) <= {303, 409}

    session = {
        "id": "cs_twin",
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "amount_total": 20_000,
        "currency": "usd",
        "payment_intent": "pi_twin",
        "client_reference_id": str(ids["checkout"]),
        "metadata": {"checkout_id": str(ids["checkout"]), "company_id": str(ids["company"])},
    }
    payload = event_payload("checkout.session.completed", session, "evt_twin")
    webhook_statuses = _together(
        10,
        lambda n: _post(
            ports[n % 2],
            "/webhooks/stripe",
            payload.encode(),
            {"Content-Type": "application/json", "Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
        ),
    )
    assert webhook_statuses == [200] * 10

    with app.app_context():
        from fieldportal.extensions import db as database

        login_sessions = database.session.scalar(
            select(func.count(AuthSession.id)).where(
                AuthSession.contact_id == ids["contact"],
                AuthSession.method == SignInMethod.MAGIC_LINK,
            )
        )
        assert login_sessions == 10 + 1
        assert database.session.scalar(select(func.count(QuoteDecision.id))) == 1
        assert database.session.scalar(select(func.count(Payment.id))) == 1
        database.session.remove()


def test_a_dashboard_copy_in_one_process_ends_with_a_commit_in_the_other(
    app, committed_db, two_servers_sharing_a_page_cache
):
    db = committed_db
    company = factories.create_company(slug="twin")
    customer = factories.create_customer(company)
    contact = factories.create_contact(customer)
    job = factories.create_job(customer, title="Tyre rotation")
    quote = factories.create_quote(customer, status=QuoteStatus.SENT)
    fingerprint = quote_fingerprint(quote)
    token = _portal_session(app, db, contact)
    job_id, quote_id = job.id, quote.id
    db.session.commit()
    first, second = two_servers_sharing_a_page_cache
    cookie = _cookie({"_user_id": token, "_fresh": True, "csrf_token": CSRF_RAW})
    for _ in range(3):  # learn the company, then render and keep a copy
        status, page, cookie = _get(first, "/portal/twin/", cookie)
        assert status == 200 and "Tyre rotation" in page

    # Written behind the app's back (this test process has no PAGE_CACHE_URL): the copy
    # stays in use, which shows the first process really serves a copy.
    db.session.execute(
        text("UPDATE jobs SET title = 'Brake service' WHERE id = :id"), {"id": job_id}
    )
    db.session.commit()
    assert "Tyre rotation" in _get(first, "/portal/twin/", cookie)[1]

    # A real change through the second process ends the first process's copy at once.
    answer = {"signed_name": "Frank Delgado", "quote_sha256": fingerprint}
    assert _form_post(second, f"/portal/twin/quotes/{quote_id}/accept", answer, token) == 303
    assert "Brake service" in _get(first, "/portal/twin/", cookie)[1]
