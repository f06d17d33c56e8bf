"""Configuration from the environment, and request-wide limits."""

import pytest
from sqlalchemy import text

from fieldportal import create_app
from fieldportal.config import ConfigurationError


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDPORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_production_uses_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELDPORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("MAIL_FROM", "no-reply@mail.example.com")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.secret_key == "a-real-secret-from-the-environment"


def test_development_key_is_generated_once_into_instance(monkeypatch, tmp_path):
    from fieldportal.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FIELDPORTAL_ENV", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    second = load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second
    assert len(first) >= 64
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_database_url_and_base_url_come_from_environment(monkeypatch, tmp_path):
    from fieldportal.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db.internal/fp")
    monkeypatch.setenv("BASE_URL", "https://portal.example.com/")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/fp"
    assert config["BASE_URL"] == "https://portal.example.com"


def test_sqlite_has_foreign_keys_and_wal(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_request_bodies_over_ten_megabytes_are_refused(client):
    response = client.post(
        "/login", data=b"x" * (10 * 1024 * 1024 + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413
