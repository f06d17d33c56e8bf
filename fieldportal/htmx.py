"""The one place htmx request headers are read and response headers made (wraps
htmx_flask), as django-htmx keeps them: views branch on ``is_fragment_request()`` and
answer through the helpers here, never spelling an ``HX-`` header themselves.

A view builds one context and calls ``render(page=..., fragment=..., **ctx)``: a plain or
boosted request gets the page, an htmx request only the fragment that changes. The page
includes the same fragment, so each piece of markup has one source.
"""

import json
from urllib.parse import urlsplit

from flask import Response, get_flashed_messages, redirect, render_template, request
from htmx_flask import make_response as htmx_make_response

FLASH_PARTIAL = "partials/_flash.html"


def is_htmx_request() -> bool:
    """True for any request htmx made (boosted and history restores too)."""
    return bool(request.htmx)


def is_fragment_request() -> bool:
    """True for an htmx request that wants a fragment.

    Boosted requests and history restores (a cache miss on back/forward) get the page.
    """
    htmx_headers = request.htmx
    return (
        bool(htmx_headers) and not htmx_headers.boosted and not htmx_headers.history_restore_request
    )


def render(page: str, fragment: str | None = None, status: int = 200, **context) -> Response:
    """The full page, or for an htmx request the fragment plus pending flash messages."""
    if fragment and is_fragment_request():
        body = render_template(fragment, **context) + flash_oob()
    else:
        body = render_template(page, **context)
    return htmx_make_response(body, status)


def flash_oob() -> str:
    """Pending flash messages as an out-of-band swap into the page's #flash region."""
    if not get_flashed_messages():
        return ""
    return render_template(FLASH_PARTIAL, oob=True)


def add_trigger(response: Response, event: str, detail=None) -> Response:
    """Add an HX-Trigger event, merging with any already on the response."""
    existing = response.headers.get("HX-Trigger")
    events: dict = {}
    if existing:
        try:
            parsed = json.loads(existing)
            events = parsed if isinstance(parsed, dict) else {str(parsed): None}
        except ValueError:
            events = {name.strip(): None for name in existing.split(",") if name.strip()}
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def retarget(response: Response, selector: str, swap: str = "innerHTML") -> Response:
    """Swap this answer into ``selector`` instead of the element that made the request."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def client_redirect(location: str, status: int = 204) -> Response:
    """An empty answer whose HX-Redirect makes htmx load ``location`` as a whole page."""
    return htmx_make_response("", status, redirect=location)


def redirect_after_post(location: str) -> Response:
    """303 for a plain POST; for htmx, HX-Redirect so the browser loads the new page (also
    another site's, such as a payment page)."""
    if is_htmx_request():
        return client_redirect(location)
    return redirect(location, code=303)


def redirect_signed_out(location: str) -> Response:
    """Send a signed-out visitor to ``location`` (a sign-in page): a 302 for a page, a 401
    with HX-Redirect for a fragment, so htmx loads the sign-in page as a whole page
    instead of swapping it into a panel."""
    if is_fragment_request():
        return client_redirect(location, status=401)
    return redirect(location)


def current_path() -> str | None:
    """Path and query of the page this request was made from: htmx names it in
    HX-Current-URL, a plain form post in its Referer. None when neither does, or when the
    address is malformed. Callers still check it is one of our own paths."""
    source = request.headers.get("HX-Current-URL") or request.referrer
    if not source:
        return None
    try:
        parts = urlsplit(source)
    except ValueError:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def add_vary_header(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response
