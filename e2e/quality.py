"""Checks every browser test can run on a page: accessibility (axe-core), layout at
phone width, visible keyboard focus, and console errors / failed requests collected during
the test; ``Journey`` applies them all to every page a journey visits."""

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def axe_violations(page: Page, impacts=("serious", "critical")) -> list[dict]:
    """Serious and critical WCAG 2.2 A/AA violations axe-core finds on the current page."""
    # Evaluated through the DevTools protocol, so the page's CSP does not block it.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe found on {page.url}: {violations}"


def assert_no_horizontal_overflow(page: Page) -> None:
    """Nothing wider than the viewport (readable at 360 px without sideways scrolling)."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        wide = page.evaluate(
            """() => [...document.querySelectorAll("body *")]
                .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 5).map((e) => e.outerHTML.slice(0, 120))"""
        )
        raise AssertionError(f"{page.url} overflows horizontally by {overflow}px: {wide}")


def tab_to(page: Page, target: Locator, limit: int = 80) -> int:
    """Press Tab until ``target`` has the focus, as a keyboard user would; returns the number
    of presses. Fails if it is not reached within ``limit`` presses (not in the tab order)."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => element === document.activeElement"):
            return presses
    raise AssertionError(f"{target} not reached by {limit} presses of Tab on {page.url}")


def assert_focus_visible(target: Locator) -> None:
    """``target`` has the keyboard focus and shows it (an outline or a box shadow)."""
    expect(target).to_be_focused()
    style = target.evaluate(
        """(element) => {
            const s = getComputedStyle(element);
            return {focusVisible: element.matches(":focus-visible"), outline: s.outlineStyle,
                    outlineWidth: parseFloat(s.outlineWidth), shadow: s.boxShadow};
        }"""
    )
    assert style["focusVisible"], f"{target} is focused but not :focus-visible"
    shows = (style["outline"] != "none" and style["outlineWidth"] > 0) or style["shadow"] != "none"
    assert shows, f"{target} shows no focus indicator: {style}"


def mark_document(page: Page) -> None:
    """Tag the current document, so ``assert_same_document`` can tell a swap from a reload."""
    page.evaluate("() => { window.e2eDocumentMark = true; }")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("() => window.e2eDocumentMark === true"), f"{page.url} was reloaded"


class PageProblems:
    """Console errors, failed requests and error responses (status 400 or more) seen by a
    page during a test, except the responses the test said it expects (``allow``)."""

    def __init__(self, page: Page):
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.error_responses: list[str] = []
        self.allowed: list[tuple[int, str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def allow(self, status: int, url_part: str) -> None:
        """Expect responses with ``status`` from URLs containing ``url_part`` (and the
        console error Chromium logs for each)."""
        self.allowed.append((status, url_part))

    def _expected(self, status: int, url: str) -> bool:
        return any(status == code and part in url for code, part in self.allowed)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        status = re.search(r"responded with a status of (\d+)", message.text)
        if status and self._expected(int(status.group(1)), message.location.get("url", "")):
            return
        self.console_errors.append(message.text)

    def _failed(self, request) -> None:
        # A navigation cancels what the previous page was still loading (its favicon, a
        # poll): Chromium reports that as ERR_ABORTED, which is not a failure of ours.
        if request.failure != "net::ERR_ABORTED":
            self.failed_requests.append(f"{request.url} ({request.failure})")

    def _response(self, response) -> None:
        if response.status >= 400 and not self._expected(response.status, response.url):
            self.error_responses.append(f"{response.status} {response.url}")

    def assert_none(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.failed_requests == [], self.failed_requests
        assert self.error_responses == [], self.error_responses


class Journey:
    """One person's walk through the app. ``check`` is called on every page it visits:
    axe-core at the current size and at phone width, no horizontal overflow at phone
    width, optionally screenshots at phone and desktop size; ``finish`` asserts that no
    console error, failed request or unexpected error response happened on the way."""

    def __init__(self, page: Page, artifacts: Path):
        self.page = page
        self.artifacts = artifacts
        self.problems = PageProblems(page)

    def check(self, screenshot: str | None = None) -> None:
        page = self.page
        size = page.viewport_size
        assert_accessible(page)
        if size != PHONE:
            page.set_viewport_size(PHONE)
            assert_accessible(page)
        assert_no_horizontal_overflow(page)
        if screenshot:
            for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page.set_viewport_size(viewport)
                # caret="initial": hiding the caret injects a style, which the CSP refuses.
                page.screenshot(
                    path=str(self.artifacts / f"{screenshot}-{label}.png"),
                    full_page=True,
                    caret="initial",
                )
        page.set_viewport_size(size)

    def finish(self) -> None:
        self.problems.assert_none()
