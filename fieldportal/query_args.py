"""Numbers read from a query string: never an error, whatever was typed."""

from collections.abc import Mapping

# Far past the last page of any list, and small enough for any OFFSET.
MAX_PAGE = 100_000


def page_number(args: Mapping) -> int:
    """The page asked for, 1 for anything that is not a page number (never an error)."""
    raw = str(args.get("page", "")).strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return max(1, min(int(raw), MAX_PAGE))


# Ids are 32-bit integers in the database: a larger number names nothing of ours (and
# would overflow PostgreSQL's integer in a query).
MAX_DATABASE_ID = 2**31 - 1


def database_id(args: Mapping, name: str) -> int | None:
    """``?name=`` as an id, or None when it cannot be one."""
    raw = str(args.get(name, "")).strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DATABASE_ID:
        return None
    return int(raw)
