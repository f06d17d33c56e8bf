"""Connection settings per database: SQLite gets foreign keys and WAL at connect."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def _sqlite_pragmas(dbapi_connection, connection_record):
    if _is_sqlite(dbapi_connection):
        # pysqlite delays BEGIN until the first write, which breaks SAVEPOINTs; take over
        # transaction control and emit BEGIN ourselves (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def init_app(app: Flask) -> None:
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _sqlite_pragmas)
        event.listen(Engine, "begin", _sqlite_begin)
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
