"""Both engines on real news (1,000 make_corpus.py files from ../shared/data/news): the Whoosh
index built by the indexer, its stories and clusters written into OpenSearch
(SEARCHSVC_TEST_OPENSEARCH_URL). What the seven seed stories are too few to show: the
natural-language feedback round below the head, and prefix expansions capped by frequency."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import make_news_files, require
from tests.support.engines import plan_for, stories_and_clusters

pytest.importorskip("opensearchpy")

from searchsvc.engines.base import GenerationInfo  # noqa: E402
from searchsvc.engines.whoosh.engine import WhooshEngine  # noqa: E402
from searchsvc.indexing.pipeline import build  # noqa: E402
from searchsvc.ranking import DEFAULT_RANKING  # noqa: E402
from searchsvc.search import SearchRequest, search  # noqa: E402

URL = os.environ.get("SEARCHSVC_TEST_OPENSEARCH_URL", "")
NEWS_STORIES = 1000
SENTENCES = [
    "oil prices fell as opec members disagreed on output quotas",
    "the government announced new measures to fight inflation",
    "company reported higher quarterly profits and raised its dividend",
    "football club manager sacked after poor results this season",
    "central bank raises interest rates to support the currency",
    "new mobile phone technology lets people watch television",
    "film star wins award at ceremony in london",
    "talks between the two countries on trade deficit with japan",
]
WINDOW = 50
HEAD = DEFAULT_RANKING.feedback_head
NO_FEEDBACK = replace(DEFAULT_RANKING, feedback_docs=0)


@pytest.fixture(scope="session")
def news_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("news")
    files = make_news_files(root / "files", NEWS_STORIES)
    build(files, root / "index")
    return root / "index"


@pytest.fixture(scope="session")
def news_whoosh(news_index):
    engine = WhooshEngine(news_index)
    yield engine.live()
    engine.close()


@pytest.fixture(scope="session")
def news_os(news_whoosh, tmp_path_factory):
    require(bool(URL), "SEARCHSVC_TEST_OPENSEARCH_URL names no OpenSearch cluster")
    from searchsvc.engines.opensearch import OpenSearchEngine

    prefix = f"searchsvc-test-news-{uuid.uuid4().hex[:8]}"
    settings = SimpleNamespace(
        opensearch_url=URL,
        opensearch_prefix=prefix,
        opensearch_shards=3,
        opensearch_replicas=0,
        index=tmp_path_factory.mktemp("os-news"),
    )
    engine = OpenSearchEngine(settings)
    stories, clusters = stories_and_clusters(news_whoosh)
    writer = engine.writer()
    name = writer.next_name()
    writer.write(stories, clusters, GenerationInfo(name, len(stories), "now"), None)
    writer.publish(name)
    yield engine.live()
    engine.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
    engine.close()


def whoosh_ids(opened, q: str, ranking=DEFAULT_RANKING, **kwargs) -> list[str]:
    request = SearchRequest(q=q, per_page=WINDOW, **kwargs).validate()
    return [hit.id for hit in search(opened, request, ranking=ranking).hits]


def overlap(a: list[str], b: list[str]) -> float:
    return len(set(a) & set(b)) / max(len(a), 1)


def test_a_sentence_past_the_head_is_ordered_by_the_feedback_round_on_both_engines(
    news_whoosh, news_os
):
    """Ranks 21-50 come from the query widened by the top stories' words, on both engines: the
    engines agree there far better than OpenSearch without its feedback round agrees with
    Whoosh, and the top 50 overlap by at least 0.8 for every sentence."""
    with_feedback, without = [], []
    for q in SENTENCES:
        whoosh = whoosh_ids(news_whoosh, q)
        found = news_os.run(plan_for(q, limit=WINDOW))
        ids = [hit.id for hit in found.hits]
        plain = [h.id for h in news_os.run(plan_for(q, limit=WINDOW, ranking=NO_FEEDBACK)).hits]
        assert found.total == news_os.run(plan_for(q, limit=1)).total  # feedback only reorders
        assert overlap(ids, whoosh) >= 0.8, q
        with_feedback.append(overlap(ids[HEAD:], whoosh[HEAD:]))
        without.append(overlap(plain[HEAD:], whoosh[HEAD:]))
    mean_with = sum(with_feedback) / len(SENTENCES)
    mean_without = sum(without) / len(SENTENCES)
    assert mean_with >= 0.85 and mean_with > mean_without + 0.15, (with_feedback, without)


def test_the_head_keeps_its_first_round_places_and_scores(news_os):
    q = SENTENCES[0]
    first = news_os.run(plan_for(q, limit=HEAD))  # no story past the head: no feedback round
    mixed = news_os.run(plan_for(q, limit=WINDOW))
    assert [(h.id, h.score) for h in mixed.hits[:HEAD]] == [(h.id, h.score) for h in first.hits]
    lowest = min(h.score for h in first.hits)
    assert all(h.score < lowest for h in mixed.hits[HEAD:])
    scores = [h.score for h in mixed.hits]
    assert scores == sorted(scores, reverse=True)


def test_page_three_is_the_same_stories_as_ranks_21_to_30(news_os):
    q = SENTENCES[2]
    window = news_os.run(plan_for(q, limit=WINDOW))
    page3 = news_os.run(plan_for(q, offset=20, limit=10))
    assert [h.id for h in page3.hits] == [h.id for h in window.hits[20:30]]


def whoosh_expansions(opened, field_name: str, prefix: str) -> list[tuple[str, int]]:
    """Every index word of the field starting with `prefix`, with its story count, on Whoosh."""
    reader = opened.searcher.reader()
    words = [
        w.decode() if isinstance(w, bytes) else w for w in reader.expand_prefix(field_name, prefix)
    ]
    return [(w, reader.doc_frequency(field_name, w)) for w in words]


@pytest.mark.parametrize("prefix", ["co", "pr", "st"])
def test_a_capped_prefix_searches_its_most_frequent_words_over_the_whole_index(
    news_whoosh, news_os, prefix
):
    """The kept words are the cap most frequent of the generation (3 shards, counted over all),
    the total is the stories holding any of them, and the warning names the count and what was
    dropped."""
    from whoosh import query as wq

    from searchsvc.expansion import most_frequent

    cap = 20
    found = news_os.run(plan_for(f"{prefix}*", max_expansion=cap, limit=10))
    expected_fields = {}
    for name in ("title", "body", "caption"):
        expected_fields[name] = most_frequent(whoosh_expansions(news_whoosh, name, prefix), cap)
    body = expected_fields["body"]
    assert body.capped
    kept = wq.Or(
        [
            wq.Term(name, word)
            for name, expansion in expected_fields.items()
            for word, _ in expansion.kept
        ]
    )
    assert found.total == len(news_whoosh.searcher.search(kept, limit=None))
    (warning,) = found.warnings
    shown = ", ".join(body.dropped)
    assert warning == (
        f"'{prefix}*' matches {body.total} words; the {cap} most frequent were searched "
        f"(dropped e.g. {shown}, ...)"
    )


def test_an_uncapped_prefix_finds_what_whoosh_finds(news_whoosh, news_os):
    found = news_os.run(plan_for("abduct*", limit=10))
    assert found.warnings == []
    request = SearchRequest(q="abduct*").validate()
    assert found.total == search(news_whoosh, request).total
