"""The pages of set-up links (services/companies/links.py): sign-up confirmation, the
first owner's password, a password reset.

Scanner-safe: GET and HEAD show a page and consume nothing; only a CSRF-protected POST
uses the link, then redirects to a URL without the token. They are never cached and never
sent as a referrer."""

from flask import make_response, render_template

from ..htmx import client_redirect, is_fragment_request, render
from ..models import SetupPurpose
from ..services.companies import links


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def link_page(
    purpose: SetupPurpose,
    token: str,
    template: str,
    status: int = 200,
    *,
    fragment: str | None = None,
    **context,
):
    """The page of a link as it stands: ``template`` (for htmx its ``fragment``) for a
    valid one, "expired" (410) or "unknown" (404) otherwise, each saying what to do next
    for its ``purpose``; an htmx request for one of those loads it as a whole page."""
    lookup = links.look_up(purpose, token)
    if lookup.state == links.LinkState.VALID:
        context.update(token=token, link=lookup.link)
        return no_store(render(page=template, fragment=fragment, status=status, **context))
    if is_fragment_request():
        return no_store(client_redirect(links.url_for_token(purpose, token)))
    if lookup.state == links.LinkState.UNKNOWN:
        page, status = render_template("setup_links/unknown.html", purpose=purpose.value), 404
    else:
        page = render_template(
            "setup_links/expired.html",
            purpose=purpose.value,
            token=token,
            link=lookup.link,
            lifetime=links.LIFETIMES[purpose],
        )
        status = 410
    return no_store(make_response(page, status))
