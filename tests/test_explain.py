"""Match explanations: query words matched per field, chips, and explain=1 score parts."""

from __future__ import annotations

from datetime import date

import pytest

from searchsvc.search import SearchRequest, search
from tests.support.openapi import conforms


def test_matched_words_are_shown_as_printed_not_as_stems(opened):
    result = search(opened, SearchRequest(q="diplomacy"))
    top = result.hits[0]
    assert top.matched["title"] == ["Diplomacy"]
    assert top.matched["body"] == ["diplomacy"]
    assert all("diplomaci" not in words for words in top.matched.values())


def test_a_word_only_in_the_body_matches_no_title(opened):
    hit = search(opened, SearchRequest(q="Kananaskis")).hits[0]
    assert hit.matched["title"] == []
    assert [w.lower() for w in hit.matched["body"]] == ["kananaskis"]
    assert hit.explain is None  # only on request


def test_prefix_search_lists_the_words_the_prefix_found(opened):
    for hit in search(opened, SearchRequest(q="abduct*")).hits:
        assert hit.matched["body"], hit.id
        assert all(word.lower().startswith("abduct") for word in hit.matched["body"])


def test_a_field_query_matches_in_that_field_only(opened):
    for hit in search(opened, SearchRequest(q="title:summit")).hits:
        assert [w.lower() for w in hit.matched["title"]] == ["summit"]
        assert hit.matched["body"] == []


def test_score_parts_add_up_to_the_score(opened):
    for q in ("korea OR summit", "title:summit", '"shuttle diplomacy"', "ishiba lee"):
        for hit in search(opened, SearchRequest(q=q, explain=True)).hits:
            parts = hit.explain["parts"]
            assert parts, (q, hit.id)
            total = sum(p["score"] for p in parts) + hit.explain["rest"]
            assert total == pytest.approx(hit.score, abs=1e-3 * (1 + len(parts)))
            assert {p["field"] for p in parts} <= {"title", "body", "caption"}


def test_a_title_match_weighs_more_than_the_same_word_in_the_body(opened):
    hit = search(opened, SearchRequest(q="diplomacy", explain=True)).hits[0]
    by_field = {p["field"]: p for p in hit.explain["parts"]}
    assert by_field["title"]["field_weight"] > by_field["body"]["field_weight"]


def test_api_hits_carry_matched_and_explain_only_when_asked(client, spec):  # noqa: F811
    data = conforms(spec, "/api/search", client.get("/api/search?q=diplomacy"))
    assert all("explain" not in hit for hit in data["hits"])
    assert data["hits"][0]["matched"]["title"] == ["Diplomacy"]
    data = conforms(spec, "/api/search", client.get("/api/search?q=diplomacy&explain=1"))
    assert all(hit["explain"]["parts"] for hit in data["hits"])


def test_api_rejects_a_bad_explain_flag(client, spec):  # noqa: F811
    response = client.get("/api/search?q=diplomacy&explain=maybe")
    assert response.status_code == 400
    assert conforms(spec, "/api/search", response)["parameter"] == "explain"


def test_results_page_shows_matched_words_as_chips(client):
    html = client.get("/search?q=Kananaskis").get_data(as_text=True)
    assert 'aria-label="Matched words"' in html
    assert "in text:" in html and '<span class="chip">KANANASKIS</span>' in html
    assert "how it adds up" not in html


def test_results_page_explains_scores_on_request_and_keeps_the_flag_in_links(client):
    html = client.get("/search?q=korea&explain=1&per_page=2").get_data(as_text=True)
    assert "how it adds up" in html
    assert "explain=1" in html.split('aria-label="Result pages"')[1]


def test_browse_mode_has_no_chips(client):
    html = client.get("/search").get_data(as_text=True)
    assert 'aria-label="Matched words"' not in html


def test_filters_are_not_reported_as_matched_words(opened):
    request = SearchRequest(
        q="korea", outlet="Yomiuri Shimbun", date_from=date(2025, 6, 1), explain=True
    )
    for hit in search(opened, request).hits:
        assert set(hit.matched) <= {"title", "body", "caption"}
        assert {p["field"] for p in hit.explain["parts"]} <= {"title", "body", "caption"}
