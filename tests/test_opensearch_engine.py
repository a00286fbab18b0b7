"""The OpenSearch engine on a real cluster (SEARCHSVC_TEST_OPENSEARCH_URL; CI starts a 1-node
one): the seed stories written into a prefix of this session's own, and every seed query
answered as the Whoosh engine answers it."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import require
from tests.support.engines import plan_for, stories_and_clusters

opensearchpy = pytest.importorskip("opensearchpy")

from searchsvc.engines.base import GenerationInfo  # noqa: E402
from searchsvc.errors import EngineUnavailable, GenerationGone  # noqa: E402
from searchsvc.model import Filters, SearchPlan  # noqa: E402
from searchsvc.query import parse  # noqa: E402
from searchsvc.search import SearchRequest, search  # noqa: E402

URL = os.environ.get("SEARCHSVC_TEST_OPENSEARCH_URL", "")

# The queries tests/test_search.py asks of the seed corpus, and a few more of each kind.
SEED_QUERIES = [
    "Kananaskis",
    '"shuttle diplomacy"',
    "Hayashi",
    '"martial law"',
    "abduction",
    "abduct*",
    "South Korea's",
    "South Korea’s",
    '"Lee Jae-myung"',
    "Jae-Myung",
    '"jae myung"',
    "jaemyung",
    "diplomatic",
    "diplomatically",
    "reciprocal",
    "Kananaskis Hayashi",
    "Kananaskis OR Hayashi",
    "summit -Kananaskis",
    "summit",
    "outlet:asahi",
    "category:business",
    "title:summit",
    "Ishiba",
    "Kananaskis - Canada",
    "Kananaskis Canada",
    "Takaichi",
    '"music industry"',
    "the summit",
    "tariffs Trump",
    "Japan South Korea relations",
    "leaders agree to strengthen cooperation with the United States",
    "Yoon martial law impeachment",
    "",
]


# Near ties the engines order differently: field lengths are kept in one byte, rounded
# differently by Lucene and Whoosh (Ishiba: 5.1329 vs 5.1240 on Whoosh, swapped on OpenSearch;
# jaemyung: ranks 3-4). Same stories and totals; the order is compared for every other query.
NEAR_TIES = {"Ishiba", "jaemyung"}


def whoosh_ids(opened, q: str, **kwargs) -> tuple[int, list[str], str]:
    result = search(opened, SearchRequest(q=q, per_page=20, **kwargs).validate())
    return result.total, [h.id for h in result.hits], result.mode


def engine_settings(prefix: str, index: Path, url: str = URL) -> SimpleNamespace:
    return SimpleNamespace(
        opensearch_url=url,
        opensearch_prefix=prefix,
        opensearch_shards=3,
        opensearch_replicas=0,
        index=index,
    )


@pytest.fixture(scope="session")
def os_engine(opened, tmp_path_factory):
    require(bool(URL), "SEARCHSVC_TEST_OPENSEARCH_URL names no OpenSearch cluster")
    from searchsvc.engines.opensearch import OpenSearchEngine

    prefix = f"searchsvc-test-{uuid.uuid4().hex[:8]}"
    engine = OpenSearchEngine(engine_settings(prefix, tmp_path_factory.mktemp("os-local")))
    stories, clusters = stories_and_clusters(opened)
    writer = engine.writer()
    name = writer.next_name()
    writer.write(
        stories, clusters, GenerationInfo(name, len(stories), "2025-06-20T00:00:00Z"), None
    )
    writer.publish(name)
    yield engine
    engine.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
    engine.close()


@pytest.fixture(scope="session")
def os_live(os_engine):
    return os_engine.live()


@pytest.mark.parametrize("q", SEED_QUERIES)
def test_every_seed_query_finds_the_same_stories_in_the_same_order(opened, os_live, q):
    total, ids, mode = whoosh_ids(opened, q)
    os_total, found, os_mode = whoosh_ids(os_live, q)  # the same search() on the other engine
    assert (os_total, sorted(found), os_mode) == (total, sorted(ids), mode)
    if q not in NEAR_TIES:
        assert found == ids


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_order_is_the_same_with_undated_last(opened, os_live, sort):
    total, ids, _ = whoosh_ids(opened, "", sort=sort)
    matches = os_live.run(plan_for("", sort=sort))
    assert [h.id for h in matches.hits] == ids


def test_facets_count_every_match(opened, os_live):
    expected = search(opened, SearchRequest(q="Ishiba", per_page=1)).facets
    matches = os_live.run(SearchPlan(tree=parse("Ishiba"), limit=1))
    assert matches.facets == expected
    outlets = {f["value"]: f["count"] for f in matches.facets["outlet"]}
    assert outlets["Yomiuri Shimbun"] == 3


def test_filters_narrow_without_scoring(opened, os_live):
    yomiuri = os_live.run(plan_for("Ishiba", filters=Filters(outlets=("Yomiuri Shimbun",))))
    assert {h.outlet for h in yomiuri.hits} == {"Yomiuri Shimbun"} and yomiuri.total == 3
    either = os_live.run(plan_for("", filters=Filters(outlets=("Jiji Press", "Japan Today"))))
    assert {h.outlet for h in either.hits} == {"Jiji Press", "Japan Today"}
    june9 = os_live.run(
        plan_for("", filters=Filters(date_from=date(2025, 6, 9), date_to=date(2025, 6, 9)))
    )
    assert {h.outlet for h in june9.hits} == {"Asahi Shimbun", "Jiji Press"}
    assert os_live.run(plan_for("Ishiba", filters=Filters(categories=("Business",)))).total == 1


def test_snippets_mark_matches_and_escape_the_rest(os_live):
    (hit,) = os_live.run(plan_for("Kananaskis")).hits
    assert "<mark>KANANASKIS</mark>" in hit.snippet
    assert hit.matched["body"] == ["KANANASKIS"]
    for hit in os_live.run(plan_for("Ishiba")).hits:
        stripped = hit.snippet.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped
        assert "<mark>" in hit.snippet


def test_explanations_add_up_to_the_score(os_live):
    for hit in os_live.run(plan_for("Ishiba summit", explain=True)).hits:
        parts = hit.explain["parts"]
        assert {p["field"] for p in parts} <= {"title", "body", "caption"}
        assert abs(sum(p["score"] for p in parts) + hit.explain["rest"] - hit.score) < 1e-3


def test_collapse_counts_clusters_and_lists_the_others(os_live):
    matches = os_live.run(plan_for("Ishiba", collapse=True))
    assert matches.total == 7
    assert matches.clusters == len(matches.hits)
    for hit in matches.hits:
        if hit.cluster is not None:
            assert hit.cluster["more"] == len(hit.cluster["others"])


def test_related_stories_never_include_the_story(os_live):
    story = next(iter(os_live.stories()))
    related = os_live.related(story.id, 3)
    assert related and story.id not in {s.id for s in related}


def test_prefix_cap_warns_naming_the_dropped_words(os_live):
    capped = os_live.run(plan_for("co*", max_expansion=2))
    (warning,) = capped.warnings
    assert warning.startswith("'co*' matches ") and "the 2 most frequent were searched" in warning
    assert "(dropped e.g. " in warning
    assert os_live.run(plan_for("abduct*")).warnings == []


def test_stop_words_alone_are_ignored_with_a_warning(os_live):
    matches = os_live.run(plan_for("the summit"))
    assert matches.total == os_live.run(plan_for("summit")).total
    assert matches.warnings == ["'the' is too common a word to search for; ignored"]


def test_generations_publish_prune_pin_and_go(opened, tmp_path):
    require(bool(URL), "SEARCHSVC_TEST_OPENSEARCH_URL names no OpenSearch cluster")
    from searchsvc.engines.opensearch import OpenSearchEngine

    prefix = f"searchsvc-test-{uuid.uuid4().hex[:8]}"
    engine = OpenSearchEngine(engine_settings(prefix, tmp_path))
    stories, clusters = stories_and_clusters(opened)
    try:
        writer = engine.writer()
        built = []
        for n in range(4):
            name = writer.next_name()
            writer.write(stories[: n + 4], clusters, GenerationInfo(name, 0, "now"), None)
            writer.publish(name)
            built.append(name)
            time.sleep(1.1)  # the alias is re-read at most once a second
            assert engine.live().name == name
            assert engine.live().run(plan_for("")).total == n + 4
        assert writer.prune(3) == [built[0]]
        assert engine.pinned(built[1]).run(plan_for("")).total == 5
        with pytest.raises(GenerationGone):
            engine.pinned(built[0]).run(plan_for(""))
        assert engine.live().info.doc_count == 7
    finally:
        engine.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        engine.close()


def test_a_wrong_url_is_engine_unavailable(tmp_path):
    from searchsvc.engines.opensearch import OpenSearchEngine

    engine = OpenSearchEngine(engine_settings("nowhere", tmp_path, url="http://127.0.0.1:9"))
    with pytest.raises(EngineUnavailable):
        engine.live()
    assert engine.health()["status"] == "unavailable"


def test_one_dead_node_in_the_list_fails_no_search(os_engine, tmp_path):
    from searchsvc.engines.opensearch import OpenSearchEngine

    urls = f"http://127.0.0.1:9,{URL}"
    engine = OpenSearchEngine(engine_settings(os_engine.names.alias, tmp_path, url=urls))
    for _ in range(4):
        assert engine.live().run(plan_for("Kananaskis")).total == 1


def test_a_red_index_is_engine_unavailable(os_engine, tmp_path):
    """A generation whose shards have no copy anywhere: a 503 problem, not a traceback."""
    from searchsvc.engines.opensearch import OpenSearchEngine
    from searchsvc.engines.opensearch.mapping import index_body

    prefix = f"searchsvc-test-{uuid.uuid4().hex[:8]}"
    engine = OpenSearchEngine(engine_settings(prefix, tmp_path))
    body = index_body(1, 0, 1.2, 0.75, {"name": "gen-000001", "doc_count": 0, "built_at": ""})
    body["settings"]["index"]["routing.allocation.require._name"] = "no-such-node"
    try:
        engine.client.indices.create(
            index=f"{prefix}-gen-000001", body=body, params={"wait_for_active_shards": "0"}
        )
        engine.client.indices.put_alias(index=f"{prefix}-gen-000001", name=prefix)
        with pytest.raises(EngineUnavailable):
            engine.live().run(plan_for(""))
        assert engine.health()["status"] == "unavailable"
    finally:
        engine.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        engine.close()
