"""The OpenSearch engine: each generation is one index, `PREFIX-gen-000123`; the alias `PREFIX`
names the live one. The contract is engines/base.py.

    PREFIX                 alias → the live generation's index (moved by one _aliases call)
    PREFIX-gen-000123      one build: every story, its cluster, GenerationInfo in the mapping's
                           _meta
    PREFIX-vocab-000123    the build's spelling vocabulary (surface word → stories), in chunks,
                           and the seed files it was built from (document BUILT_FROM_ID)
    PREFIX-terms-000123    its index words per field with their story counts (prefix expansion)

The local build state (extraction cache, the build lock) stays in the `--index` folder.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError
from opensearchpy.helpers import scan

from searchsvc.engines.base import (
    Capabilities,
    Engine,
    Generation,
    GenerationInfo,
    GenerationWriter,
)
from searchsvc.engines.opensearch import feedback
from searchsvc.engines.opensearch.client import answering, connect, describe, search
from searchsvc.engines.opensearch.documents import cluster_from_source, story_from_source
from searchsvc.engines.opensearch.execution import (
    Compiled,
    compile_plan,
    matches_of,
    ranking_of,
    request_body,
)
from searchsvc.engines.opensearch.idf import TermStatistics
from searchsvc.engines.opensearch.mapping import QUERY_FIELDS
from searchsvc.engines.opensearch.prefixes import PrefixWords, prefix_words, warnings_for
from searchsvc.errors import (
    ArticleNotFound,
    EngineUnavailable,
    GenerationGone,
    IndexMissing,
)
from searchsvc.extract.article import Article
from searchsvc.locking import build_lock
from searchsvc.model import Cluster, Matches, SearchPlan
from searchsvc.ranking import FIELD_BOOSTS

GENERATION_PREFIX = "gen-"
ALIAS_RECHECK_S = 1.0
BUILT_FROM_ID = "built-from"  # the vocabulary index's document of seed stamps
APPROXIMATE_MARK = "~"
RELATED_TERMS = 25
SEARCH_TYPE = "dfs_query_then_fetch"
CAPABILITIES = Capabilities(
    score_parts=True,
    # Clusters among the matches are counted with a cardinality aggregation: exact up to
    # execution.CLUSTER_COUNT_PRECISION clusters, an estimate above.
    exact_cluster_counts=False,
    prefix_cap=True,
    pinned_generations=True,
)


# Index fields a `word*` is expanded in: free text (None) or a named field (prefixes.py).
PREFIX_FIELDS: dict[str | None, list[str]] = {
    None: list(FIELD_BOOSTS),
    **{name: [index_field] for name, index_field in QUERY_FIELDS.items()},
}


class Names:
    """Index and alias names under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.alias = prefix

    def index(self, generation: str) -> str:
        return f"{self.alias}-{generation}"

    def vocabulary(self, generation: str) -> str:
        return f"{self.alias}-vocab-{generation.removeprefix(GENERATION_PREFIX)}"

    def terms(self, generation: str) -> str:
        """The generation's words index: (field, word, stories) for prefix expansion."""
        return f"{self.alias}-terms-{generation.removeprefix(GENERATION_PREFIX)}"

    def generation_of(self, index: str) -> str:
        return index.removeprefix(self.alias + "-")

    @property
    def generations_pattern(self) -> str:
        return f"{self.alias}-{GENERATION_PREFIX}*"


class OpenSearchGeneration(Generation):
    """One generation's index, opened for reading (nothing is held but its name and info)."""

    capabilities = CAPABILITIES

    def __init__(self, engine: OpenSearchEngine, info: GenerationInfo) -> None:
        self.engine = engine
        self.client = engine.client
        self.index = engine.names.index(info.name)
        self._info = info
        self._once: dict[str, object] = {}
        self.statistics = TermStatistics(self.client, self.index, engine.urls)
        self.expander = PrefixWords(self.client, engine.names.terms(info.name))
        self._lock = threading.Lock()

    @property
    def info(self) -> GenerationInfo:
        return self._info

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Engine failures as EngineUnavailable; this index gone as GenerationGone."""
        try:
            with answering(self.engine.urls):
                yield
        except NotFoundError as exc:
            if _error_type(exc) == "index_not_found_exception":
                raise GenerationGone(self.name, self.engine.live_name_or_none()) from exc
            raise

    def _cached(self, key: str, compute):  # noqa: ANN001, ANN202 - any value, computed once
        with self._lock:
            if key not in self._once:
                self._once[key] = compute()
            return self._once[key]

    def run(self, plan: SearchPlan) -> Matches:
        with self.reading():
            expansions = {}
            keys = prefix_words(plan.tree, PREFIX_FIELDS) if plan.mode in ("all", "any") else []
            if keys:
                expansions = self.expander.expand(keys, plan.max_expansion, _wait(plan))
            compiled = compile_plan(plan, self.statistics, expansions)
            if feedback.wanted(plan, ranking_of(plan)):
                compiled = self._with_feedback(plan, compiled)
            body = request_body(plan, compiled)
            response = search(
                self.client,
                self.engine.urls,
                index=self.index,
                body=body,
                search_type=SEARCH_TYPE,
                request_timeout=_wait(plan),
            )
            matches = matches_of(plan, compiled, response)
            matches.warnings.extend(warnings_for(compiled.prefixes, expansions))
        return matches

    def _with_feedback(self, plan: SearchPlan, compiled: Compiled) -> Compiled:
        """The natural query ranked head first, then by the widened query (feedback.py)."""
        ranking = ranking_of(plan)
        first = search(
            self.client,
            self.engine.urls,
            index=self.index,
            body=feedback.first_round_body(compiled.scored, ranking),
            search_type=SEARCH_TYPE,
            request_timeout=_wait(plan),
        )
        mixed = feedback.head_first(
            plan,
            feedback.FirstRound.of(first),
            compiled.boosts,
            ranking,
            self.statistics,
            compiled.scored,
            lambda pairs: self.statistics.ratios(pairs, natural=True),
        )
        if mixed is None:
            return compiled
        return replace(compiled, scored=mixed.query, head_first=mixed)

    def story(self, story_id: str) -> Article:
        with self.reading():
            try:
                found = self.client.get(index=self.index, id=story_id, _source_includes="story")
            except NotFoundError as exc:
                if _error_type(exc) == "index_not_found_exception":
                    raise
                raise ArticleNotFound(f"no story with id {story_id!r}") from None
        return story_from_source(found["_source"])

    def stories(self) -> Iterator[Article]:
        with self.reading():
            for raw in scan(
                self.client,
                index=self.index,
                query={"query": {"match_all": {}}, "_source": ["story"]},
                preserve_order=False,
            ):
                yield story_from_source(raw["_source"])

    def related(self, story_id: str, limit: int) -> list[Article]:
        """More like this on the body, leaving the story itself out."""
        body = {
            "size": limit,
            "_source": ["story"],
            "query": {
                "more_like_this": {
                    "fields": ["body"],
                    "like": [{"_index": self.index, "_id": story_id}],
                    "min_term_freq": 1,
                    "min_doc_freq": 1,
                    "max_query_terms": RELATED_TERMS,
                    "include": False,
                }
            },
            "sort": [{"_score": "desc"}, {"ordinal": "asc"}],
        }
        with self.reading():
            response = search(
                self.client, self.engine.urls, index=self.index, body=body, search_type=SEARCH_TYPE
            )
        found = [story_from_source(raw["_source"]) for raw in response["hits"]["hits"]]
        return [story for story in found if story.id != story_id][:limit]

    def labels(self, field_name: str) -> list[str]:
        def every_label() -> list[str]:
            body = {
                "size": 0,
                "aggs": {"labels": {"terms": {"field": field_name, "size": 100_000}}},
            }
            with self.reading():
                response = search(self.client, self.engine.urls, index=self.index, body=body)
            buckets = response["aggregations"]["labels"]["buckets"]
            return sorted(bucket["key"] for bucket in buckets if bucket["key"])

        return self._cached(f"labels:{field_name}", every_label)

    def vocabulary(self) -> dict[str, int]:
        def read() -> dict[str, int]:
            words: dict[str, int] = {}
            try:
                with answering(self.engine.urls):
                    for raw in scan(
                        self.client,
                        index=self.engine.names.vocabulary(self.name),
                        query={"query": {"match_all": {}}},
                    ):
                        words.update(raw["_source"].get("words", {}))
            except NotFoundError:
                return {}  # built without one: no spelling suggestions
            return words

        return self._cached("vocabulary", read)

    def built_from(self) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
        def read() -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
            try:
                with answering(self.engine.urls):
                    found = self.client.get(
                        index=self.engine.names.vocabulary(self.name), id=BUILT_FROM_ID
                    )
            except NotFoundError:
                return {}, frozenset()  # built without them: every seed file counts as changed
            seeds = found["_source"]["built_from"]
            stamps = {name: tuple(stamp) for name, stamp in seeds["stamps"].items()}
            return stamps, frozenset(seeds["skipped"])

        return self._cached("built_from", read)

    def cluster_of(self, story_id: str) -> Cluster | None:
        with self.reading():
            try:
                found = self.client.get(
                    index=self.index,
                    id=story_id,
                    _source_includes="cluster,clustered,cluster_stories",
                )
            except NotFoundError as exc:
                if _error_type(exc) == "index_not_found_exception":
                    raise
                return None
        return cluster_from_source(found["_source"])

    def cluster_count(self) -> int:
        def count() -> int:
            with self.reading():
                found = search(
                    self.client,
                    self.engine.urls,
                    index=self.index,
                    body={
                        "size": 0,
                        "query": {"term": {"clustered": True}},
                        "aggs": {"clusters": {"cardinality": {"field": "cluster"}}},
                    },
                )
            return int(found["aggregations"]["clusters"]["value"])

        return self._cached("cluster_count", count)

    def collected_days(self) -> dict[date, int]:
        """Stories with an exact date per day in the whole generation (estimates left out)."""

        def count() -> dict[date, int]:
            everything = self.run(SearchPlan(tree=None, mode="browse", limit=0))
            return {
                date.fromisoformat(item["value"]): item["count"]
                for item in everything.facets.get("day_label", [])
                if not item["value"].startswith(APPROXIMATE_MARK)
            }

        return self._cached("collected_days", count)

    def check(self, full: bool = False) -> list[str]:
        with answering(self.engine.urls):
            health = self.client.cluster.health(index=self.index, request_timeout=5)
        if health["status"] == "red":
            return [f"index {self.index} is red: some of its shards have no copy"]
        return []


class OpenSearchEngine(Engine):
    """The generations of one prefix on one cluster.

    The alias is resolved at most once a second; a newly published generation is searched from
    the next request after that.
    """

    def __init__(self, settings: object, ranking: object | None = None) -> None:
        self.settings = settings
        self.urls = str(getattr(settings, "opensearch_url", "http://127.0.0.1:9200"))
        self.names = Names(str(getattr(settings, "opensearch_prefix", "searchsvc")))
        self.shards = int(getattr(settings, "opensearch_shards", 3))
        self.replicas = int(getattr(settings, "opensearch_replicas", 1))
        self.local = Path(getattr(settings, "index", "index"))
        self.ranking = ranking
        self.client: OpenSearch = connect(self.urls)
        self._live: tuple[float, str] | None = None  # (checked at, generation name)
        self._opened: dict[str, OpenSearchGeneration] = {}
        self._lock = threading.Lock()

    # -- reading --------------------------------------------------------------------------

    def live(self) -> OpenSearchGeneration:
        return self._generation(self._live_name())

    def live_name_or_none(self) -> str | None:
        try:
            return self._live_name(recheck=True)
        except (IndexMissing, EngineUnavailable):
            return None

    def _live_name(self, recheck: bool = False) -> str:
        cached = self._live
        if cached is not None and not recheck and time.monotonic() - cached[0] < ALIAS_RECHECK_S:
            return cached[1]
        with answering(self.urls):
            try:
                found = self.client.indices.get_alias(name=self.names.alias)
            except NotFoundError:
                raise IndexMissing(
                    f"no index generation is published at {describe(self.urls)} under "
                    f"'{self.names.alias}' yet: build one with `searchsvc index`"
                ) from None
        name = self.names.generation_of(next(iter(found)))
        self._live = (time.monotonic(), name)
        return name

    def pinned(self, name: str) -> OpenSearchGeneration:
        if not name.startswith(GENERATION_PREFIX):
            raise GenerationGone(name, self.live_name_or_none())
        return self._generation(name)

    def _generation(self, name: str) -> OpenSearchGeneration:
        opened = self._opened.get(name)
        if opened is not None:
            return opened
        with answering(self.urls):
            try:
                mapping = self.client.indices.get_mapping(index=self.names.index(name))
            except NotFoundError:
                raise GenerationGone(name, None if name == "" else self._alias_target()) from None
        meta = next(iter(mapping.values()))["mappings"].get("_meta", {})
        info = GenerationInfo(
            name=name,
            doc_count=int(meta.get("doc_count", 0)),
            built_at=str(meta.get("built_at", "")),
            seeds=str(meta.get("seeds", "")),
            extra=dict(meta.get("extra", {})),
        )
        with self._lock:
            opened = self._opened.setdefault(name, OpenSearchGeneration(self, info))
            for stale in [n for n in self._opened if n != name][:-2]:
                self._opened.pop(stale, None)
        return opened

    def _alias_target(self) -> str | None:
        try:
            found = self.client.indices.get_alias(name=self.names.alias)
        except NotFoundError:
            return None
        return self.names.generation_of(next(iter(found)))

    def forget(self, name: str) -> None:
        """Drop what is known of a generation (it was deleted)."""
        with self._lock:
            self._opened.pop(name, None)
        self._live = None

    def health(self) -> dict:
        try:
            with answering(self.urls):
                health = self.client.cluster.health(request_timeout=5)
        except EngineUnavailable as exc:
            return {"status": "unavailable", "problems": [str(exc)]}
        live = self.live()  # IndexMissing when nothing is published yet, as on Whoosh
        status = {"green": "ok", "yellow": "degraded"}.get(health["status"], "unavailable")
        problems = []
        if health["status"] != "green":
            problems.append(
                f"cluster {health['cluster_name']} is {health['status']} "
                f"({health['unassigned_shards']} shard copies unassigned)"
            )
        return {
            "status": status,
            "problems": problems,
            "generation": live.name,
            "doc_count": live.info.doc_count,
            "built_at": live.info.built_at,
            "cluster": health["cluster_name"],
            "nodes": health["number_of_nodes"],
        }

    # -- writing --------------------------------------------------------------------------

    def build_lock(self, wait_s: float = 0.0) -> AbstractContextManager[None]:
        return build_lock(self.local, wait_s)

    def writer(self) -> GenerationWriter:
        from searchsvc.engines.opensearch.writer import OpenSearchWriter

        return OpenSearchWriter(self)

    def close(self) -> None:
        self.client.close()


def _wait(plan: SearchPlan) -> float:
    """How long the client waits for an answer: the deadline plus room for the reply."""
    if plan.deadline is None:
        return 30.0
    return max(plan.deadline - time.monotonic(), 0.0) + 5.0


def _error_type(exc: NotFoundError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error")
    return error.get("type", "") if isinstance(error, dict) else str(exc.error)


def open_engine(settings: object) -> OpenSearchEngine:
    return OpenSearchEngine(settings)
