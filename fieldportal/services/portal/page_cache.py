"""Rendered portal dashboards, served again while nothing of their company has changed.

The dashboard is the page every customer opens first and reloads most, and rendering it
takes six queries and a template; serving a stored copy takes one Redis round trip.

Freshness rules, all of them required for a stored copy to be served:
- **Data version.** Every committed change to a row of a company (any model with a
  ``company_id``, or the company itself) increments that company's version in Redis after
  the commit; a bulk INSERT/UPDATE/DELETE statement, whose rows we cannot see, increments
  a global version. A copy remembers both versions read *before* its data was read, so a
  change that commits while a page is rendered makes the copy stale at once.
- **Time.** Copies live in one-minute buckets: what depends on the clock (upcoming jobs,
  overdue vehicles, expired quotes) is never more than a minute old, and the full path
  runs at least once a minute per session, which keeps its last-seen time (the idle
  limit) up to date.
- **Who.** A copy belongs to one session cookie and only to sessions of contacts and fleet
  viewers (never staff previews); a copy is not made when the request changed the cookie
  session (a flash message shown, a CSRF token created), and it is not used past the
  session's absolute expiry. Ending a session deletes its row, which changes the version.

Without ``PAGE_CACHE_URL`` (a Redis URL shared by every app process) nothing is cached:
an in-process version could not see the writes of other processes.
"""

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import Flask, Response, current_app, g, has_app_context, request, session
from sqlalchemy import event
from sqlalchemy.orm import Session

from ... import request_log
from ...htmx import is_fragment_request
from ...models import AuthSession, Company, utcnow
from .. import transaction_state

log = logging.getLogger(__name__)

CACHED_ENDPOINTS = {"portal.dashboard"}
BUCKET_SECONDS = 60
MAX_ENTRIES = 1_000  # about 15 MB of pages per process at most
EVERYTHING = "all"
CHANGED = "page_cache_changed"  # Session.info key: company ids (or EVERYTHING) written


@dataclass(frozen=True)
class Entry:
    company_id: int
    principal_kind: str  # for the request log line of a copy served
    versions: tuple
    session_expires_at: datetime
    body: bytes
    mimetype: str


class PageCache:
    def __init__(self, url: str, namespace: str = "fieldportal"):
        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.namespace = namespace
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.lock = threading.Lock()  # threaded servers: one request at a time reorders
        self.company_ids: dict[str, int] = {}

    def versions(self, company_id: int) -> tuple | None:
        try:
            return tuple(self.redis.mget(self._key(company_id), self._key(EVERYTHING)))
        except redis.RedisError:
            log.warning("page cache: Redis unavailable, serving uncached")
            return None

    def bump(self, changed: set) -> None:
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for company_id in changed:
                    pipe.incr(self._key(company_id))
                pipe.execute()
        except redis.RedisError:
            # Other processes may serve copies up to a minute old; ours we drop now.
            log.error("page cache: could not record a change; copies may be a minute stale")
            self.entries.clear()

    def _key(self, company_id) -> str:
        return f"{self.namespace}:data-version:{company_id}"

    def put(self, key: tuple, entry: Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)


def _cache() -> PageCache | None:
    return current_app.extensions.get("page_cache")


def _bucket() -> int:
    return int(time.time() // BUCKET_SECONDS)


def _request_key(endpoint: str, slug: str) -> tuple | None:
    """The key of this request's copy, or None when it may not be cached at all."""
    if endpoint not in CACHED_ENDPOINTS or request.method != "GET" or request.args:
        return None
    session_token = session.get("_user_id")
    if not session_token or session.get("_flashes"):
        return None
    return (endpoint, slug, session_token, is_fragment_request(), _bucket())


def try_cached(endpoint: str, slug: str) -> Response | None:
    """Before anything is read for a portal request: a fresh stored copy, or None (and then
    what ``store`` needs to keep this request's page is noted in ``g``)."""
    cache = _cache()
    if cache is None:
        return None
    key = _request_key(endpoint, slug)
    company_id = cache.company_ids.get(slug)
    if key is None or company_id is None:
        return None
    versions = cache.versions(company_id)
    if versions is None:
        return None
    entry = cache.entries.get(key)
    if (
        entry is not None
        and entry.company_id == company_id
        and entry.versions == versions
        and utcnow() < entry.session_expires_at
    ):
        request_log.note_principal(entry.principal_kind, entry.company_id)
        return Response(entry.body, mimetype=entry.mimetype)
    g.page_cache_fill = (key, company_id, versions)
    return None


def data_versions(company_id: int) -> tuple | None:
    """The company's and the global data version, changed by every commit that wrote one of
    its rows; None without a shared Redis (then no one can tell what changed)."""
    cache = _cache()
    return cache.versions(company_id) if cache is not None else None


def learn_company(slug: str, company_id: int) -> None:
    cache = _cache()
    if cache is not None:
        cache.company_ids[slug] = company_id


def store(response: Response, principal) -> Response:
    """Keep this response for the rest of its minute, when every rule allows it."""
    cache = _cache()
    fill = g.pop("page_cache_fill", None)
    auth_session = getattr(principal, "auth_session", None)
    if (
        cache is None
        or fill is None
        or response.status_code != 200
        or session.modified
        or g.get("view_as")
        or getattr(principal, "is_staff", False)
        or auth_session is None
    ):
        return response
    key, company_id, versions = fill
    cache.put(
        key,
        Entry(
            company_id=company_id,
            principal_kind=request_log.principal_kind(principal),
            versions=versions,
            session_expires_at=auth_session.expires_at,
            body=response.get_data(),
            mimetype=response.mimetype,
        ),
    )
    return response


# ---------------------------------------------------------------- what changed


def _caching() -> bool:
    return has_app_context() and _cache() is not None


@event.listens_for(Session, "after_flush")
def _note_changed_rows(session: Session, flush_context) -> None:
    if not _caching():
        return
    changed = session.info.setdefault(CHANGED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, AuthSession) and obj in session.dirty:
            continue  # its last-seen time: shown nowhere
        company_id = obj.id if isinstance(obj, Company) else getattr(obj, "company_id", None)
        changed.add(company_id if company_id is not None else EVERYTHING)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_statements(orm_execute_state) -> None:
    state = orm_execute_state
    if (state.is_insert or state.is_update or state.is_delete) and _caching():
        state.session.info.setdefault(CHANGED, set()).add(EVERYTHING)


def _publish_changes(changed: set) -> None:
    if _caching():
        _cache().bump(changed)


transaction_state.track(CHANGED, on_commit=_publish_changes)


def init_app(app: Flask) -> None:
    url = app.config.get("PAGE_CACHE_URL")
    if url:
        app.extensions["page_cache"] = PageCache(url)
