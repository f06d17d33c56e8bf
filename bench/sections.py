"""Sections that later steps of ``make bench`` add to bench/results.md."""

from pathlib import Path

RESULTS = Path(__file__).parent / "results.md"


def replace_section(heading: str, lines: list[str]) -> None:
    """Put ``## heading`` and its lines in results.md, in place of an earlier run's."""
    title = f"## {heading}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Bench results\n"
    before, _, after = text.partition(title)
    rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    parts = [before.rstrip(), "\n".join([title, "", *lines]).rstrip()]
    if rest:
        parts.append("## " + rest.rstrip())
    RESULTS.write_text("\n\n".join(parts) + "\n")
    print(f"Wrote the section '{heading}' of {RESULTS}")
