"""The fast search and build paths give the same answers as the slow, obvious ones (seed index)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from whoosh.collectors import TermsCollector, TopCollector

from searchsvc.analysis import english_analyzer, english_pipeline
from searchsvc.dedup import _fold_for_identity
from searchsvc.extract.article import normalise_for_identity
from searchsvc.search import SearchRequest, search

QUERIES = ["korea", "ishiba summit", '"shuttle diplomacy"', "abduct*", "lee OR ishiba", "japan -korea"]
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
TRICKY = "The Jae-myung's talks — Osaka-Kansai 東京都庁 it's THE end; Café résumé ’s x--y"


def seed_texts() -> list[str]:
    return [p.read_text("utf-8", "replace") for p in sorted(SEEDS.iterdir()) if p.is_file()]


@pytest.mark.parametrize("mode", ["index", "query"])
@pytest.mark.parametrize("removestops", [True, False])
def test_fused_analyzer_yields_the_pipelines_tokens(mode, removestops):
    def tokens(analyzer, text):
        return [
            (t.text, t.pos, t.startchar, t.endchar, t.stopped)
            for t in analyzer(text, positions=True, chars=True, mode=mode, removestops=removestops)
        ]

    for text in [*seed_texts(), TRICKY]:
        assert tokens(english_analyzer(), text) == tokens(english_pipeline(), text)


def test_dedup_folding_equals_identity_folding():
    for text in [*seed_texts(), TRICKY, "ﬁ ½ Ü"]:
        assert _fold_for_identity(text) == normalise_for_identity(text)


def exhaustive(opened, q: str):
    """Total, top ids and per-hit matched terms by scoring every match (the slow path)."""
    result = search(opened, SearchRequest(q=q).validate())
    from searchsvc.search import QueryCompiler
    from searchsvc.query import parse

    query = QueryCompiler(opened, 256).compile(parse(q))
    collector = TermsCollector(TopCollector(limit=10, usequality=False, replace=0))
    opened.searcher.search_with_collector(query, collector)
    slow = collector.results()
    return result, slow


@pytest.mark.parametrize("q", QUERIES)
def test_totals_top_hits_and_terms_equal_the_exhaustive_search(opened, q):
    result, slow = exhaustive(opened, q)
    if result.mode != "all":
        pytest.skip("widened query")
    assert result.total == len(slow)
    assert [h.id for h in result.hits] == [hit["id"] for hit in slow]
    for hit, slow_hit in zip(result.hits, slow, strict=True):
        assert hit.score == round(slow_hit.score, 4)


def test_facets_equal_a_count_over_every_stored_story(opened):
    result = search(opened, SearchRequest(q="").validate())
    stored = list(opened.searcher.all_stored_fields())
    assert result.total == len(stored)
    outlets = Counter(s["outlet"] for s in stored if s.get("outlet"))
    assert {f["value"]: f["count"] for f in result.facets["outlet"]} == dict(outlets)


def test_sorting_by_date_matches_whoosh_sorting_collector(opened):
    for sort in ("newest", "oldest"):
        result = search(opened, SearchRequest(q="korea", sort=sort).validate())
        slow = opened.searcher.search(
            QueryCompilerQuery(opened, "korea"), sortedby=sort, reverse=sort == "newest", limit=10
        )
        assert [h.id for h in result.hits] == [hit["id"] for hit in slow]


def QueryCompilerQuery(opened, q: str):  # noqa: N802
    from searchsvc.query import parse
    from searchsvc.search import QueryCompiler

    return QueryCompiler(opened, 256).compile(parse(q))
