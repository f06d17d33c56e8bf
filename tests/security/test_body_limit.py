"""One limit on request bodies, on every route (QUALITY.md 31): over 10 MB → 413 and a
page that says the limit, whether the body has a length or comes in chunks, is a form or
not; the page wears the look of where it was sent (the company's portal, the operator
app, the sign-in page); htmx gets a message it shows above the form. Up to the limit,
routes answer as usual."""

import http.client
import threading

import pytest
from werkzeug.serving import make_server

from tests.helpers import sign_in, text_of

from .walk import HX, UNSAFE, contact_by_email, fill, ids_of, owner_of, rules, snapshot

MEGABYTE = 1024 * 1024
LIMIT = 10 * MEGABYTE
MESSAGE = "What you sent is larger than 10 MB, the most we accept at once."


class Zeros:
    """A body of ``size`` zero bytes, read in pieces like a socket (no length known)."""

    def __init__(self, size: int):
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        self.left -= size
        return b"\0" * size


def in_chunks(size: int, content_type: str = "application/octet-stream") -> dict:
    """Request options for a body sent in chunks: no Content-Length, and the stream as a
    server that dechunks it (Werkzeug's, gunicorn) hands it to the app."""
    return {
        "content_type": content_type,
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input": Zeros(size), "wsgi.input_terminated": True},
    }


def _clients(app, db, acme):
    """Each route posted to as who would use it: staff, a portal contact, or nobody."""
    staff, contact = app.test_client(), app.test_client()
    sign_in(staff, owner_of(db, acme))
    sign_in(contact, contact_by_email(db, "fleet@acme.example"))
    nobody = app.test_client()

    def client_for(rule):
        if rule.endpoint.startswith("operator.") or rule.endpoint == "auth.logout":
            return staff
        if rule.endpoint.startswith("portal."):
            return contact
        return nobody

    return client_for


def _unsafe_routes(app, db, acme):
    values = ids_of(db, acme)
    for rule in rules(app):
        for method in sorted(rule.methods & UNSAFE):
            path = fill(rule, values)
            assert path is not None, f"no test value for an argument of {rule.rule}"
            yield rule, method, path


BODIES = {
    "multipart form with an 11 MB file": lambda: {
        "data": {"description": "x", "file": (Zeros(11 * MEGABYTE), "big.jpg")},
        "content_type": "multipart/form-data",
    },
    "urlencoded form with an 11 MB field": lambda: {"data": {"description": "x" * 11 * MEGABYTE}},
    "11 MB raw body": lambda: {
        "data": b"\0" * (11 * MEGABYTE),
        "content_type": "application/octet-stream",
    },
    "11 MB in chunks, no Content-Length": lambda: in_chunks(11 * MEGABYTE),
    "11 MB multipart form in chunks": lambda: in_chunks(11 * MEGABYTE, "multipart/form-data"),
}


@pytest.mark.parametrize("body", sorted(BODIES))
def test_every_unsafe_route_answers_413_over_the_limit_and_changes_nothing(app, demo, db, body):
    acme, _ = demo
    client_for = _clients(app, db, acme)
    before = snapshot(db)
    walked = set()
    for rule, method, path in _unsafe_routes(app, db, acme):
        response = client_for(rule).open(path, method=method, **BODIES[body]())
        assert response.status_code == 413, f"{method} {rule.rule}: {response.status_code}"
        assert MESSAGE in text_of(response), f"{method} {rule.rule}"
        walked.add(rule.endpoint)
    assert len(walked) > 40  # the whole map, not a lucky few
    assert snapshot(db) == before


def test_a_chunked_body_of_exactly_the_limit_is_read_whole(app, db, owner):
    client = app.test_client()
    sign_in(client, owner)
    exactly = in_chunks(LIMIT)
    response = client.post("/login", **exactly)
    assert response.status_code == 302  # signed in already: on to the start page
    assert exactly["environ_overrides"]["wsgi.input"].left == 0
    assert client.post("/login", **in_chunks(LIMIT + 1)).status_code == 413


def test_forms_keep_the_same_limit_for_text_fields_and_cap_their_parts(staff_client, company):
    # Werkzeug's own default would refuse a 500 kB text field with a 413 saying nothing
    # of why; under the one limit it reaches the form, which answers for itself.
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (Zeros(10), "logo.png"), "note": "x" * MEGABYTE},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    parts = {f"field{n}": "x" for n in range(1001)}
    response = staff_client.post("/settings", data=parts, content_type="multipart/form-data")
    assert response.status_code == 413
    assert MESSAGE in text_of(response)


def test_the_413_page_in_the_operator_app_keeps_its_look(staff_client, company):
    response = staff_client.post(
        "/settings/logo",
        data={"logo": (Zeros(11 * MEGABYTE), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert 'class="operator"' in html and 'aria-label="Main"' in html
    text = text_of(response)
    assert "Too large" in text and MESSAGE in text and "Sign out" in text
    assert company.name in text


def test_the_413_page_signed_out_has_the_sign_in_look(client, company):
    response = client.post("/login", data={"email": "x" * 11 * MEGABYTE})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert 'class="portal"' not in html and 'class="operator"' not in html
    assert MESSAGE in text_of(response) and 'href="/"' in html


def test_htmx_gets_the_message_above_the_form_not_instead_of_it(staff_client, company):
    response = staff_client.post("/settings", data={"name": "x" * 11 * MEGABYTE}, headers=HX)
    assert response.status_code == 413
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.headers["HX-Reswap"] == "innerHTML"
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'role="alert"' in html
    assert MESSAGE in text_of(response)


@pytest.fixture
def live(app):
    """The app behind Werkzeug's real HTTP server (which dechunks request bodies)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def _post_in_chunks(port: int, size: int) -> int:
    def pieces():
        left = size
        while left:
            piece = min(left, 64 * 1024)
            left -= piece
            yield b"\0" * piece

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/webhooks/stripe",
        body=pieces(),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    status = connection.getresponse().status
    connection.close()
    return status


def test_a_real_server_refuses_a_chunked_body_over_the_limit(live):
    assert _post_in_chunks(live, 9 * MEGABYTE) == 400  # read whole: no Stripe signature
    assert _post_in_chunks(live, 11 * MEGABYTE) == 413
