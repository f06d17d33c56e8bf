"""The session rules' other sides (`make mutate sessions` found each one unguarded): what a
new session records, "Keep me signed in", whose sessions a revocation ends, and the checks a
live session passes at every request even when nothing ended it beforehand."""

import pytest
from sqlalchemy import func, select

from fieldportal.models import AuthSession, Company, SignInMethod, StaffUser, TwoFactorPolicy
from fieldportal.services.auth.auth_sessions import end_sessions
from fieldportal.services.auth.tokens import new_token, token_hash
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import sign_in, text_of

from ..staff.test_two_factor_sign_in import _now_code, _with_two_factor


def _log_in(client, staff: StaffUser, **extra):
    return client.post("/login", data={"email": staff.email, "password": DEFAULT_PASSWORD, **extra})


def _log_in_from(client, staff: StaffUser, agent: str, **extra):
    return client.post(
        "/login",
        data={"email": staff.email, "password": DEFAULT_PASSWORD, **extra},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )


def _live_sessions(db, **where) -> int:
    condition = [getattr(AuthSession, column) == value for column, value in where.items()]
    return db.session.scalar(select(func.count(AuthSession.id)).where(*condition))


def test_a_new_session_records_the_browser_and_address(client, db, owner):
    long_agent = "Mozilla/5.0 " + "x" * 400
    response = client.post(
        "/login",
        data={"email": owner.email, "password": DEFAULT_PASSWORD},
        headers={"User-Agent": long_agent},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 303
    row = db.session.scalar(select(AuthSession).where(AuthSession.staff_user_id == owner.id))
    assert row.ip_address == "203.0.113.7"
    assert row.user_agent == long_agent[:300]


def test_a_browser_that_sends_no_user_agent_is_recorded_as_blank(client, db, owner):
    response = client.post(
        "/login",
        data={"email": owner.email, "password": DEFAULT_PASSWORD},
        headers={"User-Agent": ""},
    )
    assert response.status_code == 303
    row = db.session.scalar(select(AuthSession).where(AuthSession.staff_user_id == owner.id))
    assert row.user_agent == ""


def _remember_cookie(client):
    return client.get_cookie("remember_token")


def test_keep_me_signed_in_survives_closing_the_browser(app, client, db, owner):
    assert _log_in(client, owner, remember="y").status_code == 303
    cookie = _remember_cookie(client)
    assert cookie is not None, "'Keep me signed in' sets a lasting cookie"
    assert cookie.expires is not None
    reopened = app.test_client()  # the session cookie died with the browser; this one did not
    reopened.set_cookie("remember_token", cookie.value)
    assert "Today at Acme Mobile Mechanics" in text_of(reopened.get("/"))


def test_without_keep_me_signed_in_closing_the_browser_signs_out(client, db, owner):
    assert _log_in(client, owner).status_code == 303
    assert _remember_cookie(client) is None


def test_staff_with_two_factor_at_a_company_that_requires_it_stay_signed_in(
    client, db, company, owner
):
    _with_two_factor(db, owner)
    company.two_factor_required = TwoFactorPolicy.ALL
    db.session.flush()
    sign_in(client, owner)
    assert client.get("/jobs").status_code == 200


def _fleet_viewer(client, db, create, company):
    fleet = create.fleet(company, vehicles=1)
    fleet.portal_token_hash = token_hash(new_token())
    db.session.flush()
    sign_in(client, fleet)
    assert client.get(f"/portal/{company.slug}/jobs").status_code == 200
    return fleet


def test_a_fleet_link_session_is_refused_once_the_link_is_turned_off(client, db, create, company):
    """Set straight on the row, with no service ending the sessions first: the check at
    every request is what refuses it."""
    fleet = _fleet_viewer(client, db, create, company)
    fleet.portal_enabled = False
    db.session.flush()
    response = client.get(f"/portal/{company.slug}/jobs")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/{company.slug}/sign-in"


def test_a_fleet_viewer_signing_out_ends_its_session(client, db, create, company):
    fleet = _fleet_viewer(client, db, create, company)
    assert _live_sessions(db, customer_id=fleet.id) == 1
    assert client.post(f"/portal/{company.slug}/sign-out").status_code in (302, 303)
    assert _live_sessions(db, customer_id=fleet.id) == 0


def test_switching_one_companys_portal_off_ends_only_its_sessions(
    app, client, db, create, company, other_company, owner
):
    ours = create.contact(create.fleet(company, vehicles=0), email="ours@acme.test")
    theirs = create.contact(create.fleet(other_company, vehicles=0), email="theirs@rival.test")
    sign_in(client, ours)
    sign_in(app.test_client(), theirs)
    sign_in(app.test_client(), owner)
    assert end_sessions(portal_of_company_id=company.id) == 1
    assert _live_sessions(db, contact_id=ours.id) == 0
    assert _live_sessions(db, contact_id=theirs.id) == 1
    assert _live_sessions(db, staff_user_id=owner.id) == 1, "staff keep theirs"


def test_ending_a_staff_members_sessions_leaves_their_colleagues(app, db, company, create, owner):
    colleague = create.staff(company, email="colleague@acme.test")
    for _ in range(2):
        sign_in(app.test_client(), owner)
    sign_in(app.test_client(), colleague)
    assert end_sessions(staff_user_id=owner.id) == 2
    assert _live_sessions(db, staff_user_id=owner.id) == 0
    assert _live_sessions(db, staff_user_id=colleague.id) == 1


def test_ending_sessions_without_saying_whose_is_refused(db):
    with pytest.raises(ValueError, match="^say whose sessions to end$"):
        end_sessions(method=SignInMethod.MAGIC_LINK)


def test_a_site_scoped_contact_is_loaded_with_everything_its_pages_ask_for(
    client, db, create, company
):
    """The session, person, company, customer and sites come in one query: relationships
    are raise_on_sql, so anything left out answers 500 once the test's own objects are
    out of the session."""
    fleet = create.fleet(company, vehicles=1)
    site = create.site(fleet, name="North depot")
    contact = create.contact(fleet, all_sites=False, sites=[site], is_admin=False)
    sign_in(client, contact)
    db.session.expunge_all()
    page = client.get(f"/portal/{company.slug}/")
    assert page.status_code == 200
    assert db.session.get(Company, company.id).name in text_of(page)


CODE_PAGE = "/login/code"


@pytest.mark.parametrize("agent", ["Mozilla/5.0 " + "y" * 400, ""])
def test_the_code_step_records_the_browser_address_and_keep_me_signed_in(client, db, owner, agent):
    _with_two_factor(db, owner)
    response = _log_in_from(client, owner, agent, remember="y")
    assert response.headers["Location"].startswith(CODE_PAGE)
    row = db.session.scalar(select(AuthSession).where(AuthSession.awaiting.is_not(None)))
    assert (row.ip_address, row.user_agent, row.remember) == ("198.51.100.4", agent[:300], True)


def test_keep_me_signed_in_carries_through_the_code_step(client, db, owner):
    secret, _ = _with_two_factor(db, owner)
    _log_in_from(client, owner, "Mozilla/5.0", remember="y")
    assert client.post(CODE_PAGE, data={"code": _now_code(secret)}).status_code == 303
    assert _remember_cookie(client) is not None


@pytest.mark.parametrize("presented", ["someone else's", "a full session's"])
def test_the_code_step_accepts_only_its_own_half_signed_in_token(
    app, client, db, company, create, owner, presented
):
    """While another person is half signed in, a made-up or full-session token in the
    step's cookie reaches no code page."""
    colleague = create.staff(company, email="colleague@acme.test")
    _with_two_factor(db, colleague)
    _log_in_from(app.test_client(), colleague, "Mozilla/5.0")
    token = new_token()
    if presented == "a full session's":
        signed_in = app.test_client()
        sign_in(signed_in, owner)
        with signed_in.session_transaction() as session:
            token = session["_user_id"]
    with client.session_transaction() as session:
        session["half_signed_in"] = token
    assert client.get(CODE_PAGE).headers["Location"].startswith("/login")
