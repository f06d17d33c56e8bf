"""Logging for every process — ``flask run``, gunicorn, ``flask tasks work`` — as one JSON
object per line on stdout, configured once per process (QUALITY.md 45).

It is plain standard-library logging (``logging.config.dictConfig``) with
python-json-logger's formatter: the loggers already in the code, gunicorn's and the
libraries' need no change, gunicorn takes the very same dict as ``logconfig_dict``, and
there is no second logging API to learn (structlog would bring one).

``wsgi.py`` (every entry point loads it) and ``gunicorn.conf.py`` call this; tests and
benchmarks that build apps with ``create_app`` keep Python's defaults.
"""

import logging
import logging.config
import os

from pythonjsonlogger.json import JsonFormatter

HANDLER_NAME = "fieldportal_json_stdout"


def json_formatter() -> JsonFormatter:
    """time (ISO 8601, UTC), level, logger, message, then the record's extra fields; a
    traceback is one escaped string, so an error stays on one line."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        timestamp="time",
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "traceback"},
    )


class DropServerAccessLines(logging.Filter):
    """The development server's own per-request lines (Common Log Format: ``addr - - [date]
    "GET /portal/t/<the token> HTTP/1.1" 200``) carry the raw URL; the app's request line
    replaces them. Its other messages (the address it listens on) pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in str(record.msg)


def logging_config(level: str | None = None) -> dict:
    """The dictConfig for every process; ``LOG_LEVEL`` (default INFO) sets the root level."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "filters": {"drop_server_access_lines": {"()": DropServerAccessLines}},
        "handlers": {
            HANDLER_NAME: {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {
            "level": (level or os.environ.get("LOG_LEVEL") or "INFO").upper(),
            "handlers": [HANDLER_NAME],
        },
        "loggers": {
            # No level here: gunicorn's --log-level keeps deciding for its own messages.
            "gunicorn.error": {"handlers": [], "propagate": True},
            # Off in gunicorn.conf.py (it would print raw URLs); kept quiet if switched on.
            "gunicorn.access": {"handlers": [], "propagate": False},
            # The task queue's own INFO lines (each task started and finished, the scheduler's
            # ticks) would drown ours: each task writes its own line.
            "huey": {"level": "WARNING", "propagate": True},
            "werkzeug": {"filters": ["drop_server_access_lines"], "propagate": True},
        },
    }


def is_configured() -> bool:
    return any(handler.get_name() == HANDLER_NAME for handler in logging.getLogger().handlers)


def configure_logging() -> None:
    """Apply ``logging_config()`` unless this process already did (gunicorn applies it in
    its master before the workers import the app)."""
    if not is_configured():
        logging.config.dictConfig(logging_config())
