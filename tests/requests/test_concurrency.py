"""Two (or ten) staff deciding one request at once: exactly one decision, one job."""

import threading

import pytest
from sqlalchemy import func, select

from fieldportal.extensions import db
from fieldportal.models import (
    Job,
    OutboxEmail,
    RequestStatus,
    ServiceRequest,
    StaffRole,
)
from tests import factories
from tests.helpers import sign_in, text_of

THREADS = 10


@pytest.mark.postgres_only
def test_concurrent_decisions_over_http_make_exactly_one_job(app, committed_db):
    company = factories.create_company(slug="race", name="Race Co")
    customer = factories.create_customer(company, name="Racer")
    factories.create_contact(customer, email="racer@example.test")
    request_id = factories.create_request(customer).id
    staff = [
        factories.create_staff(company, StaffRole.DISPATCHER, name=f"Staff {n}")
        for n in range(THREADS)
    ]
    clients = []
    for member in staff:
        client = app.test_client()
        sign_in(client, member)
        clients.append(client)
    db.session.commit()

    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str]] = [None] * THREADS

    def decide(index: int) -> None:
        client = clients[index]
        barrier.wait()
        if index % 2:
            response = client.post(
                f"/requests/{request_id}/approve", data={}, headers={"HX-Request": "true"}
            )
        else:
            response = client.post(
                f"/requests/{request_id}/decline",
                data={"reason": "Busy"},
                headers={"HX-Request": "true"},
            )
        results[index] = (response.status_code, text_of(response))

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (THREADS - 1), results
    db.session.expire_all()
    decided = db.session.get(ServiceRequest, request_id)
    assert decided.status != RequestStatus.PENDING
    winner = decided.decided_by.name
    for status, text in results:
        if status == 409:
            assert f"already {decided.status.value} by {winner}" in text
    jobs = db.session.scalar(select(func.count(Job.id)).where(Job.customer_id == customer.id))
    assert jobs == (1 if decided.status == RequestStatus.APPROVED else 0)
    emails = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.related_id == request_id)
    )
    assert emails == 1
