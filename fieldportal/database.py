"""Connection settings per database: SQLite gets foreign keys and WAL at connect."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def init_app(app: Flask) -> None:
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _sqlite_pragmas)
        _installed = True
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # The driver we ship is psycopg 3.
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "postgresql+psycopg://" + uri[len("postgresql://") :]
        )
    if uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
