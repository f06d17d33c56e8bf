"""Walk Flask's URL map: every route, as every kind of outsider (QUALITY.md 17, 18, 21).

- signed out: operator routes → 302 to /login?next=<the path> (htmx: 401 + HX-Redirect),
  portal routes → 302 to that company's portal sign-in, and only the routes listed in
  SIGNED_OUT answer anything else;
- a portal contact is signed out as far as the operator app is concerned;
- every unsafe method without a CSRF token → 400 (the Stripe webhook verifies a signature);
- staff of another company: every operator route naming an object → 404; portal pages
  send them to the portal sign-in;
- a contact of another customer or company: every portal route naming an object → 404;
- a contact without a tab's permission: every route of that tab → 404;
- staff of every role: every operator route whose capability the role lacks (by
  ROLE_CAPABILITIES) → 404, every GET it has → 200;
- every GET, signed out, as staff and as a contact, leaves every row unchanged.

Each test asserts that it walked every route it should, so a new route is either covered
by the generic rules or fails here until its expectation is written down.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from fieldportal.models import (
    Capability,
    Customer,
    CustomerKind,
    PortalPermission,
    StaffRole,
    StaffUser,
)
from fieldportal.models.capabilities import role_can
from tests.factories import create_contact
from tests.helpers import sign_in

from .walk import (
    HX,
    ID_MODELS,
    MISSING_ID,
    UNSAFE,
    contact_by_email,
    fill,
    ids_of,
    methods_of,
    owner_of,
    rules,
    snapshot,
)

CSRF_EXEMPT_ENDPOINTS = {
    "webhooks.stripe_webhook",  # verifies Stripe's signature instead
    "unsubscribe.confirm_unsubscribe",  # a mail app's one-click POST; the link is signed
}

# What a signed-out visitor gets from the routes that are not behind a sign-in.
SIGNED_OUT = {
    "auth.login": {"GET": 200},
    "auth.sign_in": {"POST": 422},
    "auth.forgot_password": {"GET": 200},
    "auth.request_password_reset": {"POST": 422},  # no address given
    "auth.reset_sent": {"GET": 200},
    "auth.reset_password": {"GET": 404},  # unknown token
    "auth.choose_new_password": {"POST": 404},
    # The step after the password: without a half-signed-in browser, back to sign-in.
    "auth.two_factor": {"GET": 303},
    "auth.sign_in_with_code": {"POST": 303},
    "auth.two_factor_setup": {"GET": 303},
    "auth.sign_in_by_enrolling": {"POST": 303},
    "auth.invitation": {"GET": 404},  # unknown token
    "auth.accept_invitation": {"POST": 404},
    "system.healthz": {"GET": 200},
    "webhooks.stripe_webhook": {"POST": 400},  # no signature
    "portal_token.open_fleet_portal": {"GET": 404},  # unknown token
    "portal.sign_in": {"GET": 200},
    "portal.logo": {"GET": 200},
    "portal.request_link": {"POST": 422},  # no address given
    "portal.password_sign_in": {"POST": 422},
    "portal.pin_sign_in": {"POST": 422},
    "portal.open_link": {"GET": 404},  # unknown token
    "portal.use_link": {"POST": 404},
    "portal.fresh_link": {"POST": 200},  # the same neutral answer for unknown links
    "unsubscribe.unsubscribe": {"GET": 404},  # unknown token
    "unsubscribe.confirm_unsubscribe": {"POST": 404},
    "signup.signup_page": {"GET": 200},
    "signup.propose": {"POST": 200},  # proposals for an empty form
    "signup.sign_up": {"POST": 422},  # nothing filled in
    "signup.sent": {"GET": 200},
    "signup.confirm": {"GET": 404},  # unknown token
    "signup.use_confirmation": {"POST": 404},
    "signup.fresh_confirmation": {"POST": 200},  # the same neutral answer for unknown links
    "signup.welcome": {"GET": 404},
    "signup.choose_password": {"POST": 404},
    "platform.login": {"GET": 200},
    "platform.sign_in": {"POST": 422},  # nothing filled in
    "platform.welcome": {"GET": 404},  # unknown token
    "platform.choose_password": {"POST": 404},  # unknown token
}
STAFF_SIGN_IN_REQUIRED = {"auth.logout"}

# Portal routes by the tab (first path segment) they belong to, and the permission it needs.
PERMISSION_OF_SECTION = {
    "jobs": PortalPermission.JOBS,
    "history": PortalPermission.HISTORY,
    "vehicles": PortalPermission.VEHICLES,
    "assets": PortalPermission.ASSETS,
    "quotes": PortalPermission.QUOTES,
    "invoices": PortalPermission.INVOICES,
    "statement.pdf": PortalPermission.INVOICES,
    "payments": PortalPermission.INVOICES,
    "reports": PortalPermission.REPORTS,
    "requests": PortalPermission.REQUESTS,
}
# Portal routes every signed-in principal may use, whatever its permissions.
PERMISSION_FREE = {
    "portal.dashboard",
    "portal.account",
    "portal.save_reminder_emails",
    "portal.choose_password",
    "portal.sign_out",
}

# The capability each operator route needs, written out here rather than read from the
# decorators: by the first path segment, and by rule where a route differs from its
# segment. None: every signed-in staff member. What each role then gets is derived from
# ROLE_CAPABILITIES, so changing that table changes these expectations.
CAPABILITY_OF_SECTION = {
    "": None,  # home
    "fleets": Capability.MANAGE_CUSTOMERS,
    "customers": Capability.MANAGE_CUSTOMERS,
    "contacts": Capability.MANAGE_CUSTOMERS,
    "sites": Capability.MANAGE_CUSTOMERS,
    "vehicles": Capability.MANAGE_CUSTOMERS,
    "assets": Capability.MANAGE_CUSTOMERS,
    "jobs": Capability.WORK_JOBS,
    "my-day": Capability.WORK_JOBS,
    "schedule": Capability.PLAN_JOBS,
    "requests": Capability.APPROVE_REQUESTS,
    "quotes": Capability.MANAGE_QUOTES,
    "invoices": Capability.MANAGE_INVOICES,
    "reports": Capability.WRITE_REPORTS,
    "outbox": Capability.MANAGE_OUTBOX,
    "settings": Capability.MANAGE_SETTINGS,
    "import": Capability.IMPORT_DATA,
    "payments": Capability.SEE_MONEY,
    "audit": Capability.READ_AUDIT_LOG,
    "view-as": None,  # leaving a preview
    "profile": None,  # your own name and password
}
_CONTACT = "/customers/<int:customer_id>/contacts/<int:contact_id>"
CAPABILITY_OF_RULE = {
    "/fleets/<int:customer_id>/portal": Capability.MANAGE_PORTAL_ACCESS,
    "/fleets/<int:customer_id>/portal-link/email": Capability.MANAGE_PORTAL_ACCESS,
    "/fleets/<int:customer_id>/portal-token": Capability.MANAGE_PORTAL_ACCESS,
    **{
        f"{_CONTACT}/{action}": Capability.MANAGE_PORTAL_ACCESS
        for action in (
            "access",
            "access/link",
            "access/activation",
            "access/pin",
            "access/password",
        )
        + ("access/end", "view-as")
    },
    "/customers/<int:customer_id>/statement.pdf": Capability.SEE_MONEY,
    "/customers/<int:customer_id>/data": Capability.CUSTOMER_DATA,
    "/customers/<int:customer_id>/data/export": Capability.CUSTOMER_DATA,
    "/customers/<int:customer_id>/erase": Capability.CUSTOMER_DATA,
    "/vehicles/<int:vehicle_id>/history.pdf": Capability.WORK_JOBS,
    "/jobs/new": Capability.PLAN_JOBS,
    "/jobs/<int:job_id>/edit": Capability.PLAN_JOBS,
    "/jobs/<int:job_id>/schedule": Capability.PLAN_JOBS,
    "/jobs/<int:job_id>/assign": Capability.PLAN_JOBS,
    "/invoices/<int:invoice_id>/send": Capability.SEND_INVOICES,
    "/invoices/<int:invoice_id>/payments": Capability.RECORD_PAYMENTS,
    "/reports/<int:report_id>/approve": Capability.APPROVE_REPORTS,
    "/reports/ageing": Capability.SEE_MONEY,
    "/settings/logo/<filename>": None,  # the logo every operator page shows
}


def _capability_of(rule) -> Capability | None:
    if rule.rule in CAPABILITY_OF_RULE:
        return CAPABILITY_OF_RULE[rule.rule]
    section = rule.rule.split("/")[1].split(".")[0]
    assert section in CAPABILITY_OF_SECTION, (
        f"{rule.rule}: say in CAPABILITY_OF_SECTION or CAPABILITY_OF_RULE what it needs"
    )
    return CAPABILITY_OF_SECTION[section]


def _endpoints(app, prefix: str | None = None, having=lambda rule: True) -> set[str]:
    return {rule.endpoint for rule in rules(app, prefix) if having(rule)}


def _names_an_object(rule) -> bool:
    return any(name.endswith("_id") or name == "filename" for name in rule.arguments)


def _has_get(rule) -> bool:
    return "GET" in rule.methods


def _has_unsafe_method(rule) -> bool:
    return bool(rule.methods & UNSAFE)


def _section(rule) -> str:
    """``invoices`` for /portal/<company_slug>/invoices/<int:invoice_id>."""
    return rule.rule.split("/")[3]


def _assert_known_id_arguments(rule):
    unknown = [n for n in rule.arguments if n.endswith("_id") and n not in ID_MODELS]
    assert not unknown, f"add {unknown} of {rule.rule} to ID_MODELS"


def _location(response) -> tuple[str, dict]:
    parts = urlsplit(response.headers.get("Location", ""))
    return parts.path, parse_qs(parts.query)


def _expect_sent_to_staff_sign_in(client, method, path, rule):
    response = client.open(path, method=method, data={})
    where = f"{method} {rule.rule}"
    assert response.status_code == 302, f"{where} signed out → {response.status_code}"
    target, query = _location(response)
    assert target == "/login", f"{where} → {target}"
    if method == "GET":
        assert query.get("next") == [path], f"{where}: next={query.get('next')}"
        fragment = client.open(path, method=method, headers=HX)
        assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith(
            "/login"
        ), f"htmx {where} signed out → {fragment.status_code}"


def _expect_sent_to_portal_sign_in(client, method, path, rule, company):
    response = client.open(path, method=method, data={})
    where = f"{method} {rule.rule}"
    assert response.status_code == 302, f"{where} → {response.status_code}"
    assert _location(response)[0] == f"/portal/{company.slug}/sign-in", where
    if method == "GET":
        fragment = client.open(path, method=method, headers=HX)
        assert fragment.status_code == 401, f"htmx {where} → {fragment.status_code}"
        assert fragment.headers["HX-Redirect"] == f"/portal/{company.slug}/sign-in"


def _expect_sent_to_platform_sign_in(client, method, path, rule):
    response = client.open(path, method=method, data={})
    where = f"{method} {rule.rule}"
    assert response.status_code == 302, f"{where} signed out → {response.status_code}"
    assert _location(response)[0] == "/platform/sign-in", where
    if method == "GET":
        fragment = client.open(path, method=method, headers=HX)
        assert fragment.status_code == 401, f"htmx {where} → {fragment.status_code}"
        assert fragment.headers["HX-Redirect"] == "/platform/sign-in"


def _expect_404_for_objects_of(app, client, prefix: str, ids: dict, owner: str) -> set[str]:
    """Every route of ``prefix`` naming an object, with ``owner``'s ids → 404, by every
    method, as a page and as htmx. Returns the endpoints walked."""
    walked = set()
    for rule in rules(app, prefix):
        if not _names_an_object(rule):
            continue
        _assert_known_id_arguments(rule)
        path = fill(rule, ids)
        for method in methods_of(rule):
            for headers in ({}, HX):
                response = client.open(path, method=method, data={}, headers=headers)
                assert response.status_code == 404, (
                    f"{method} {rule.rule} {headers} with {owner}'s ids → {response.status_code}"
                )
        walked.add(rule.endpoint)
    return walked


def test_every_unsafe_method_requires_csrf(app, client, demo, db):
    acme, _ = demo
    sign_in(client, owner_of(db, acme))
    values = ids_of(db, acme)
    walked = set()
    for rule in rules(app):
        if rule.endpoint in CSRF_EXEMPT_ENDPOINTS:
            continue
        path = fill(rule, values)
        assert path is not None, f"no test value for an argument of {rule.rule}"
        for method in sorted(rule.methods & UNSAFE):
            for headers in ({}, HX):
                response = client.open(
                    path, method=method, data={"x": "1"}, headers=headers, csrf=False
                )
                assert response.status_code == 400, (
                    f"{method} {rule.rule} {headers} without CSRF → {response.status_code}"
                )
            walked.add(rule.endpoint)
    assert walked == _endpoints(app, having=_has_unsafe_method) - CSRF_EXEMPT_ENDPOINTS


def test_signed_out_reaches_only_sign_in_pages_and_changes_nothing(app, client, demo, db):
    acme, _ = demo
    values = ids_of(db, acme)
    before = snapshot(db)
    walked = set()
    for rule in rules(app):
        path = fill(rule, values)
        for method in methods_of(rule):
            if rule.endpoint in SIGNED_OUT:
                status = client.open(path, method=method, data={}).status_code
                expected = SIGNED_OUT[rule.endpoint][method]
                assert status == expected, f"signed out {method} {rule.rule} → {status}"
            elif rule.endpoint.startswith("operator.") or rule.endpoint in STAFF_SIGN_IN_REQUIRED:
                _expect_sent_to_staff_sign_in(client, method, path, rule)
            elif rule.endpoint.startswith("portal."):
                _expect_sent_to_portal_sign_in(client, method, path, rule, acme)
            elif rule.endpoint.startswith("platform."):
                _expect_sent_to_platform_sign_in(client, method, path, rule)
            else:
                pytest.fail(f"{rule.endpoint}: say in SIGNED_OUT what a signed-out visitor gets")
            walked.add(rule.endpoint)
    assert walked == _endpoints(app)
    assert snapshot(db) == before


def test_portal_contact_is_signed_out_of_the_operator_app(app, client, demo, db):
    acme, _ = demo
    sign_in(client, contact_by_email(db, "fleet@acme.example"))
    values = ids_of(db, acme)
    walked = set()
    for rule in rules(app, "operator."):
        for method in methods_of(rule):
            _expect_sent_to_staff_sign_in(client, method, fill(rule, values), rule)
        walked.add(rule.endpoint)
    assert walked == _endpoints(app, "operator.")


def test_operator_routes_answer_404_for_another_companys_objects(app, client, demo, db):
    acme, northwind = demo
    sign_in(client, owner_of(db, acme))
    foreign = ids_of(db, northwind)
    assert foreign["filename"] != "x.png", "the demo companies have logos"
    walked = _expect_404_for_objects_of(app, client, "operator.", foreign, "another company")
    assert walked == _endpoints(app, "operator.", _names_an_object)


def test_staff_of_another_company_are_sent_to_the_portal_sign_in(app, client, demo, db):
    acme, northwind = demo
    sign_in(client, owner_of(db, northwind))
    values = ids_of(db, acme)
    walked = set()
    for rule in rules(app, "portal."):
        if rule.endpoint in SIGNED_OUT:
            continue
        for method in methods_of(rule):
            _expect_sent_to_portal_sign_in(client, method, fill(rule, values), rule, acme)
        walked.add(rule.endpoint)
    assert walked == _endpoints(app, "portal.") - set(SIGNED_OUT)


def test_portal_routes_answer_404_for_other_customers_and_companies(app, client, demo, db):
    acme, northwind = demo
    contact = contact_by_email(db, "fleet@acme.example")
    sign_in(client, contact)
    other_customer = db.session.scalar(
        select(Customer.id).where(
            Customer.company_id == acme.id,
            Customer.id != contact.customer_id,
            Customer.kind == CustomerKind.ACCOUNT,
        )
    )
    walked = set()
    for label, ids in (
        ("another customer", ids_of(db, acme, other_customer)),
        ("another company", ids_of(db, northwind)),
    ):
        ids = {**ids, "company_slug": acme.slug}
        walked |= _expect_404_for_objects_of(app, client, "portal.", ids, label)
    assert walked == _endpoints(app, "portal.", _names_an_object)


def test_contact_without_a_tabs_permission_gets_404_for_its_routes(app, client, demo, db):
    acme, _ = demo
    demo_contact = contact_by_email(db, "fleet@acme.example")
    customer = db.session.get(Customer, demo_contact.customer_id)
    contact = create_contact(customer, is_admin=False, permissions=[])
    sign_in(client, contact)
    own = ids_of(db, acme, customer.id)
    walked, proven = set(), set()
    for rule in rules(app, "portal."):
        if rule.endpoint in PERMISSION_FREE or rule.endpoint in SIGNED_OUT:
            continue
        permission = PERMISSION_OF_SECTION.get(_section(rule))
        assert permission is not None, (
            f"{rule.rule}: add its section to PERMISSION_OF_SECTION or it to PERMISSION_FREE"
        )
        path = fill(rule, own)
        for method in methods_of(rule):
            contact.permissions = [p.value for p in PortalPermission if p != permission]
            response = client.open(path, method=method, data={})
            assert response.status_code == 404, (
                f"{method} {rule.rule} without {permission} → {response.status_code}"
            )
            # The same request with the permission reaches the view: it was the permission.
            names_missing_object = MISSING_ID in [own.get(n) for n in rule.arguments]
            if method == "GET" and not names_missing_object:
                contact.permissions = [permission.value]
                allowed = client.get(path)
                assert allowed.status_code == 200, f"GET {rule.rule} with {permission}"
                proven.add(permission)
        walked.add(rule.endpoint)
    assert walked == _endpoints(app, "portal.") - PERMISSION_FREE - set(SIGNED_OUT)
    assert proven == set(PortalPermission)


def test_each_role_reaches_exactly_the_operator_routes_of_its_capabilities(app, client, demo, db):
    """As each role: a route needing a capability the role lacks → 404 by every method, as
    a page and as htmx; a GET of one it has opens (200 or a redirect), so the 404s are the
    role's."""
    acme, _ = demo
    ids = ids_of(db, acme)
    walked, capabilities_seen = set(), set()
    for role in StaffRole:
        staff = db.session.scalar(
            select(StaffUser).where(StaffUser.company_id == acme.id, StaffUser.role == role)
        )
        sign_in(client, staff)
        for rule in rules(app, "operator."):
            capability = _capability_of(rule)
            capabilities_seen.add(capability)
            allowed = capability is None or role_can(role, capability)
            path = fill(rule, ids)
            for method in methods_of(rule):
                where = f"{role} {method} {rule.rule} (needs {capability})"
                if not allowed:
                    for headers in ({}, HX):
                        response = client.open(path, method=method, data={}, headers=headers)
                        assert response.status_code == 404, f"{where} → {response.status_code}"
                elif method == "GET" and MISSING_ID not in [ids.get(n) for n in rule.arguments]:
                    response = client.get(path)  # a sent invoice's edit page redirects
                    assert response.status_code < 400, f"{where} → {response.status_code}"
            walked.add(rule.endpoint)
    assert walked == _endpoints(app, "operator.")
    assert capabilities_seen - {None} == set(Capability), "a capability no route needs"
    for role in StaffRole:
        assert any(role_can(role, c) for c in Capability), f"{role} can do nothing"


def test_gets_as_staff_and_contact_never_fail_and_change_nothing(app, client, demo, db):
    acme, _ = demo
    values = ids_of(db, acme, contact_by_email(db, "fleet@acme.example").customer_id)
    staff_values = ids_of(db, acme)
    before = snapshot(db)
    walked = set()
    for prefix, principal, ids in (
        ("operator.", owner_of(db, acme), staff_values),
        ("portal.", contact_by_email(db, "fleet@acme.example"), values),
    ):
        sign_in(client, principal)
        for rule in rules(app, prefix):
            if not _has_get(rule):
                continue
            path = fill(rule, ids)
            # Every operator list is also a CSV download (?format=csv); elsewhere it is ignored.
            variants = (path, f"{path}?format=csv&bom=1") if prefix == "operator." else (path,)
            for url in variants:
                for headers in ({}, HX):
                    response = client.get(url, headers=headers)
                    assert response.status_code < 500, (
                        f"GET {url} {headers} → {response.status_code}"
                    )
            walked.add(rule.endpoint)
    assert snapshot(db) == before
    assert walked == _endpoints(app, "operator.", _has_get) | _endpoints(app, "portal.", _has_get)


# What a fleet-token viewer (the fleet's read-only link) may open, by portal section: the
# work on its vehicles. Money (quotes, invoices, payments, statement), reports, requests,
# assets and choosing a password are refused. Written out, not derived from the code.
FLEET_TOKEN_SECTIONS = {"jobs": True, "history": True, "vehicles": True}
FLEET_TOKEN_FREE = {"portal.dashboard": True, "portal.account": True, "portal.sign_out": True}
FLEET_TOKEN_REFUSED_FREE = {"portal.choose_password", "portal.save_reminder_emails"}


def test_fleet_token_viewer_is_refused_every_money_tab_and_route(app, client, demo, db):
    """Every portal route with the fleet's own ids: allowed → 200 (sign-out 303), refused
    → 404 by every method; each refused GET opens for the fleet's own admin contact, so
    the refusal is the fleet link's and not a missing object or a company setting."""
    acme, _ = demo
    admin = contact_by_email(db, "fleet@acme.example")
    fleet = db.session.get(Customer, admin.customer_id)
    assert fleet.kind == CustomerKind.FLEET and fleet.portal_token_hash
    own = ids_of(db, acme, fleet.id)
    as_admin = app.test_client()
    sign_in(as_admin, admin)
    walked, refused_sections = set(), set()
    for rule in rules(app, "portal."):
        if rule.endpoint in SIGNED_OUT:
            continue
        if rule.endpoint in FLEET_TOKEN_FREE or rule.endpoint in FLEET_TOKEN_REFUSED_FREE:
            allowed = rule.endpoint in FLEET_TOKEN_FREE
        else:
            section = _section(rule)
            assert section in PERMISSION_OF_SECTION, f"{rule.rule}: say what a fleet link gets"
            allowed = FLEET_TOKEN_SECTIONS.get(section, False)
            if not allowed:
                refused_sections.add(section)
        path = fill(rule, own)
        for method in methods_of(rule):
            sign_in(client, fleet)  # afresh each time: sign-out ends the session
            response = client.open(path, method=method, data={})
            where = f"fleet link {method} {rule.rule}"
            if not allowed:
                assert response.status_code == 404, f"{where} → {response.status_code}"
                if method == "GET" and MISSING_ID not in [own.get(n) for n in rule.arguments]:
                    if rule.endpoint not in FLEET_TOKEN_REFUSED_FREE:
                        assert as_admin.get(path).status_code == 200, f"admin GET {rule.rule}"
            elif rule.endpoint == "portal.sign_out":
                assert response.status_code == 303, f"{where} → {response.status_code}"
            else:
                assert method == "GET" and MISSING_ID not in [own.get(n) for n in rule.arguments]
                assert response.status_code == 200, f"{where} → {response.status_code}"
        walked.add(rule.endpoint)
    assert walked == _endpoints(app, "portal.") - set(SIGNED_OUT)
    money = {"quotes", "invoices", "payments", "statement.pdf"}
    assert money <= refused_sections


# /platform: the installation's administration. A platform admin is not a staff user: no
# staff or contact session reaches any of it (404); a platform session whose second factor
# is not checked reaches only the second-factor step; a full one opens every GET, and no
# GET changes a row.
PLATFORM_SECOND_FACTOR = {
    "platform.two_factor": {"GET": 200},
    "platform.check_code": {"POST": 422},
    "platform.start_enrolment": {"POST": 409},  # the password alone cannot set it up
    "platform.confirm_enrolment": {"POST": 422},  # no code (with one: 409, as above)
    "platform.sign_out": {"POST": 303},
}


def _platform_rules(app):
    return [rule for rule in rules(app, "platform.") if rule.endpoint not in SIGNED_OUT]


def test_no_staff_or_contact_session_reaches_platform(app, client, demo, db):
    acme, _ = demo
    values = ids_of(db, acme)
    walked = set()
    for principal in (owner_of(db, acme), contact_by_email(db, "fleet@acme.example")):
        sign_in(client, principal)
        for rule in _platform_rules(app):
            for method in methods_of(rule):
                for headers in ({}, HX):
                    response = client.open(
                        fill(rule, values), method=method, data={}, headers=headers
                    )
                    assert response.status_code == 404, (
                        f"{principal} {method} {rule.rule} {headers} → {response.status_code}"
                    )
            walked.add(rule.endpoint)
    assert walked == _endpoints(app, "platform.") - set(SIGNED_OUT)
    assert acme.suspended_at is None


def test_platform_needs_the_second_factor_then_opens_every_get_changing_nothing(
    app, client, demo, db
):
    from tests.factories import create_platform_admin
    from tests.platform.helpers import platform_sign_in

    acme, _ = demo
    values = ids_of(db, acme)
    admin = create_platform_admin()
    walked = set()
    for rule in _platform_rules(app):
        for method in methods_of(rule):
            platform_sign_in(client, admin, two_factor_passed=False)  # afresh: sign-out ends it
            response = client.open(fill(rule, values), method=method, data={})
            where = f"{method} {rule.rule} before the second factor"
            if rule.endpoint in PLATFORM_SECOND_FACTOR:
                expected = PLATFORM_SECOND_FACTOR[rule.endpoint][method]
                assert response.status_code == expected, f"{where} → {response.status_code}"
            else:
                assert response.status_code == 302, f"{where} → {response.status_code}"
                assert _location(response)[0] == "/platform/two-factor", where
        walked.add(rule.endpoint)
    assert walked == _endpoints(app, "platform.") - set(SIGNED_OUT)

    platform_sign_in(client, admin)
    before = snapshot(db)
    for rule in _platform_rules(app):
        if _has_get(rule) and rule.endpoint not in PLATFORM_SECOND_FACTOR:
            for headers in ({}, HX):
                response = client.get(fill(rule, values), headers=headers)
                assert response.status_code == 200, f"GET {rule.rule} {headers}"
    assert snapshot(db) == before
