"""Checks every browser test can run on a page: accessibility (axe-core), layout at
phone width, and console errors / failed requests collected during the test."""

from pathlib import Path

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


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
    assert overflow <= 0, f"{page.url} overflows horizontally by {overflow}px"


class PageProblems:
    """Console errors and failed requests seen by a page during a test."""

    def __init__(self, page: Page):
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("requestfailed", lambda request: self.failed_requests.append(request.url))

    def assert_none(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.failed_requests == [], self.failed_requests
