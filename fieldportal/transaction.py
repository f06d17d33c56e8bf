"""The one commit point.

A request's changes are committed once, after the view has answered with a success
(status below 400, redirects included), and rolled back otherwise: services flush and
never commit, views never commit. Outside a request (every CLI command, a task worker,
the demo data) a ``unit_of_work()`` block is the commit point. Nothing else in the package
calls commit or rollback (bench.codebase counts them; the ceiling is 0).

Two named exceptions to "refused means rolled back":
- ``keep_changes_on_refusal()``: a refusal that must still be recorded (a failed sign-in
  counting towards a lockout, a throttle hit);
- ``discard()``: a view that re-renders a form after a RuleError drops the half-done
  changes first, so the page shows the database as it was.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, g

from .extensions import db

_KEEP_ON_REFUSAL = "transaction_keep_on_refusal"


def keep_changes_on_refusal() -> None:
    """Commit this request's changes even though it answers 4xx (lockout counters)."""
    g.setdefault(_KEEP_ON_REFUSAL, True)


def discard() -> None:
    """Roll back this request's changes now; the request goes on with a clean session."""
    db.session.rollback()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll it all back if it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def _finish_request(response: Response) -> Response:
    if response.status_code < 400 or g.get(_KEEP_ON_REFUSAL):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def init_app(app: Flask) -> None:
    # Registered first so that it runs after every other after_request hook (Flask runs
    # them in reverse), once the response is final.
    app.after_request(_finish_request)
