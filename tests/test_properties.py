"""Property tests: any text and any parameters give a result or a named user error, nothing else."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.errors import InvalidParameter, QuerySyntaxError
from searchsvc.query import parse, render
from searchsvc.search import SORTS, SearchRequest, search

QUERY_ALPHABET = st.sampled_from(
    list("abcdeioskrt \"()-*:ÄéЖ日本한’'\\/\t\n\x00")
    + ["AND", "OR", "NOT", "title:", "outlet:", "foo:"]
)
queries = st.one_of(
    st.text(max_size=60),
    st.lists(QUERY_ALPHABET, max_size=25).map("".join),
    st.lists(QUERY_ALPHABET, max_size=12).map(" ".join),
)
PROFILE = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROFILE
@given(queries)
def test_parser_returns_a_tree_or_a_positioned_error(text):
    try:
        tree = parse(text)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        assert exc.message
        return
    assert tree is None or render(tree)


@PROFILE
@given(
    q=queries,
    page=st.integers(min_value=-5, max_value=10**7),
    per_page=st.integers(min_value=-5, max_value=10**4),
    sort=st.one_of(st.sampled_from(SORTS), st.text(max_size=8)),
    outlet=st.one_of(st.none(), st.text(max_size=20)),
    day_from=st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1))),
    day_to=st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1))),
)
def test_search_core_never_raises_anything_else(
    opened, q, page, per_page, sort, outlet, day_from, day_to
):
    request = SearchRequest(
        q=q,
        page=page,
        per_page=per_page,
        sort=sort,
        outlet=outlet,
        date_from=day_from,
        date_to=day_to,
    )
    try:
        request.validate()
        result = search(opened, request)
    except (QuerySyntaxError, InvalidParameter):
        return
    assert result.total >= len(result.hits)
    assert len(result.hits) <= request.per_page
    for hit in result.hits:
        assert "<script" not in hit.snippet
