"""Queries behave as people expect: what was spelled out is honoured, facet names are matched as
people type them, other names of a thing find it, and a sentence's small words do not count."""

from __future__ import annotations

from searchsvc.model import SearchRequest
from searchsvc.query import written_plainly
from searchsvc.search import search


def run(opened, q: str = "", **kwargs):
    return search(opened, SearchRequest(q=q, per_page=20, **kwargs).validate())


def test_only_bare_words_are_written_plainly():
    assert written_plainly("north korea missile test")
    assert not written_plainly("north AND korea AND missile AND test")
    assert not written_plainly('north korea "missile test" launch')
    assert not written_plainly("north korea missile -test")
    assert not written_plainly("title:korea missile test launch")
    assert not written_plainly("north korea missile tes*")
    assert written_plainly("chronic kidney disease (CKD) progression")


def test_explicit_and_between_four_words_requires_every_word(opened):
    sentence = run(opened, "Ishiba Lee summit Kananaskis")
    spelled = run(opened, "Ishiba AND Lee AND summit AND Kananaskis")
    assert sentence.mode == "natural"
    assert spelled.mode == "all" and spelled.query["parsed"].count(" AND ") == 3
    assert spelled.total == 1 < sentence.total  # only the G7 story holds all four


def test_an_explicit_and_that_finds_nothing_is_not_widened(opened):
    result = run(opened, "Kananaskis AND Takaichi")
    assert result.total == 0 and result.mode == "all"


def test_outlet_names_match_whatever_the_case_and_accents(opened):
    exact = run(opened, outlet="Jiji Press")
    assert exact.total > 0
    for typed in ("jiji press", "JIJI  PRESS", "Jíjí Press"):
        assert {h.id for h in run(opened, outlet=typed).hits} == {h.id for h in exact.hits}


def test_several_outlets_find_stories_of_any_of_them(opened):
    jiji = run(opened, outlet="Jiji Press").total
    asahi = run(opened, outlet="Asahi Shimbun").total
    both = run(opened, outlet=("Jiji Press", "Asahi Shimbun"))
    assert both.total == jiji + asahi
    assert {h.outlet for h in both.hits} == {"Jiji Press", "Asahi Shimbun"}


def test_an_unknown_outlet_finds_nothing_and_names_the_close_ones(opened):
    result = run(opened, outlet="asahi")
    assert result.total == 0
    assert any("'Asahi Shimbun'" in w for w in result.query["warnings"]), result.query


def test_an_abbreviation_finds_what_it_stands_for(opened):
    rok = run(opened, "ROK")
    assert rok.total == run(opened, '"South Korea"').total > 0
    assert '"south korea"' in rok.query["parsed"]
    assert any("<mark>South</mark> <mark>Korea" in h.snippet for h in rok.hits)


def test_pm_finds_what_prime_minister_finds(opened):
    assert run(opened, "PM Ishiba").total == run(opened, "Prime Minister Ishiba").total


def test_a_quoted_phrase_is_not_expanded(opened):
    assert run(opened, '"ROK"').total == 0


def test_a_sentences_small_words_are_not_matched(opened):
    result = run(opened, "what happened after the summit between the two leaders")
    assert result.mode == "natural"
    matched = {w.lower() for h in result.hits for words in h.matched.values() for w in words}
    assert matched and not matched & {"after", "between", "what"}


def test_the_api_takes_several_outlets_and_the_page_shows_each_as_a_chip(client):
    body = client.get("/api/search?outlet=Jiji+Press&outlet=asahi+shimbun").get_json()
    assert {h["outlet"] for h in body["hits"]} == {"Jiji Press", "Asahi Shimbun"}
    page = client.get("/search?q=&outlet=Jiji+Press&outlet=Asahi+Shimbun").get_data(as_text=True)
    assert "Outlet: Jiji Press" in page and "Outlet: Asahi Shimbun" in page
    assert client.get("/api/search?q=korea&sort=newest&sort=oldest").status_code == 400


def test_a_capped_prefix_keeps_its_most_frequent_words_and_names_dropped_ones(opened):
    counts = {
        term.decode() if isinstance(term, bytes) else term: info.doc_frequency()
        for term, info in opened.searcher.reader().iter_prefix("body", "co")
    }
    result = search(opened, SearchRequest(q="co*").validate(), max_expansion=3)
    (warning,) = [w for w in result.query["warnings"] if "most frequent" in w]
    assert f"matches {len(counts)} words; the 3 most frequent were searched" in warning
    dropped = warning.split("dropped e.g. ")[1].rstrip(", .)").split(", ")
    kept_least = sorted(counts.values(), reverse=True)[2]
    assert all(counts[word] <= kept_least for word in dropped if word in counts), (dropped, counts)
    assert "the first" not in warning  # not the alphabetically first any more


def test_words_joined_by_an_explicit_and_are_not_read_as_one_name(opened):
    spelled = run(opened, "north AND korea AND summit")
    assert "dprk" not in spelled.query["parsed"].lower()
    assert "dprk" in run(opened, "north korea summit").query["parsed"].lower()
