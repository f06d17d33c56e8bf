"""Random text into every field of every form our pages render never gives a 500
(QUALITY.md 32).

The forms are not listed by hand: the test opens every page (signed out, as the owner,
as a portal contact, in "view as customer", with Stripe configured) plus the pages that
show a form only in some state (_state_pages), reads each <form method=post> and its
fields, and posts hypothesis-chosen values into every field with a valid CSRF token as the
user who saw the form. Every route accepting POST must have been found this way, or be
listed in NOT_A_FORM with the reason.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fieldportal.extensions import db as _db
from fieldportal.models import (
    AuthSession,
    Contact,
    Customer,
    CustomerKind,
    ImportKind,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    LoginLink,
    OutboxEmail,
    OutboxStatus,
    PlatformAdmin,
    Quote,
    QuoteStatus,
    Report,
    ReportStatus,
    SetupLink,
    SignInMethod,
    SignInStep,
    StaffRole,
    StaffUser,
    utcnow,
)
from fieldportal.services import staff_invites
from fieldportal.services.auth import staff_auth
from fieldportal.services.auth.tokens import new_token, token_hash
from fieldportal.services.clock import company_today, day_bounds_utc
from fieldportal.services.data_import import uploads
from fieldportal.services.portal.portal_auth import issue_login_link, send_login_link
from tests.billing.stripe_standin import StripeStandIn
from tests.factories import create_platform_admin
from tests.helpers import sign_in
from tests.platform.helpers import enrol, platform_sign_in
from tests.staff.test_two_factor_sign_in import _with_two_factor

from .forms import Form, forms_on
from .walk import HX, contact_by_email, fill, ids_of, owner_of, rules

NOT_A_FORM = {
    # A JSON body signed by Stripe; tests/billing/test_stripe.py sends it bad bodies.
    "webhooks.stripe_webhook",
    # Reached only by a signed link in a reminder email; a button, no fields
    # (tests/email/test_reminders.py posts it).
    "unsubscribe.confirm_unsubscribe",
}
# Values that broke parsers elsewhere: not-a-numbers, huge and negative numbers, impossible
# and extreme dates, NUL, control and right-to-left characters, markup, very long text.
AWKWARD = [
    "",
    " ",
    "NAN",
    "nan",
    "inf",
    "-Infinity",
    "1E100",
    "1e-100",
    "-1",
    "-0",
    "0",
    "99999999999999999999999",
    "1.005",
    "12,50",
    "١٢٣",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "2024-02-30",
    "9999-12-31T23:59",
    "0000-00-00T00:00",
    "25:61",
    "a\x00b",
    "\u202eevil",
    "line\r\nbreak",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "' OR 1=1 --",
    "%s%n",
    "😀" * 50,
    "x" * 20_000,
]
# Values a form might accept, so that some examples get past validation.
PLAUSIBLE = [
    "1",
    "12.50",
    "Oil change",
    "someone@example.com",
    "2030-01-15",
    "2030-01-15T09:00",
    "09:00",
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
S = JobStatus
NOT_REACHED = {302, 401, 403, 404, 405}  # sent to sign in, refused, or not found


def _state_pages(db, company) -> list[str]:
    """Pages that show a form only for an object in some state."""

    def first(model, *conditions):
        query = select(model.id).where(model.company_id == company.id, *conditions)
        return db.session.scalar(query.order_by(model.id).limit(1))

    contact = contact_by_email(db, f"fleet@{company.slug}.example")
    send_login_link(contact)
    failed = db.session.scalar(select(OutboxEmail).order_by(OutboxEmail.id.desc()))
    failed.status = OutboxStatus.FAILED
    upload = uploads.store(
        company,
        by=owner_of(db, company),
        kind=ImportKind.CUSTOMERS,
        filename="customers.csv",
        data=b"name\nA new customer\n",
    )
    # An open invitation: the staff page shows its Resend and Revoke forms.
    staff_invites.invite(
        company,
        by=owner_of(db, company),
        email="invited@new-hire.example",
        role=StaffRole.TECHNICIAN,
    )
    return [
        _my_day_with_both_forms(db, company),
        f"/schedule/jobs/{first(Job, Job.status == JobStatus.UNSCHEDULED)}",
        "/settings/staff",
        f"/customers/{first(Customer, Customer.kind == CustomerKind.CONSUMER)}",
        f"/jobs/new?customer_id={contact.customer_id}",
        f"/invoices/{first(Invoice, Invoice.status == InvoiceStatus.DRAFT)}/edit",
        f"/quotes/{first(Quote, Quote.status == QuoteStatus.DRAFT)}/edit",
        f"/quotes/{first(Quote, Quote.status == QuoteStatus.ACCEPTED)}",
        f"/reports/{first(Report, Report.status == ReportStatus.DRAFT)}",
        f"/reports/{first(Report, Report.status == ReportStatus.DRAFT)}/edit",
        f"/outbox/{failed.id}",
        f"/customers/{contact.customer_id}/contacts/{contact.id}/access",
        f"/import/uploads/{upload.id}",
    ]


def _my_day_with_both_forms(db, company) -> str:
    """My day with two of today's jobs given to the owner: one offering On my way, one in
    progress offering the completion form."""
    owner = owner_of(db, company)
    start = day_bounds_utc(company, company_today(company))[0] + timedelta(hours=9)
    query = select(Job).where(Job.company_id == company.id, Job.status == JobStatus.SCHEDULED)
    two = db.session.scalars(query.limit(2)).all()
    for job, status in zip(two, (S.ASSIGNED, S.IN_PROGRESS), strict=True):
        job.technician_id, job.status = owner.id, status
        job.window_start, job.window_end = start, start + timedelta(hours=1)
    db.session.flush()
    return "/my-day"


def _link_pages(db, company, contact: Contact) -> list[str]:
    """A live sign-in link's page (its POST signs in) and a used one's ("send a new one")."""
    used = issue_login_link(contact)
    db.session.flush()
    db.session.scalar(select(LoginLink).order_by(LoginLink.id.desc())).expires_at -= timedelta(
        days=1
    )
    live = issue_login_link(contact)
    return [f"/portal/{company.slug}/link/{live}", f"/portal/{company.slug}/link/{used}"]


def _setup_pages(db, create) -> list[str]:
    """Sign-up, a sign-up's confirmation link (its POST confirms), an expired one ("send
    a new one"), a first owner's set-password link, a password reset link and a staff
    invitation."""
    from fieldportal.models import SetupPurpose
    from fieldportal.services.companies import links

    company = create.company(slug="pending-co", live_at=None)
    owner = create.staff(company, email="pending@pending.example", active=False)
    expired = links.issue(SetupPurpose.CONFIRM_SIGNUP, owner)
    db.session.flush()
    db.session.scalars(select(SetupLink)).first().expires_at -= timedelta(days=3)
    live = links.issue(SetupPurpose.CONFIRM_SIGNUP, owner)
    welcome = links.issue(SetupPurpose.OWNER_PASSWORD, owner)
    reset = links.issue(SetupPurpose.PASSWORD_RESET, owner)
    invited = create.staff(company, email="ines@pending.example", active=False)
    invited.invited_at = owner.created_at
    invite = links.issue(SetupPurpose.STAFF_INVITE, invited)
    return [
        "/signup",
        f"/signup/confirm/{live}",
        f"/signup/confirm/{expired}",
        f"/welcome/{welcome}",
        f"/password/reset/{reset}",
        f"/invite/{invite}",
    ]


@pytest.fixture
def stripe_on(app, monkeypatch):
    standin = StripeStandIn().start()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_standin")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    yield
    standin.stop()


@dataclass(frozen=True)
class HalfSignedIn:
    """A browser whose password was right, at the two-factor ``step`` of signing in."""

    staff: StaffUser
    step: SignInStep


@dataclass(frozen=True)
class PlatformVisitor:
    """A platform admin's browser at one step: before or after the second factor, in a
    session opened by a set-password link or by the password."""

    admin: PlatformAdmin
    two_factor_passed: bool = True
    via_link: bool = False


def _client(app, principal=None):
    """A new client, signed in as ``principal`` (or half signed in) unless it is None."""
    client = app.test_client()
    if isinstance(principal, HalfSignedIn):
        token = new_token()
        _db.session.add(
            AuthSession(
                token_hash=token_hash(token),
                method=SignInMethod.STAFF_PASSWORD,
                company_id=principal.staff.company_id,
                staff_user_id=principal.staff.id,
                awaiting=principal.step,
                expires_at=utcnow() + timedelta(minutes=10),
            )
        )
        _db.session.flush()
        with client.session_transaction() as session:
            session["half_signed_in"] = token
    elif isinstance(principal, PlatformVisitor):
        platform_sign_in(
            client,
            principal.admin,
            two_factor_passed=principal.two_factor_passed,
            via_link=principal.via_link,
        )
    elif principal is not None:
        sign_in(client, principal)
    return client


def _two_factor_principals(db, company, create) -> dict:
    """Staff in each two-factor state whose forms only then show: setting it up (from the
    profile, and half signed in when the company requires it), and with it on (the profile's
    turn-off and new-codes forms, and the code step of signing in)."""
    enrolling = create.staff(company, StaffRole.DISPATCHER, email="enrolling@acme.example")
    staff_auth.start_enrolment(enrolling)
    on = create.staff(company, StaffRole.DISPATCHER, email="two-factor@acme.example")
    _with_two_factor(db, on)
    return {
        "enrolling": enrolling,
        "two_factor_on": on,
        "enrolling_half": HalfSignedIn(enrolling, SignInStep.ENROL),
        "code_half": HalfSignedIn(on, SignInStep.CODE),
    }


def _platform_visitors(db, create) -> tuple[dict, list[str], list[str]]:
    """The platform admins' browsers at each step, the pages each shows its forms on
    (a suspended company's has "Resume"), and the pages a signed-out visitor has."""
    from fieldportal.services.auth import two_factor
    from fieldportal.services.platform import accounts

    enrolled, newcomer, enrolling = (create_platform_admin() for _ in range(3))
    enrol(enrolled)
    two_factor.start_enrolment(enrolling, account_name=enrolling.email, issuer="test")
    suspended = create.company(slug="suspended-co", suspended_at=utcnow())
    link = accounts.password_link(newcomer)
    visitors = {
        "platform": PlatformVisitor(enrolled),
        "platform code": PlatformVisitor(enrolled, two_factor_passed=False),
        "platform enrol": PlatformVisitor(newcomer, two_factor_passed=False, via_link=True),
        "platform confirm": PlatformVisitor(enrolling, two_factor_passed=False, via_link=True),
    }
    signed_out = ["/platform/sign-in", link.removeprefix("https://portal.example.test")]
    return visitors, [f"/platform/companies/{suspended.id}"], signed_out


@pytest.fixture
def discovered(app, demo, db, create, stripe_on):
    """{endpoint: (the user who saw the form or None, the form)} for every form found."""
    acme, _ = demo
    adapter = app.url_map.bind("localhost")
    contact = contact_by_email(db, "fleet@acme.example")
    platform, platform_pages, platform_signed_out = _platform_visitors(db, create)
    principals = {
        "anonymous": None,
        "contact": contact,
        "staff": owner_of(db, acme),
        **platform,
    }
    principals |= _two_factor_principals(db, acme, create)
    clients = {who: _client(app, principal) for who, principal in principals.items()}
    found: dict = {}

    def read(who: str, pages):
        for page in pages:
            response = clients[who].get(page)
            if response.mimetype != "text/html":
                continue
            for form in forms_on(page, response.get_data(as_text=True)):
                endpoint, _ = adapter.match(form.action.split("?")[0], method="POST")
                found.setdefault(endpoint, (principals[who], form))

    def html_pages(prefix, ids):
        for rule in rules(app, prefix):
            if "GET" in rule.methods and not rule.rule.endswith((".pdf", ".ics", "thumb>")):
                path = fill(rule, ids)
                if path is not None:  # a link page: _setup_pages has it with a real token
                    yield path

    read("anonymous", [*html_pages("auth.", {}), f"/portal/{acme.slug}/sign-in"])
    read("anonymous", _link_pages(db, acme, contact))
    read("anonymous", _setup_pages(db, create))
    read("contact", html_pages("portal.", ids_of(db, acme, contact.customer_id)))
    read("staff", [*html_pages("operator.", ids_of(db, acme)), *_state_pages(db, acme)])
    read("enrolling", ["/profile/two-factor"])
    read("two_factor_on", ["/profile"])
    read("enrolling_half", ["/login/two-factor"])
    read("code_half", ["/login/code"])
    with clients["staff"].session_transaction() as session:
        session["view_as_contact_id"] = contact.id
    read("staff", [f"/portal/{acme.slug}/"])
    with clients["staff"].session_transaction() as session:
        session.pop("view_as_contact_id")
    read("anonymous", platform_signed_out)
    read("platform", [*html_pages("platform.", ids_of(db, acme)), *platform_pages])
    for step in ("platform code", "platform enrol", "platform confirm"):
        read(step, ["/platform/two-factor"])
    return found


def _defaults(form: Form) -> dict[str, str]:
    """The values the form comes with (the CSRF token aside: the client sends its own)."""
    return {name: field.default for name, field in form.fields.items() if name != "csrf_token"}


def _values(form: Form):
    """A strategy for the whole form: each field gets its own value, an option it offers,
    an awkward value or random text."""
    fields = {}
    for name, field in form.fields.items():
        if name == "csrf_token":  # the client sends a valid token in the header
            continue
        choices = [st.just(field.default), st.sampled_from(PLAUSIBLE + AWKWARD), TEXT]
        if field.options:
            choices.append(st.sampled_from(field.options))
        fields[name] = st.one_of(choices)
    return st.fixed_dictionaries(fields)


@contextmanager
def _rolled_back(db):
    """Whatever the requests inside change is undone afterwards."""
    savepoint = db.session.connection().begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()
        db.session.expire_all()


def _post_random_values(db, client, form: Form) -> set[int]:
    """Post hypothesis's values; what they change is rolled back afterwards, so each form
    starts from the same data (an earlier form may have removed this one's object)."""
    statuses = set()

    @SETTINGS
    @given(data=_values(form), htmx=st.booleans())
    def post(data, htmx):
        response = client.post(form.action, data=data, headers=HX if htmx else {})
        assert response.status_code < 500, (form.action, data, response.status_code)
        statuses.add(response.status_code)

    with _rolled_back(db):
        post()
    return statuses


def test_random_values_in_every_form_never_give_a_500(app, db, discovered):
    posts = {rule.endpoint for rule in rules(app) if "POST" in rule.methods}
    assert set(discovered) == posts - NOT_A_FORM, "a route accepting POST whose form we missed"
    for endpoint in sorted(discovered):
        principal, form = discovered[endpoint]
        # A new session each time: an earlier form may have signed its client out.
        statuses = _post_random_values(db, _client(app, principal), form)
        reached = statuses - NOT_REACHED
        assert reached, f"{endpoint}: the form was never reached ({statuses})"


# (endpoint, values over the form's own, expected status): 500s the fuzzing found.
FOUND = [
    ("portal.create_request", {"description": "Brakes", "asset_id": "9" * 30}, 422),
    ("portal.create_request", {"description": "Brakes", "vehicle_id": "9" * 30}, 422),
    ("portal.invoices_pay_several", {"invoice_id": "²"}, 422),  # isdigit() but not int()
    ("portal.invoices_pay_several", {"invoice_id": "9" * 30}, 404),
    ("operator.request_approve", {"technician_id": "9" * 23}, 422),  # found on PostgreSQL
    (
        "operator.create_job",
        {"window_start": "9999-12-31T22:00", "window_end": "9999-12-31T23:59"},
        422,
    ),
]


def test_values_the_fuzzing_found_are_refused_clearly(app, db, discovered):
    wrong = []
    for endpoint, values, expected in FOUND:
        principal, form = discovered[endpoint]
        client = _client(app, principal)
        with _rolled_back(db):
            response = client.post(
                form.action, data=_defaults(form) | {"title": "Brakes", **values}
            )
        if response.status_code != expected:
            wrong.append((endpoint, values, response.status_code))
    assert not wrong
