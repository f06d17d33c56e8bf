"""The pagination primitive: offset pages (counted or not), keyset pages, ListQuery links."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from fieldportal.models import Customer, Job, JobStatus
from fieldportal.pagination import (
    MAX_PER_PAGE,
    Count,
    Key,
    ListQuery,
    bounded_count,
    make_cursor,
    paginate,
    paginate_after,
)


@dataclass(frozen=True, kw_only=True)
class NameQuery(ListQuery):
    SORTS = ("name", "created")
    DESCENDING_FIRST = frozenset({"created"})

    q: str = ""

    def filter_params(self) -> dict:
        return {"q": self.q}


def _customers(create, company, names):
    return [create.customer(company, name=name) for name in names]


def _by_name(company):
    return (
        select(Customer)
        .where(Customer.company_id == company.id)
        .order_by(Customer.name, Customer.id)
    )


def test_offset_pages_are_counted_and_cover_the_list_once(db, company, create):
    _customers(create, company, [f"C{n:02}" for n in range(7)])
    pages = [paginate(_by_name(company), ListQuery(page=n), per_page=3) for n in (1, 2, 3)]
    assert [[c.name for c in page] for page in pages] == [
        ["C00", "C01", "C02"],
        ["C03", "C04", "C05"],
        ["C06"],
    ]
    assert [(p.number, p.total, p.pages, p.has_prev, p.has_next) for p in pages] == [
        (1, 7, 3, False, True),
        (2, 7, 3, True, True),
        (3, 7, 3, True, False),
    ]
    assert (pages[1].first, pages[1].last, pages[2].first, pages[2].last) == (4, 6, 7, 7)


def test_a_page_past_the_end_is_the_last_page(db, company, create):
    _customers(create, company, ["A", "B", "C", "D"])
    page = paginate(_by_name(company), ListQuery(page=99), per_page=3)
    assert page.number == 2 and [c.name for c in page] == ["D"]
    assert page.has_prev and not page.has_next
    assert page.prev_params() == {} and page.next_params() == {"page": 3}


def test_an_empty_list_is_one_empty_page(db, company):
    page = paginate(_by_name(company), ListQuery(page=5), per_page=10)
    assert (page.items, page.number, page.total, page.pages) == ([], 1, 0, 1)
    assert not page.has_prev and not page.has_next


def test_uncounted_pages_read_one_row_past_the_page(db, company, create, count_queries):
    _customers(create, company, ["A", "B", "C", "D"])
    with count_queries() as queries:
        first = paginate(_by_name(company), ListQuery(), per_page=2, count_rows=False)
    assert len(queries) == 1  # no COUNT
    assert [c.name for c in first] == ["A", "B"] and first.has_next and first.total is None
    assert first.pages is None
    last = paginate(_by_name(company), ListQuery(page=2), per_page=2, count_rows=False)
    assert [c.name for c in last] == ["C", "D"] and not last.has_next and last.has_prev
    beyond = paginate(_by_name(company), ListQuery(page=7), per_page=2, count_rows=False)
    assert beyond.items == [] and not beyond.has_next and beyond.has_prev


def test_a_bounded_count_says_more_past_its_bound(db, company, create, count_queries):
    _customers(create, company, [f"C{n:02}" for n in range(7)])
    assert bounded_count(_by_name(company), limit=5) == Count(5, more=True)
    assert bounded_count(_by_name(company), limit=7) == Count(7)
    assert (str(Count(10_000, more=True)), str(Count(31)), bool(Count(0))) == (
        "10,000+",
        "31",
        False,
    )
    with count_queries() as queries:
        first = paginate(_by_name(company), ListQuery(), per_page=3, count_limit=5)
    assert len(queries) == 2  # the bounded count, the page
    assert "LIMIT" in queries[0].upper()
    assert [c.name for c in first] == ["C00", "C01", "C02"]
    assert (first.total, first.more, str(first.counted), first.pages) == (5, True, "5+", None)
    assert first.has_next and not first.has_prev
    # Past the bound the pages are read as uncounted: one row past the page says what follows.
    pages = [
        paginate(_by_name(company), ListQuery(page=n), per_page=3, count_limit=5) for n in (2, 3, 4)
    ]
    assert [[c.name for c in page] for page in pages] == [["C03", "C04", "C05"], ["C06"], []]
    assert [page.has_next for page in pages] == [True, False, False]
    exact = paginate(_by_name(company), ListQuery(page=9), per_page=3, count_limit=7)
    assert (exact.number, exact.total, exact.more, exact.pages, str(exact.counted)) == (
        3,
        7,
        False,
        3,
        "7",
    )


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_on_not_null_keys_one_way_walks_by_a_row_comparison(
    db, company, create, count_queries, descending
):
    """Keys NOT NULL and in one direction: the rows after the cursor are one comparison,
    (name, id) > (v, i), and the order has no NULLS LAST, so an index on (name, id) is read
    from the cursor on; ties on the name still continue exactly."""
    _customers(create, company, ["b", "a", "b", "c", "a", "b"])
    statement = select(Customer.id, Customer.name).where(Customer.company_id == company.id)
    keys = [Key(Customer.name, descending=descending), Key(Customer.id, descending=descending)]
    seen, pages = _walk(statement, keys, 2)
    assert seen == sorted(seen, key=lambda row: (row[1], row[0]), reverse=descending)
    assert len(seen) == 6 and pages == 3
    first = paginate_after(statement, ListQuery(), keys=keys, per_page=2)
    with count_queries() as queries:
        paginate_after(statement, ListQuery(after=first.next_after), keys=keys, per_page=2)
    (sql,) = [" ".join(q.split()).upper() for q in queries]
    assert "(CUSTOMERS.NAME, CUSTOMERS.ID) " + ("<" if descending else ">") in sql
    assert " OR " not in sql and "NULLS" not in sql


@pytest.mark.parametrize("per_page", [0, -1, MAX_PER_PAGE + 1])
def test_per_page_out_of_bounds_is_a_programming_error(db, company, per_page):
    with pytest.raises(ValueError, match="per_page"):
        paginate(_by_name(company), ListQuery(), per_page=per_page)
    with pytest.raises(ValueError, match="per_page"):
        paginate_after(select(Customer), ListQuery(), keys=[Key(Customer.id)], per_page=per_page)


def test_per_page_at_its_bounds_is_accepted(db, company, create):
    _customers(create, company, ["A", "B"])
    assert [c.name for c in paginate(_by_name(company), ListQuery(), per_page=1)] == ["A"]
    assert len(paginate(_by_name(company), ListQuery(), per_page=MAX_PER_PAGE)) == 2


def test_offset_pages_of_rows_and_of_entities_with_joined_collections(db, company, create):
    fleet, other = _customers(create, company, ["Fleet", "Other"])
    for name in ("North", "South", "East"):
        create.site(fleet, name=name)
    create.site(other)
    rows = paginate(
        select(Customer.id, Customer.name)
        .where(Customer.company_id == company.id)
        .order_by(Customer.name),
        ListQuery(),
        per_page=10,
    )
    assert [(row.id, row.name) for row in rows] == [(fleet.id, "Fleet"), (other.id, "Other")]
    db.session.expire_all()
    entities = paginate(
        select(Customer)
        .where(Customer.company_id == company.id)
        .options(joinedload(Customer.sites))
        .order_by(Customer.name),
        ListQuery(),
        per_page=1,
    )
    # Joined sites neither multiply the customers nor shift the count.
    assert [c.name for c in entities] == ["Fleet"] and entities.total == 2
    assert len(entities.items[0].sites) == 3


def _jobs_with_tied_windows(create, company):
    customer = create.customer(company)
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    windows = [start, start, start, start + timedelta(hours=1), None, None, start, None]
    return [
        create.job(customer, status=JobStatus.UNSCHEDULED, window_start=window)
        for window in windows
    ]


def _walk(statement, keys, per_page):
    query, seen, pages = ListQuery(), [], 0
    while True:
        page = paginate_after(statement, query, keys=keys, per_page=per_page)
        seen.extend(page.items)
        pages += 1
        assert pages <= 50, "the cursor does not move on"
        assert page.has_prev == (query.after != "")
        if not page.has_next:
            return seen, pages
        query = ListQuery(after=page.next_after)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("per_page", [1, 2, 3, 10])
def test_keyset_continues_through_ties_and_nulls_without_skipping(
    db, company, create, descending, per_page
):
    jobs = _jobs_with_tied_windows(create, company)
    statement = select(Job).where(Job.company_id == company.id)
    keys = [Key(Job.window_start, descending=descending), Key(Job.id, descending=descending)]
    seen, pages = _walk(statement, keys, per_page)
    expected = sorted(
        (job for job in jobs if job.window_start is not None),
        key=lambda job: (job.window_start, job.id),
        reverse=descending,
    ) + sorted(
        (job for job in jobs if job.window_start is None),
        key=lambda job: job.id,
        reverse=descending,
    )
    assert [job.id for job in seen] == [job.id for job in expected]
    assert pages == -(-len(jobs) // per_page)


def test_keyset_with_mixed_directions_and_a_row_statement(db, company, create):
    _customers(create, company, ["b", "a", "b", "c", "a"])
    statement = select(Customer.id, Customer.name).where(Customer.company_id == company.id)
    keys = [Key(func.lower(Customer.name), descending=True), Key(Customer.id)]
    seen, _ = _walk(statement, keys, 2)
    assert [name for _, name in seen] == ["c", "b", "b", "a", "a"]
    ids_of_b = [id_ for id_, name in seen if name == "b"]
    assert ids_of_b == sorted(ids_of_b)


def test_keyset_first_page_and_links(app, db, company, create):
    _customers(create, company, ["A", "B", "C"])
    statement = select(Customer).where(Customer.company_id == company.id)
    keys = [Key(Customer.name), Key(Customer.id)]
    first = paginate_after(statement, NameQuery(q="x"), keys=keys, per_page=2)
    assert [c.name for c in first] == ["A", "B"] and first.number is None and first.total is None
    assert not first.has_prev and first.has_next
    assert first.next_params() == {"q": "x", "after": first.next_after}
    second = paginate_after(
        statement, NameQuery(q="x", after=first.next_after), keys=keys, per_page=2
    )
    assert [c.name for c in second] == ["C"] and second.has_prev and not second.has_next
    assert second.prev_params() == {"q": "x"}


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "e30", "W1tdLFtdXQ.forged-signature"],
)
def test_an_altered_cursor_starts_at_the_first_page(app, db, company, create, cursor):
    _customers(create, company, ["A", "B"])
    statement = select(Customer).where(Customer.company_id == company.id)
    page = paginate_after(statement, ListQuery(after=cursor), keys=[Key(Customer.id)], per_page=1)
    assert [c.name for c in page] == ["A"] and not page.has_prev
    assert page.query.after == ""


def test_a_cursor_for_another_order_starts_at_the_first_page(app, db, company, create):
    a, b = _customers(create, company, ["A", "B"])
    by_id = [Key(Customer.id)]
    cursor = make_cursor(by_id, [a.id])
    statement = select(Customer).where(Customer.company_id == company.id)
    assert [
        c.name for c in paginate_after(statement, ListQuery(after=cursor), keys=by_id, per_page=5)
    ] == ["B"]
    by_name = [Key(Customer.name), Key(Customer.id)]
    page = paginate_after(statement, ListQuery(after=cursor), keys=by_name, per_page=5)
    assert [c.name for c in page] == ["A", "B"] and not page.has_prev


def test_keyset_cursor_keeps_datetimes_exactly(app, db, company, create):
    customer = create.customer(company)
    start = datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)
    jobs = [
        create.job(
            customer,
            window_start=start + timedelta(microseconds=n),
            window_end=start + timedelta(hours=1),
        )
        for n in range(3)
    ]
    seen, _ = _walk(
        select(Job).where(Job.company_id == company.id), [Key(Job.window_start), Key(Job.id)], 1
    )
    assert [job.id for job in seen] == [job.id for job in jobs]


def test_list_query_params_leave_defaults_out_and_sort_links_toggle():
    query = NameQuery(q="acme", page=3)
    assert query.sort == "name" and query.direction == "asc"
    assert query.params() == {"q": "acme", "page": 3}
    assert query.params(page=1) == {"q": "acme"}
    assert query.sort_params("name") == {"q": "acme", "dir": "desc"}
    assert query.sort_params("created") == {"q": "acme", "sort": "created", "dir": "desc"}
    assert NameQuery(sort="created", direction="desc").sort_params("created") == {"sort": "created"}


def test_list_query_reads_anything_typed_without_error():
    args = MultiDict({"sort": "drop table", "dir": "sideways", "page": "-3", "after": "x" * 900})
    query = NameQuery.from_args(args)
    assert (query.sort, query.direction, query.page) == ("name", "asc", 1)
    assert len(query.after) == 500
    narrowed = NameQuery(**NameQuery.list_args(MultiDict({"sort": "created"}), sorts=("name",)))
    assert narrowed.sort == "name"
