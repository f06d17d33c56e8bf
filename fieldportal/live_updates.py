"""Fragments a page re-fetches on a timer, answered 304 with no body while nothing changed.

A polled fragment (``data-poll`` in a template, static/js/app.js) sends back the ETag of
the copy it shows as ``If-None-Match``. The tag is made from the company's data version
(``page_cache.data_versions``: every committed change of a company's rows bumps it in
Redis) and from who is asking, so deciding "nothing changed" reads one Redis key and no
table: a tab left open all day costs a few hundred bytes a poll.

Without a shared Redis (``PAGE_CACHE_URL`` unset: ``make run``, the tests by default) the
tag is the hash of the rendered fragment instead: the server renders it every time, but
an unchanged one still travels as an empty 304.
"""

import hashlib
from functools import wraps

from flask import Response, g, request, session

from .services.portal import page_cache


def _version_tag(company_id: int) -> str | None:
    versions = page_cache.data_versions(company_id)
    if versions is None:
        return None
    # The session token stands for who asks: one person's tag never fits another's page.
    who = session.get("_user_id", "")
    digest = hashlib.sha256(f"{request.endpoint}|{versions}|{who}".encode()).hexdigest()
    return f"v{digest[:24]}"


def _shown(tag: str) -> bool:
    """Does the caller show the copy with this tag? Compressed answers carried it with the
    encoding added ("v…:br", Flask-Compress), which names the same copy."""
    return any(sent.split(":")[0] == tag for sent in request.if_none_match.as_set())


def polled(view):
    """Answer 304 when the caller's copy is current; else render and tag the answer.

    Put it below the access checks: only who may see the fragment learns it is unchanged.
    The tag is read before the data, so a change committed while rendering makes the
    next poll fetch again (never the reverse).
    """

    @wraps(view)
    def answer(*args, **kwargs):
        tag = _version_tag(g.company.id)
        if tag is not None and _shown(tag):
            response = Response(status=304)
        else:
            g.poll_tag = f'"{tag}"' if tag else ""
            response = view(*args, **kwargs)
        if tag is not None:
            response.set_etag(tag)
        elif response.status_code == 200:
            response.add_etag()
            response.make_conditional(request)
        # no-store: the browser keeps no copy to answer a 304 with, so htmx sees the 304
        # itself and leaves the page as it is (not a re-swap of the same markup).
        response.headers["Cache-Control"] = "no-store"
        return response

    return answer
