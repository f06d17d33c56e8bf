"""flask create-staff: the settings page's rules for a new account (one function,
services/settings.create_staff), committed as one unit of work; exit code 2 with the
reason for anything refused, nothing written."""

import pytest
from sqlalchemy import func, select

from fieldportal.models import AuditEvent, StaffRole, StaffUser
from fieldportal.services.auth.passwords import verify_secret

PASSWORD = "plum orchard lantern"


def _run(app, *args, password=PASSWORD):
    return app.test_cli_runner().invoke(
        args=["create-staff", *args], input=f"{password}\n{password}\n"
    )


def test_creates_an_account_that_can_sign_in(app, db, company, client):
    result = _run(
        app,
        "--company",
        "acme",
        "--email",
        " Dora@Acme.example ",
        "--name",
        "Dora",
        "--role",
        "dispatcher",
    )
    assert result.exit_code == 0, result.output
    assert "Created dispatcher dora@acme.example at Acme Mobile Mechanics." in result.output
    [staff] = db.session.scalars(select(StaffUser).where(StaffUser.company_id == company.id))
    assert (staff.email, staff.name, staff.role, staff.active) == (
        "dora@acme.example",
        "Dora",
        StaffRole.DISPATCHER,
        True,
    )
    assert verify_secret(staff.password_hash, PASSWORD)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.company_id == company.id))
    assert (event.action, event.staff_user_id) == ("staff.created", None)
    response = client.post("/login", data={"email": "dora@acme.example", "password": PASSWORD})
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--company", "nope"], PASSWORD, "--company: no company with the slug 'nope'."),
        (["--company", "acme"], "short", "--password: Use at least 8 characters."),
        (["--company", "acme"], "password123", "--password: That password is too common."),
        (
            ["--company", "acme", "--email", "OLIVIA@acme.test"],
            PASSWORD,
            "--email: A staff account with this email already exists.",
        ),
    ],
)
def test_a_refused_account_exits_2_and_writes_nothing(
    app, db, company, owner, args, password, message
):
    arguments = [*args, "--name", "Someone"]
    if "--email" not in args:
        arguments += ["--email", "someone@acme.example"]
    result = _run(app, *arguments, password=password)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0
    assert (
        db.session.scalar(select(func.count(StaffUser.id)).where(StaffUser.name == "Someone")) == 0
    )
