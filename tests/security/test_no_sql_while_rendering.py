"""Templates show what they were given; they never query (DESIGN.md "Templates").

Every operator and portal page is opened over the demo data — every GET route of the URL
map with real ids, as a page and as htmx, the pages the browser journeys visit, and the
lists' sorts, filters and later pages — by staff, a portal contact and a fleet link, and no
SQL statement may run while a template renders: between Flask's ``before_render_template``
and ``template_rendered`` signals. Loading the signed-in user (before the view) and the
commit point (after the response is made) are outside that window.
"""

from contextlib import contextmanager

from flask import before_render_template, render_template_string, request_started, template_rendered
from sqlalchemy import event, select, text

from fieldportal.demo_data import build_demo_data
from fieldportal.extensions import db
from fieldportal.models import Company, Customer
from tests.helpers import sign_in
from tests.pages import operator_pages, portal_pages

from .walk import HX, contact_by_email, fill, ids_of, owner_of, rules

# Lists with their sorts, filters and a later page: each is its own query.
OPERATOR_LISTS = [
    "/jobs?sort=number&dir=asc",
    "/jobs?sort=customer",
    "/jobs?sort=status&dir=desc",
    "/jobs?status=completed&page=2",
    "/fleets?sort=overdue&dir=desc",
    "/fleets?sort=next_job",
    "/fleets?overdue=1",
    "/customers?kind=fleet",
    "/customers?page=2",
    "/requests?status=all",
    "/requests?status=approved",
    "/invoices",
    "/invoices?status=overdue",
]
# A request's session begins its transaction with a savepoint in tests: not a query.
SESSION_STATEMENTS = ("SAVEPOINT", "RELEASE", "ROLLBACK")
PORTAL_LISTS = ["history?more=1", "requests?page=2", "invoices?status=paid"]


@contextmanager
def statements_while_rendering(app):
    """Yields a list that fills with (template, statement) for each SQL statement run while
    a template of ``app`` renders."""
    rendering: list[str] = []
    seen: list[tuple[str, str]] = []

    def started(sender, template, context, **extra):
        rendering.append(template.name or "<string>")

    def finished(sender, template, context, **extra):
        rendering.pop()

    def new_request(sender, **extra):
        rendering.clear()  # a template that raised never sent template_rendered

    def executed(conn, cursor, statement, parameters, context, executemany):
        if rendering and not statement.lstrip().upper().startswith(SESSION_STATEMENTS):
            seen.append((rendering[-1], " ".join(statement.split())[:300]))

    before_render_template.connect(started, app)

    template_rendered.connect(finished, app)
    request_started.connect(new_request, app)
    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
        request_started.disconnect(new_request, app)
        template_rendered.disconnect(finished, app)
        before_render_template.disconnect(started, app)


def _open_all(client, paths, seen) -> dict[str, list]:
    """GET each path as a page and as htmx; the statements each ran while rendering."""
    found = {}
    for path in paths:
        for headers in ({}, HX):
            before = len(seen)
            response = client.get(path, headers=headers)
            assert response.status_code < 500, (path, headers, response.status_code)
            if len(seen) > before:
                found[f"{path} {'htmx' if headers else 'page'}"] = seen[before:]
    return found


def _get_routes(app, prefix, ids) -> list[str]:
    return [fill(rule, ids) for rule in rules(app, prefix) if "GET" in rule.methods]


def _report(found: dict) -> str:
    return "\n".join(
        f"{page}: {template}: {statement}"
        for page, statements in found.items()
        for template, statement in statements
    )


def test_no_page_runs_sql_while_its_template_renders(app, db):
    build_demo_data(scale="small", seed=1, echo=lambda *_: None)  # the journeys' data
    acme = db.session.scalar(select(Company).where(Company.slug == "acme"))
    contact = contact_by_email(db, "fleet@acme.example")
    fleet = db.session.get(Customer, contact.customer_id)
    base = f"/portal/{acme.slug}"

    found = {}
    with statements_while_rendering(app) as seen:
        signed_out = app.test_client()
        found |= _open_all(signed_out, ["/login", f"{base}/sign-in"], seen)
        # "Check your email" (and the email in the outbox the operator pages open).
        sent = signed_out.post(f"{base}/sign-in/link", data={"email": contact.email})
        assert sent.status_code == 200
        if seen:
            found[f"POST {base}/sign-in/link"] = list(seen)

        staff_pages = [
            *_get_routes(app, "operator.", ids_of(db, acme)),
            *operator_pages(db, acme),
            *OPERATOR_LISTS,
        ]
        staff = app.test_client()
        sign_in(staff, owner_of(db, acme))
        found |= _open_all(staff, staff_pages, seen)

        customer_pages = [
            *_get_routes(app, "portal.", ids_of(db, acme, fleet.id)),
            *portal_pages(db, acme, contact),
            *(f"{base}/{tab}" for tab in PORTAL_LISTS),
        ]
        customer = app.test_client()
        sign_in(customer, contact)
        found |= _open_all(customer, customer_pages, seen)

        fleet_link = app.test_client()
        sign_in(fleet_link, fleet)
        found |= _open_all(fleet_link, [f"{base}/", f"{base}/jobs", f"{base}/history"], seen)

    assert len(staff_pages) > 60 and len(customer_pages) > 30  # the walk reached the pages
    assert found == {}, "SQL while rendering:\n" + _report(found)


def test_the_watch_sees_a_template_that_queries(app, db):
    """The control: a template calling something that queries is caught, and a query
    before rendering is not."""
    with app.test_request_context("/"), statements_while_rendering(app) as seen:
        db.session.execute(select(1))
        html = render_template_string(
            "{{ ask() }}", ask=lambda: db.session.scalar(text("SELECT 42"))
        )
    assert html == "42"
    assert seen == [("<string>", "SELECT 42")]
