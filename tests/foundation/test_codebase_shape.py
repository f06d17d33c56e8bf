"""The shape measures of bench/codebase.py may only improve: each ceiling is today's
figure. Lower a ceiling when a change brings its figure down; never raise one."""

from bench.codebase import measure

CEILINGS = {
    "queries in blueprints": 0,
    "commits and rollbacks outside the commit point": 0,
    "lines of the longest view": 28,
    "views over 30 lines": 0,
    "htmx headers outside fieldportal/htmx.py": 0,
    ".offset() outside the pagination primitive": 0,
}


def test_the_shape_of_the_code_does_not_get_worse():
    shape = measure()
    figures = {
        "queries in blueprints": len(shape.blueprint_queries),
        "commits and rollbacks outside the commit point": len(shape.commits_outside),
        "lines of the longest view": shape.longest_views[0][0],
        "views over 30 lines": shape.views_over_30,
        "htmx headers outside fieldportal/htmx.py": len(shape.htmx_headers_outside),
        ".offset() outside the pagination primitive": len(shape.offsets_outside),
    }
    worse = {
        name: (figure, CEILINGS[name])
        for name, figure in figures.items()
        if figure > CEILINGS[name]
    }
    assert not worse, f"figure above its ceiling (figure, ceiling): {worse}"
