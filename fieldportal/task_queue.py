"""Background and periodic work on huey, the one task queue of every process.

Why huey: its SQLite storage serves ``make run`` with no extra service (a file under
``instance/``), its Redis storage serves any number of workers on any number of machines,
and it brings retries, delays and a cron-like scheduler of its own — no home-made loop.

``TASK_QUEUE_URL`` picks the storage: ``sqlite:///path`` (the development default),
``redis://host:port/db`` (production, several machines) or ``memory://`` (tests: tasks
wait in memory until a test runs them). ``flask tasks work`` is the consumer.

Rules that hold whatever the storage:
- A task runs inside an app context and a ``unit_of_work`` (it commits once or not at all).
- Work that follows a database write is enqueued only after the transaction that wrote it
  has committed (``after_commit``): a worker never looks for a row that is not there yet,
  and a rolled-back request enqueues nothing. If the queue cannot be reached, the request
  still succeeds: each periodic sweep picks up what was missed.
- A periodic task runs once per period across the cluster, however many consumers run a
  scheduler: each run first claims its period's key in the queue's storage (an atomic
  put-if-empty) and a consumer that finds it taken does nothing.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from flask import Flask, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from .request_log import log_task
from .transaction import unit_of_work

log = logging.getLogger(__name__)

huey = Huey("fieldportal", results=False, storage_class=MemoryStorage)
_app: Flask | None = None
_consumer = None
_periodic_tasks: list[Callable] = []
_WAKE = "task_queue_after_commit"


def storage_for(url: str):
    """The huey storage that ``TASK_QUEUE_URL`` names; a ValueError for anything else."""
    parts = urlparse(url)
    if parts.scheme == "memory":
        return MemoryStorage("fieldportal")
    if parts.scheme == "sqlite":
        return SqliteStorage("fieldportal", filename=url.removeprefix("sqlite:///"))
    if parts.scheme in ("redis", "rediss"):
        return RedisStorage("fieldportal", url=url)
    raise ValueError(f"TASK_QUEUE_URL must be memory://, sqlite:///… or redis://…, not {url!r}")


def init_app(app: Flask) -> None:
    global _app
    huey.storage = storage_for(app.config["TASK_QUEUE_URL"])
    _app = app


def _in_app():
    """The app context a task runs in: the caller's when there is one (a test running a
    task by hand), else the app this process built (a consumer's worker thread)."""
    return nullcontext() if has_app_context() else _app.app_context()


def work(*, workers: int, scheduler: bool) -> None:
    """Run a consumer until SIGTERM or Ctrl-C, both graceful: tasks in flight finish (a
    delivery hands back the messages it has not started), nothing new is taken."""
    global _consumer
    _consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=scheduler,
        graceful_signal="TERM",
        initial_delay=0.1,
        max_delay=2.0,
    )
    log.info("task worker started", extra={"workers": workers, "scheduler": scheduler})
    if scheduler:
        # Catch up at once on what was missed while no worker ran (each still runs at most
        # once in its period).
        for task in _periodic_tasks:
            task()
    try:
        _consumer.run()
    finally:
        _consumer = None
        log.info("task worker stopped")


def stopping() -> threading.Event | None:
    """Set once this process's consumer is shutting down; None outside a consumer."""
    return _consumer.stop_flag if _consumer is not None else None


def app_task(**options) -> Callable:
    """A huey task that runs in the app's context, inside one unit of work."""

    def decorator(function: Callable) -> Callable:
        @functools.wraps(function)
        def in_app(*args, **kwargs):
            with _in_app(), unit_of_work():
                return function(*args, **kwargs)

        return huey.task(name=function.__name__, **options)(in_app)

    return decorator


def periodic(schedule: crontab, period: timedelta) -> Callable:
    """A huey periodic task (``schedule``) that runs once per ``period`` across every
    consumer: the first to claim the period's key runs it, the others skip."""

    def decorator(function: Callable) -> Callable:
        @functools.wraps(function)
        def once_per_period():
            started = time.perf_counter()
            start = period_start(datetime.now(UTC), period)
            if not claim_period(function.__name__, start, period):
                log_task(function.__name__, started, outcome="skipped", period=start.isoformat())
                return
            with _in_app(), unit_of_work():
                function()
            log_task(function.__name__, started, outcome="ran", period=start.isoformat())

        task = huey.periodic_task(schedule, name=function.__name__)(once_per_period)
        _periodic_tasks.append(task)
        return task

    return decorator


def period_start(moment: datetime, period: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return epoch + (moment - epoch) // period * period


def claim_period(name: str, start: datetime, period: timedelta) -> bool:
    """True for the first caller for the period beginning at ``start``, False for every
    other (on every storage, an atomic put-if-empty of the period's key)."""
    claimed = huey.storage.put_if_empty(f"ran:{name}:{start.isoformat()}", b"1")
    if claimed:
        # Keys of past periods are not needed once the next period has come.
        huey.storage.delete_data(f"ran:{name}:{(start - 2 * period).isoformat()}")
    return claimed


def enqueue_after_commit(task: Callable) -> None:
    """Enqueue ``task()`` once the current transaction commits (once, however many times
    this is called in it); nothing if it rolls back."""
    from .extensions import db

    db.session.info.setdefault(_WAKE, {})[task.name] = task


@event.listens_for(Session, "after_commit")
def _enqueue_waiting(session: Session) -> None:
    for task in session.info.pop(_WAKE, {}).values():
        try:
            task()
        except Exception:
            # The queue is down: the next periodic sweep does the work instead.
            log.warning("could not enqueue a task", extra={"task": task.name}, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_waiting(session: Session) -> None:
    session.info.pop(_WAKE, None)
