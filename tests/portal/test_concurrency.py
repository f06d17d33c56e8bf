"""Single use under load (QUALITY.md 4), on PostgreSQL with real commits."""

import threading

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db as _db
from fieldportal.extensions import limiter
from fieldportal.models import AuthSession
from fieldportal.services.portal.portal_auth import issue_login_link
from tests import factories


@pytest.mark.postgres_only
def test_fifty_concurrent_posts_of_one_link_give_exactly_one_session(app, committed_db):
    company = factories.create_company(slug="race")
    contact = factories.create_contact(factories.create_customer(company))
    with app.test_request_context():
        token = issue_login_link(contact)
    committed_db.session.commit()
    committed_db.session.remove()

    statuses = []
    start = threading.Barrier(50)

    def attempt():
        client = app.test_client()
        start.wait()
        statuses.append(client.post(f"/portal/race/link/{token}").status_code)

    # All fifty come from one address: switch the per-IP throttle off so every one of them
    # reaches the single-use UPDATE.
    limiter.enabled = False
    try:
        threads = [threading.Thread(target=attempt) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        limiter.enabled = True
    assert sorted(statuses).count(303) == 1
    assert set(statuses) <= {303, 410}
    with app.app_context():
        assert _db.session.scalar(select(func.count(AuthSession.id))) == 1
        _db.session.remove()
