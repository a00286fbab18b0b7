"""Deeply nested parentheses: a positioned 400 `query_syntax`, never a RecursionError or a 500."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from searchsvc import create_app
from searchsvc.cli import main
from searchsvc.errors import QuerySyntaxError
from searchsvc.query import parse, render
from searchsvc.search import SearchRequest, search
from tests.support import SEEDS
from tests.support.pages import Page

DEEP = "(" * 240 + "korea" + ")" * 240  # 481 characters: inside the 500-character limit
UNBALANCED = "(" * 500


def test_the_parser_refuses_the_first_parenthesis_past_32_levels():
    with pytest.raises(QuerySyntaxError) as caught:
        parse(DEEP)
    assert caught.value.message.startswith("nested too deeply")
    assert caught.value.position == 32  # the 33rd '(' (0-based)


def test_32_levels_parse_render_and_search(opened):
    allowed = "(" * 30 + "-(korea OR (japan trade))" + ")" * 30
    assert render(parse(allowed)) == "NOT (korea OR (japan AND trade))"
    request = SearchRequest(q="(" * 32 + "korea" + ")" * 32)
    assert search(opened, request).total == search(opened, SearchRequest(q="korea")).total


def test_the_limit_is_a_setting(opened):
    query = "(" * 5 + "korea" + ")" * 5
    with pytest.raises(QuerySyntaxError, match="at most 4 levels"):
        search(opened, SearchRequest(q=query), max_query_depth=4)


@pytest.mark.parametrize("query", [DEEP, UNBALANCED, "-(" * 200 + "x"])
def test_the_api_answers_400_query_syntax_with_the_position(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["code"] == "query_syntax"
    assert "nested too deeply" in problem["detail"]
    assert query[problem["position"]] == "(" and query[: problem["position"]].count("(") == 32


def test_the_reviewers_250_levels_with_a_longer_query_limit(seed_index):
    app = create_app(
        {"TESTING": True, "INDEX": seed_index, "SEEDS": SEEDS, "MAX_QUERY_CHARS": 2000}
    )
    client = app.test_client()
    for query in ("(" * 250 + "x" + ")" * 250, UNBALANCED, "(" * 999 + "x" + ")" * 999):
        response = client.get("/api/search", query_string={"q": query})
        assert response.status_code == 400 and response.get_json()["code"] == "query_syntax"
    depth_64 = create_app(
        {"TESTING": True, "INDEX": seed_index, "SEEDS": SEEDS, "MAX_QUERY_DEPTH": 64}
    ).test_client()
    nested_40 = "(" * 40 + "korea" + ")" * 40
    assert depth_64.get("/api/search", query_string={"q": nested_40}).status_code == 200


@pytest.mark.parametrize("path", ["/api/search.csv", "/api/timeline", "/feeds/search.atom"])
def test_every_search_endpoint_refuses_it_alike(client, path):
    assert client.get(path, query_string={"q": DEEP}).status_code == 400


def test_the_page_shows_it_like_any_syntax_error_and_searches_the_words(client):
    response = client.get("/search", query_string={"q": DEEP})
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert "That query has a problem: nested too deeply" in page.text
    assert page.all("mark", class_="spot")  # the spot is marked, as for any syntax error
    assert "results for “korea”" in page.text


def test_the_cli_exits_2_with_a_caret(seed_index):
    result = CliRunner().invoke(main, ["search", UNBALANCED, "--index", str(seed_index)])
    assert result.exit_code == 2
    assert "nested too deeply" in result.output and "Traceback" not in result.output
    assert " " * 34 + "^" in result.output
