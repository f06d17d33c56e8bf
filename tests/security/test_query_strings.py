"""Query strings are input too (QUALITY.md 32): every filter, sort and page parameter the
app reads, with values past any id, page or date, never gives a 500 on any GET page."""

import pytest

from tests.helpers import sign_in

from .walk import contact_by_email, fill, ids_of, owner_of, rules

# Every name the views read from request.args (grep "args.get"), and the form filters.
PARAMETERS = [
    "page", "status", "q", "kind", "customer_id", "job_id", "vehicle_id", "site_id",
    "asset_id", "technician_id", "job_type_id", "urgency", "sort", "dir", "from", "to",
    "state", "more", "asset_q", "recipient", "overdue",
]  # fmt: skip
AWKWARD = ["9" * 30, "-1", "0", "NAN", "²", "9999-12-31", "0000-00-00", "\u202e", "%00"]


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_query_values_never_give_a_500(app, demo, db, value):
    acme, _ = demo
    pages = []
    for principal, prefix in (
        (owner_of(db, acme), "operator."),
        (contact_by_email(db, "fleet@acme.example"), "portal."),
    ):
        client = app.test_client()
        sign_in(client, principal)
        customer_id = getattr(principal, "customer_id", None)
        for rule in rules(app, prefix):
            path = fill(rule, ids_of(db, acme, customer_id))
            if "GET" in rule.methods and path and not path.endswith((".pdf", ".ics")):
                pages.append((client, path))
    query = "&".join(f"{name}={value}" for name in PARAMETERS)
    failures = []
    for client, path in pages:
        response = client.get(f"{path}?{query}")
        if response.status_code >= 500:
            failures.append(path)
    assert not failures, f"500 with {value!r}: {failures}"
