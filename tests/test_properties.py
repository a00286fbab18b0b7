"""Property tests: any text and any parameters give a result or a named user error, nothing else."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.errors import InvalidParameter, QuerySyntaxError
from searchsvc.query import MAX_DEPTH, parse, render
from searchsvc.search import SORTS, SearchRequest, search

QUERY_ALPHABET = st.sampled_from(
    list("abcdeioskrt \"()-*:ÄéЖ日本한’'\\/\t\n\x00")
    + ["AND", "OR", "NOT", "title:", "outlet:", "foo:"]
)
# Deep nesting, balanced or not, with operators and words between the levels: the parser must
# answer with a positioned error past the depth limit, never recurse until Python gives up.
OPENERS = st.sampled_from(["(", "-(", "NOT (", "a OR (", "title:x ("])
CLOSERS = st.sampled_from([")", ") b", " OR c)", ""])
nested = st.builds(
    lambda openers, middle, closers: "".join(openers) + middle + "".join(closers),
    st.lists(OPENERS, max_size=260),
    st.sampled_from(["x", "korea", '"a b"', "ab*", "", ")"]),
    st.lists(CLOSERS, max_size=260),
)
queries = st.one_of(
    st.text(max_size=60),
    st.lists(QUERY_ALPHABET, max_size=25).map("".join),
    st.lists(QUERY_ALPHABET, max_size=12).map(" ".join),
    nested,
    st.integers(min_value=0, max_value=600).map(lambda depth: "(" * depth + "x" + ")" * depth),
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
        if exc.message.startswith("nested too deeply"):
            assert text[exc.position] == "("
        return
    assert tree is None or render(tree)
    assert text.count("(") < MAX_DEPTH + 1 or depth_of(text) <= MAX_DEPTH


def depth_of(text: str) -> int:
    """The deepest nesting of parentheses outside phrases."""
    depth = deepest = 0
    for part in text.split('"')[::2]:
        for ch in part:
            depth = depth + 1 if ch == "(" else max(0, depth - 1) if ch == ")" else depth
            deepest = max(deepest, depth)
    return deepest


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
