"""Shape of the code, as issue 13 measures it: python -m bench.codebase

Prints, for the application package:
- queries written in blueprints (they belong in services and loaders);
- commits and rollbacks outside the one commit point;
- the longest views and how many pass 30 lines;
- htmx headers spelled, or htmx_flask and request.htmx used, outside fieldportal/htmx.py;
- LIMIT/OFFSET written outside the pagination primitive;
- duplicate pairs, when the `duplicates` command is on the PATH.

tests/foundation/test_codebase_shape.py asserts the same figures stay where they are.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fieldportal"
BLUEPRINTS = PACKAGE / "blueprints"
HTMX_MODULE = PACKAGE / "htmx.py"
# The one module allowed to end a transaction (request teardown, CLI commands' own unit).
COMMIT_POINTS = {PACKAGE / "transaction.py"}
PAGINATION_MODULE = PACKAGE / "pagination.py"

QUERY_CALLS = {"get", "execute", "scalar", "scalars", "query"}
VIEW_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
# An HX- header spelled out, htmx's request details read, or htmx_flask used directly.
HTMX_HEADER = re.compile(r"""["']HX-[A-Za-z-]+["']|\brequest\.htmx\b|^\s*from htmx_flask """)
# Registers the htmx_flask extension, the one use of it besides htmx.py.
HTMX_EXTENSION_MODULE = PACKAGE / "extensions.py"


@dataclass
class Shape:
    blueprint_queries: list[str] = field(default_factory=list)
    commits_outside: list[str] = field(default_factory=list)
    views: list[tuple[int, str]] = field(default_factory=list)
    htmx_headers_outside: list[str] = field(default_factory=list)
    offsets_outside: list[str] = field(default_factory=list)

    @property
    def longest_views(self) -> list[tuple[int, str]]:
        return sorted(self.views, reverse=True)

    @property
    def views_over_30(self) -> int:
        return sum(1 for length, _ in self.views if length > 30)


def _is_session_call(node: ast.Call, names: set[str]) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in names
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "session"
    )


def _is_select(node: ast.Call) -> bool:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name == "select"


def _is_view(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in VIEW_DECORATORS:
            return True
    return False


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def measure() -> Shape:
    shape = Shape()
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        tree = ast.parse(source)
        in_blueprints = BLUEPRINTS in path.parents
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                if in_blueprints and (_is_session_call(node, QUERY_CALLS) or _is_select(node)):
                    shape.blueprint_queries.append(_where(path, node))
                if path not in COMMIT_POINTS and _is_session_call(node, {"commit", "rollback"}):
                    shape.commits_outside.append(_where(path, node))
                if (
                    path != PAGINATION_MODULE
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "offset"
                ):
                    shape.offsets_outside.append(_where(path, node))
            if in_blueprints and isinstance(node, ast.FunctionDef) and _is_view(node):
                length = node.end_lineno - node.lineno + 1
                shape.views.append((length, f"{path.relative_to(ROOT)}:{node.name}"))
        if path not in (HTMX_MODULE, HTMX_EXTENSION_MODULE):
            for number, line in enumerate(source.splitlines(), 1):
                if HTMX_HEADER.search(line):
                    shape.htmx_headers_outside.append(f"{path.relative_to(ROOT)}:{number}")
    return shape


def duplicate_pairs() -> str | None:
    command = shutil.which("duplicates")
    if command is None:
        return None
    result = subprocess.run(
        [command, "--repo", str(PACKAGE), "--most", "1", "--seconds", "60"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.splitlines()[0] if result.stdout else None


def main() -> None:
    shape = measure()
    print(f"queries in blueprints:            {len(shape.blueprint_queries)}")
    print(f"commits/rollbacks outside commit: {len(shape.commits_outside)}")
    length, name = shape.longest_views[0]
    print(f"longest view:                     {length} lines ({name})")
    print(f"views over 30 lines:              {shape.views_over_30}")
    print(f"htmx headers outside htmx.py:     {len(shape.htmx_headers_outside)}")
    print(f".offset() outside pagination:     {len(shape.offsets_outside)}")
    pairs = duplicate_pairs()
    print(f"duplicates over fieldportal/:     {pairs or 'duplicates command not installed'}")


if __name__ == "__main__":
    main()
