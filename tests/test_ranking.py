"""Ranking: long natural-language queries rank well, short keyword queries stay precise."""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.engines.whoosh.schema import story_document, story_record
from searchsvc.errors import QuerySyntaxError
from searchsvc.extract.article import Article
from searchsvc.indexing.pipeline import build
from searchsvc.query import literal_words
from searchsvc.ranking import DEFAULT_RANKING, NATURAL_NOTE
from searchsvc.search import SearchRequest, search
from tests.support import require

SCIFACT = Path(__file__).resolve().parents[1].parent / "shared/data/ir/scifact"
SLICE_DOCS = 1_000
SLICE_QUERIES = 50
# Measured on this slice with the default handling: nDCG@10 0.855 (Whoosh idf, k1 1.2: 0.847;
# AND-then-OR alone: 0.754). The margin absorbs harmless reorderings, not a change of strategy.
MEASURED_NDCG = 0.855
MIN_NDCG = MEASURED_NDCG - 0.03


def run(opened, q: str, **kwargs):
    return search(opened, SearchRequest(q=q, **kwargs).validate())


def test_short_keyword_query_requires_every_word(opened):
    both = run(opened, "Kananaskis summit")
    assert both.mode == "all"
    assert 0 < both.total < run(opened, "summit").total
    assert both.total == run(opened, "Kananaskis").total == 1


def test_long_sentence_is_ranked_as_natural_language(opened):
    result = run(opened, "What did the leaders say at the summit in Kananaskis about tariffs?")
    assert result.mode == "natural"
    assert NATURAL_NOTE in result.query["warnings"]
    assert "G7" in result.hits[0].title


def test_the_index_body_holds_the_headline_but_the_stored_story_does_not():
    story = Article(title="Vitamin D and fractures", body=("First.", "Second."), source_file="a")
    assert story_document(story)["body"] == "Vitamin D and fractures\n\nFirst.\n\nSecond."
    assert story_record(story)["body"] == ["First.", "Second."]


def _scifact_slice() -> tuple[list[dict], dict[str, str], dict[str, set[str]]]:
    """The first test queries, their relevant abstracts, and the first other abstracts."""
    qrels: dict[str, set[str]] = {}
    for line in (SCIFACT / "qrels/test.tsv").read_text("utf-8").splitlines()[1:]:
        qid, docid, _ = line.split()
        if qid in qrels or len(qrels) < SLICE_QUERIES:
            qrels.setdefault(qid, set()).add(docid)
    queries = {}
    for line in (SCIFACT / "queries.test.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["_id"] in qrels:
            queries[row["_id"]] = row["text"]
    relevant = set().union(*qrels.values())
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        corpus = [json.loads(line) for line in lines]
    others = [d for d in corpus if d["_id"] not in relevant][: SLICE_DOCS - len(relevant)]
    docs = [d for d in corpus if d["_id"] in relevant] + others
    return docs, queries, qrels


def _ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    gain = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return gain / ideal


@pytest.fixture(scope="module")
def scifact_slice(tmp_path_factory: pytest.TempPathFactory):
    require((SCIFACT / "corpus.jsonl.gz").is_file(), f"SciFact data missing at {SCIFACT}")
    docs, queries, qrels = _scifact_slice()
    folder = tmp_path_factory.mktemp("scifact")
    seeds = folder / "seeds"
    seeds.mkdir()
    for doc in docs:
        # Headline style: the generic reader takes a first line without a full stop as title.
        title = doc["title"].strip().removesuffix(".")
        (seeds / f"{doc['_id']}.txt").write_text(f"{title}\n\n{doc['text'].strip()}\n", "utf-8")
    build(seeds, folder / "index")
    handle = WhooshEngine(folder / "index")
    yield handle.live(), queries, qrels
    handle.close()


def test_natural_language_queries_rank_relevant_abstracts_first(scifact_slice):
    opened, queries, qrels = scifact_slice
    files = {
        json.loads(f["story"])["id"]: json.loads(f["story"])["source_file"].removesuffix(".txt")
        for f in opened.searcher.all_stored_fields()
    }
    scores = []
    for qid, text in queries.items():
        try:
            result = run(opened, text, per_page=10)
        except QuerySyntaxError:  # e.g. "alpha (+)- thalassemia": retried as the page does
            result = run(opened, literal_words(text), per_page=10)
        scores.append(_ndcg_at_10([files[h.id] for h in result.hits], qrels[qid]))
    ndcg = sum(scores) / len(scores)
    assert ndcg >= MIN_NDCG, f"nDCG@10 {ndcg:.4f} on the slice"


def test_feedback_keeps_the_first_round_head_and_reorders_the_rest(scifact_slice):
    opened, queries, _ = scifact_slice
    head = DEFAULT_RANKING.feedback_head
    without = replace(DEFAULT_RANKING, feedback_docs=0)
    reordered_any = False
    for text in list(queries.values())[:10]:
        request = SearchRequest(q=literal_words(text), per_page=100)
        plain = search(opened, request, ranking=without)
        fed = search(opened, request, ranking=DEFAULT_RANKING)
        assert [h.id for h in fed.hits[:head]] == [h.id for h in plain.hits[:head]]
        assert min(h.score for h in fed.hits[:head]) > max(h.score for h in fed.hits[head:])
        assert fed.total == plain.total
        reordered_any |= [h.id for h in fed.hits] != [h.id for h in plain.hits]
    assert reordered_any
