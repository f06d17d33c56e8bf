"""The one commit point: a success commits once, a refusal rolls back, rule errors become
their status with their message, and a refusal that must be recorded is kept."""

import pytest
from flask import Blueprint
from sqlalchemy import text

from fieldportal import create_app, transaction
from fieldportal.extensions import db
from fieldportal.services.errors import Conflict, Invalid, NotFound

probe = Blueprint("probe", __name__)


def _write(name: str) -> None:
    db.session.execute(text("INSERT INTO probe (name) VALUES (:name)"), {"name": name})


@probe.post("/probe/ok")
def ok():
    _write("ok")
    return "done"


@probe.post("/probe/redirect")
def redirected():
    _write("redirect")
    return "", 303, {"Location": "/"}


@probe.post("/probe/refused")
def refused():
    _write("refused")
    return "check the form", 422


@probe.post("/probe/kept")
def kept():
    _write("kept")
    transaction.keep_changes_on_refusal()
    return "too many attempts", 429


@probe.post("/probe/conflict")
def conflict():
    _write("conflict")
    raise Conflict("Invoice #12 is already paid.")


@probe.post("/probe/invalid")
def invalid():
    _write("invalid")
    raise Invalid(errors={"amount": ["Enter an amount above zero."]})


@probe.post("/probe/missing")
def missing():
    _write("missing")
    raise NotFound("Vehicle 7 of company 3")


@probe.post("/probe/discard")
def discard_then_succeed():
    _write("discarded")
    transaction.discard()
    _write("after-discard")
    return "done"


@pytest.fixture
def probe_app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'probe.db'}",
            "SECRET_KEY": "probe-secret",
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.register_blueprint(probe)
    with app.app_context():
        db.session.execute(text("CREATE TABLE probe (name TEXT)"))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _stored(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(text("SELECT name FROM probe ORDER BY name")))


@pytest.mark.parametrize("path, status", [("/probe/ok", 200), ("/probe/redirect", 303)])
def test_a_success_commits_what_the_view_wrote(probe_app, path, status):
    response = probe_app.test_client().post(path)
    assert response.status_code == status
    assert _stored(probe_app) == [path.rsplit("/", 1)[1]]


def test_a_refusal_rolls_back(probe_app):
    response = probe_app.test_client().post("/probe/refused")
    assert response.status_code == 422
    assert _stored(probe_app) == []


def test_a_refusal_that_must_be_recorded_is_kept(probe_app):
    response = probe_app.test_client().post("/probe/kept")
    assert response.status_code == 429
    assert _stored(probe_app) == ["kept"]


def test_a_conflict_is_409_with_its_message_and_nothing_written(probe_app):
    response = probe_app.test_client().post("/probe/conflict")
    assert response.status_code == 409
    assert "Invoice #12 is already paid." in response.get_data(as_text=True)
    assert _stored(probe_app) == []


def test_invalid_input_is_422_with_the_field_message_as_a_fragment_for_htmx(probe_app):
    response = probe_app.test_client().post("/probe/invalid", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter an amount above zero." in body
    assert "<html" not in body
    assert _stored(probe_app) == []


def test_not_found_is_a_plain_404_that_names_nothing(probe_app):
    response = probe_app.test_client().post("/probe/missing")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Vehicle 7" not in body
    assert "<html" in body
    assert _stored(probe_app) == []


def test_discard_drops_what_came_before_and_keeps_what_comes_after(probe_app):
    response = probe_app.test_client().post("/probe/discard")
    assert response.status_code == 200
    assert _stored(probe_app) == ["after-discard"]


def test_unit_of_work_commits_or_rolls_back_as_a_whole(probe_app):
    with probe_app.app_context():
        with transaction.unit_of_work():
            _write("cli")
        with pytest.raises(RuntimeError), transaction.unit_of_work():
            _write("half")
            raise RuntimeError("interrupted")
    assert _stored(probe_app) == ["cli"]
