"""Numbers from query strings: whatever is typed, a usable page or id, or nothing."""

import pytest

from fieldportal.query_args import MAX_DATABASE_ID, MAX_PAGE, database_id, page_number


@pytest.mark.parametrize(
    ("typed", "page"),
    [("3", 3), ("", 1), ("0", 1), ("-2", 1), ("x", 1), ("²", 1), (" 7 ", 7), ("9" * 40, MAX_PAGE)],
)
def test_page_number(typed, page):
    assert page_number({"page": typed}) == page


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("12", 12),
        ("0", None),
        ("-1", None),
        ("1.5", None),
        ("٣", None),
        (str(MAX_DATABASE_ID), MAX_DATABASE_ID),
        (str(MAX_DATABASE_ID + 1), None),
    ],
)
def test_database_id(typed, found):
    assert database_id({"vehicle_id": typed}, "vehicle_id") == found
    assert database_id({}, "vehicle_id") is None
