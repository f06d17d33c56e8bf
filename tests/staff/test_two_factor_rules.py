"""The two-factor rules (services/auth/two_factor.py) on a staff account: enrolment with a
sealed secret, codes accepted in their window and once only, single-use recovery codes kept
hashed, turning it off, and the company policy of who must use it."""

import re
import threading
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from fieldportal.models import StaffRecoveryCode, StaffRole, StaffUser, TwoFactorPolicy, utcnow
from fieldportal.services import sealing
from fieldportal.services.auth import two_factor
from fieldportal.services.errors import Conflict, Invalid
from fieldportal.services.mail import outbox_secrets
from tests import factories
from tests.email.test_secrets_at_rest import columns_holding

NOW = utcnow().replace(microsecond=0)


def _enrol(staff):
    return two_factor.start_enrolment(staff, account_name=staff.email, issuer="Acme")


def _code(secret, at=NOW, steps=0):
    return pyotp.TOTP(secret).at(at + timedelta(seconds=30 * steps))


def _enrolled(staff):
    enrolment = _enrol(staff)
    two_factor.confirm_enrolment(staff, _code(enrolment.secret, steps=-1), at=NOW)
    return enrolment.secret


def _step_in_database(db, staff):
    db.session.expire(staff, ["totp_last_step"])
    return db.session.get(StaffUser, staff.id).totp_last_step


def test_enrolment_keeps_the_secret_only_sealed_and_is_off_until_a_code_confirms_it(db, owner):
    enrolment = _enrol(owner)
    db.session.flush()
    assert re.fullmatch(r"[A-Z2-7]{32}", enrolment.secret)  # 160 bits, base32
    assert columns_holding(db, enrolment.secret) == []
    assert owner.totp_secret_sealed and not owner.has_two_factor
    assert enrolment.secret_in_groups.replace(" ", "") == enrolment.secret
    again = two_factor.pending_enrolment(owner, account_name=owner.email, issuer="Acme")
    assert again.secret == enrolment.secret  # the page shown again shows the same secret

    right = _code(enrolment.secret)
    with pytest.raises(Invalid) as refused:
        two_factor.confirm_enrolment(owner, f"{(int(right) + 1) % 1_000_000:06d}", at=NOW)
    assert refused.value.errors == {"code": [two_factor.WRONG_CODE]}
    assert not owner.has_two_factor

    two_factor.confirm_enrolment(owner, _code(enrolment.secret), at=NOW)
    assert owner.has_two_factor
    assert two_factor.pending_enrolment(owner, account_name=owner.email, issuer="Acme") is None
    with pytest.raises(Conflict):
        _enrol(owner)  # on already: turned off first, never silently replaced


def test_the_qr_code_holds_an_otpauth_uri_for_the_account_and_is_a_labelled_svg(db, owner):
    enrolment = _enrol(owner)
    parts = urlsplit(enrolment.uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == f"/Acme:{owner.email}"
    assert parse_qs(parts.query) == {"secret": [enrolment.secret], "issuer": ["Acme"]}
    svg = str(enrolment.qr_svg)
    assert svg.startswith('<svg role="img" aria-label="QR code for Acme" ')
    assert "<path" in svg and "<script" not in svg


def test_a_code_works_one_step_either_side_of_now_and_not_further(db, owner):
    secret = _enrol(owner).secret
    owner.totp_last_step = None
    for steps, accepted in ((-2, False), (2, False), (-1, True), (0, True), (1, True)):
        assert two_factor.accept_code(owner, _code(secret, steps=steps), at=NOW) is accepted


def test_a_code_is_refused_when_used_again_and_an_older_one_after_a_newer(db, owner):
    secret = _enrolled(owner)  # the confirming code was the previous step's
    code = _code(secret)
    assert two_factor.accept_code(owner, code, at=NOW)
    step = _step_in_database(db, owner)
    assert step == pyotp.TOTP(secret).timecode(NOW)
    assert not two_factor.accept_code(owner, code, at=NOW)
    assert not two_factor.accept_code(owner, code, at=NOW + timedelta(seconds=25))
    assert not two_factor.accept_code(owner, _code(secret, steps=-1), at=NOW)
    assert two_factor.accept_code(owner, _code(secret, steps=1), at=NOW + timedelta(seconds=30))
    assert _step_in_database(db, owner) == step + 1


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "", "１２３４５６"])
def test_malformed_codes_are_refused(db, owner, typed):
    _enrolled(owner)
    assert not two_factor.accept_code(owner, typed, at=NOW)


def test_spaces_and_a_dash_in_a_code_do_not_matter(db, owner):
    secret = _enrolled(owner)
    code = _code(secret)
    assert two_factor.accept_code(owner, f" {code[:3]} - {code[3:]} ", at=NOW)


def test_a_secret_sealed_under_another_key_says_what_to_do(app, db, owner):
    secret = _enrolled(owner)
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-rotated-key"
    try:
        with pytest.raises(Conflict, match="recovery code"):
            two_factor.accept_code(owner, _code(secret), at=NOW)
    finally:
        app.config["SECRET_KEY"] = original


def test_the_sealed_secret_cannot_be_opened_for_another_purpose(db, owner):
    _enrol(owner)
    with pytest.raises(sealing.Unreadable):
        sealing.open_sealed(outbox_secrets.HKDF_INFO, owner.totp_secret_sealed)
    assert sealing.open_sealed(two_factor.SEAL_PURPOSE, owner.totp_secret_sealed)


def _codes(db, staff):
    return list(
        db.session.scalars(
            select(StaffRecoveryCode).where(StaffRecoveryCode.staff_user_id == staff.id)
        )
    )


def test_ten_recovery_codes_are_kept_hashed_and_each_works_once(db, owner, company):
    codes = two_factor.issue_recovery_codes(owner, StaffRecoveryCode)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"([a-hjkmnp-z2-9]{4}-){3}[a-hjkmnp-z2-9]{4}", code) for code in codes)
    for code in codes:
        assert columns_holding(db, code) == []
        assert columns_holding(db, code.replace("-", "")) == []
    rows = _codes(db, owner)
    assert {row.company_id for row in rows} == {company.id} and len(rows) == 10

    assert two_factor.use_recovery_code(owner, StaffRecoveryCode, codes[0])
    assert not two_factor.use_recovery_code(owner, StaffRecoveryCode, codes[0])
    # Typed loosely: capitals, spaces instead of dashes.
    assert two_factor.use_recovery_code(
        owner, StaffRecoveryCode, codes[1].upper().replace("-", " ")
    )
    assert two_factor.recovery_codes_left(owner, StaffRecoveryCode) == 8
    assert not two_factor.use_recovery_code(owner, StaffRecoveryCode, "not-a-code")
    assert not two_factor.use_recovery_code(owner, StaffRecoveryCode, codes[2][:-1] + "x")


def test_new_recovery_codes_replace_the_old_and_one_account_cannot_use_anothers(db, owner, company):
    old = two_factor.issue_recovery_codes(owner, StaffRecoveryCode)
    new = two_factor.issue_recovery_codes(owner, StaffRecoveryCode)
    assert not two_factor.use_recovery_code(owner, StaffRecoveryCode, old[0])
    colleague = factories.create_staff(company, StaffRole.DISPATCHER)
    assert not two_factor.use_recovery_code(colleague, StaffRecoveryCode, new[0])
    assert two_factor.use_recovery_code(owner, StaffRecoveryCode, new[0])
    assert len(_codes(db, owner)) == 10


def test_turning_off_forgets_the_secret_and_the_codes(db, owner):
    secret = _enrolled(owner)
    two_factor.issue_recovery_codes(owner, StaffRecoveryCode)
    two_factor.turn_off(owner, StaffRecoveryCode)
    db.session.flush()
    db.session.expire(owner)
    assert owner.totp_secret_sealed is None and not owner.has_two_factor
    assert owner.totp_last_step is None and _codes(db, owner) == []
    with pytest.raises(Conflict):
        two_factor.accept_code(owner, _code(secret), at=NOW)


@pytest.mark.parametrize(
    ("policy", "asked"),
    [
        (TwoFactorPolicy.OFF, set()),
        (TwoFactorPolicy.OWNERS, {StaffRole.OWNER}),
        (TwoFactorPolicy.ALL, set(StaffRole)),
    ],
)
def test_the_company_policy_says_who_must_use_two_factor(db, company, policy, asked):
    company.two_factor_required = policy
    people = {role: factories.create_staff(company, role) for role in StaffRole}
    assert {role for role, staff in people.items() if staff.must_use_two_factor} == asked


def test_existing_and_new_companies_require_nothing(db, company):
    db.session.flush()
    db.session.expire(company)
    assert company.two_factor_required is TwoFactorPolicy.OFF


@pytest.mark.postgres_only
def test_two_requests_with_one_code_one_wins(app, committed_db):
    db = committed_db
    company = factories.create_company(slug="race-2fa")
    staff = factories.create_staff(company)
    secret = _enrolled(staff)
    db.session.commit()
    code, staff_id = _code(secret), staff.id
    barrier = threading.Barrier(8)
    results = []

    def attempt():
        with app.app_context():
            holder = db.session.get(StaffUser, staff_id)
            barrier.wait()
            results.append(two_factor.accept_code(holder, code, at=NOW))
            db.session.commit()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * 7 + [True]
