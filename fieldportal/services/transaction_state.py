"""State that belongs to a session's outermost transaction: collected while it runs,
handed to a callback once it commits, or to another when it ends without committing.

SQLAlchemy also reports a released savepoint as a commit; only the outermost commit
counts here, since the transaction around a savepoint may still roll back.
"""

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

# key in Session.info → (called with the value after the commit, called after a rollback)
_HANDLERS: dict[str, tuple[Callable | None, Callable | None]] = {}


def track(key: str, *, on_commit: Callable | None = None, on_rollback: Callable | None = None):
    """Register what happens to ``Session.info[key]`` when the outer transaction ends."""
    _HANDLERS[key] = (on_commit, on_rollback)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for key, (on_commit, _) in _HANDLERS.items():
        value = session.info.pop(key, None)
        if value and on_commit is not None:
            on_commit(value)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    # After a commit, _committed has already taken every value: what is left was undone.
    if transaction.parent is None:
        for key, (_, on_rollback) in _HANDLERS.items():
            value = session.info.pop(key, None)
            if value and on_rollback is not None:
                on_rollback(value)
