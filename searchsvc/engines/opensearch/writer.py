"""Writing generations: create the index, bulk-load the stories, then publish with one atomic
`_aliases` call and prune the oldest. Imported only by the indexing pipeline.

A build writes into a fresh index that no reader follows until `publish`; an interrupted build
leaves an index the next `prune` deletes (it is never published, so never searched).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING

from opensearchpy import OpenSearch
from opensearchpy.helpers import streaming_bulk

from searchsvc.analysis import index_words, label_words, surface_word_set
from searchsvc.engines.base import (
    Clusters,
    GenerationInfo,
    GenerationWriter,
    Progress,
    resolve_clusters,
)
from searchsvc.engines.opensearch import stems
from searchsvc.engines.opensearch.client import answering
from searchsvc.engines.opensearch.documents import indexed_body, story_document
from searchsvc.engines.opensearch.engine import BUILT_FROM_ID, GENERATION_PREFIX
from searchsvc.engines.opensearch.mapping import index_body
from searchsvc.extract.article import Article
from searchsvc.model import Cluster
from searchsvc.ranking import DEFAULT_RANKING

if TYPE_CHECKING:
    from searchsvc.engines.opensearch.engine import OpenSearchEngine

BULK_CHUNK = 500
VOCABULARY_CHUNK = 20_000  # words per vocabulary document
TERMS_CHUNK = 5_000  # index words per bulk request
PROGRESS_EVERY = 1000


class OpenSearchWriter(GenerationWriter):
    def __init__(self, engine: OpenSearchEngine) -> None:
        self.engine = engine
        self.client = engine.client
        self.names = engine.names

    def write(
        self,
        stories: Iterable[Article],
        clusters: Clusters,
        info: GenerationInfo,
        base: str | None,
        progress: Progress | None = None,
    ) -> str:
        """Every story into a new index (`base` is not reused: an index is written whole)."""
        index = self.names.index(info.name)
        ranking = self.engine.ranking or DEFAULT_RANKING
        stories = list(stories)  # read twice: the words first (stems.py), then the stories
        # Only the build's summary goes into the index's _meta (cluster state holds it): the
        # seed stamps get a document of their own, and per-story data (fingerprints, stamps
        # of every file) are the Whoosh folder's business.
        extra = {key: info.extra[key] for key in ("summary", "skipped") if key in info.extra}
        seeds = info.extra.get("built_from")
        info = GenerationInfo(info.name, info.doc_count, info.built_at, info.seeds, extra)
        clusters = resolve_clusters(clusters)  # each document carries its cluster
        cluster_of = {story["id"]: cluster for cluster in clusters for story in cluster.stories}
        words: Counter[str] = Counter()
        terms = IndexWords()
        with answering(self.engine.urls):
            overrides = stem_overrides(self.client, stories)
            self.client.indices.create(
                index=index,
                body=index_body(
                    self.engine.shards,
                    self.engine.replicas,
                    ranking.k1,
                    ranking.b,
                    meta(info),
                    overrides,
                ),
            )
            written = 0
            documents = self._documents(stories, cluster_of, words, terms)
            for ok, item in streaming_bulk(
                self.client, documents, index=index, chunk_size=BULK_CHUNK, max_retries=3
            ):
                if not ok:
                    raise RuntimeError(f"a story could not be indexed: {item}")
                written += 1
                if progress and written % PROGRESS_EVERY == 0:
                    progress("write", written, info.doc_count or written)
            self._write_vocabulary(info.name, words, seeds)
            self._write_terms(info.name, terms)
            final = GenerationInfo(
                info.name,
                written,
                info.built_at,
                info.seeds,
                {**info.extra, "engine": "opensearch"},
            )
            self.client.indices.put_settings(
                index=index, body={"index": {"refresh_interval": "1s"}}
            )
            self.client.indices.refresh(index=index)
            self.client.indices.put_mapping(index=index, body={"_meta": meta(final)})
            self.client.cluster.health(
                index=index, wait_for_status="yellow", timeout="60s", request_timeout=70
            )
        if progress:
            progress("write", written, written)
        return info.name

    @staticmethod
    def _documents(
        stories: Iterable[Article],
        cluster_of: dict[str, Cluster],
        words: Counter[str],
        terms: IndexWords,
    ) -> Iterator[dict]:
        for ordinal, story in enumerate(stories):
            words.update(surface_word_set(f"{story.title or ''}\n{story.text}"))
            terms.add(story)
            yield {
                "_id": story.id,
                "_source": story_document(story, ordinal, cluster_of.get(story.id)),
            }

    def _write_vocabulary(
        self, generation: str, words: Counter[str], seeds: dict | None = None
    ) -> None:
        """The spelling vocabulary in chunks, and the seed files' stamps (BUILT_FROM_ID)."""
        index = self.names.vocabulary(generation)
        self.client.indices.create(
            index=index,
            body={
                "settings": {"number_of_shards": 1, "number_of_replicas": self.engine.replicas},
                "mappings": {
                    "dynamic": False,
                    "properties": {"words": {"type": "object", "enabled": False}},
                },
            },
        )
        ordered = sorted(words.items())
        for start in range(0, len(ordered), VOCABULARY_CHUNK):
            chunk = dict(ordered[start : start + VOCABULARY_CHUNK])
            self.client.index(index=index, body={"words": chunk})
        if seeds is not None:
            self.client.index(index=index, id=BUILT_FROM_ID, body={"built_from": seeds})
        self.client.indices.refresh(index=index)

    def _write_terms(self, generation: str, terms: IndexWords) -> None:
        index = self.names.terms(generation)
        keyword = {"type": "keyword"}
        self.client.indices.create(
            index=index,
            body={
                "settings": {
                    "number_of_shards": 1,
                    "number_of_replicas": self.engine.replicas,
                    "refresh_interval": "-1",
                },
                "mappings": {
                    "dynamic": "strict",
                    "properties": {"field": keyword, "term": keyword, "df": {"type": "integer"}},
                },
            },
        )
        documents = (
            {"_source": {"field": field_name, "term": term, "df": df}}
            for field_name, counts in terms.counts.items()
            for term, df in counts.items()
        )
        for ok, item in streaming_bulk(
            self.client, documents, index=index, chunk_size=TERMS_CHUNK, max_retries=3
        ):
            if not ok:
                raise RuntimeError(f"an index word could not be written: {item}")
        self.client.indices.put_settings(index=index, body={"index": {"refresh_interval": "1s"}})
        self.client.indices.refresh(index=index)

    def publish(self, name: str) -> None:
        """Point the alias at `name` and away from every other index, in one request."""
        alias = self.names.alias
        with answering(self.engine.urls):
            self.client.indices.update_aliases(
                body={
                    "actions": [
                        {"remove": {"index": f"{alias}-*", "alias": alias, "must_exist": False}},
                        {"add": {"index": self.names.index(name), "alias": alias}},
                    ]
                }
            )
        self.engine.forget(name)

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` generations; never the live one."""
        with answering(self.engine.urls):
            names = self._generation_names()
            live = self.engine.live_name_or_none()
            old = [name for name in names if name != live]
            doomed = old[: max(0, len(old) - (keep - 1))]
            for name in doomed:
                self.client.indices.delete(
                    index=",".join(
                        (
                            self.names.index(name),
                            self.names.vocabulary(name),
                            self.names.terms(name),
                        )
                    ),
                    ignore_unavailable=True,
                )
                self.engine.forget(name)
        return doomed

    def next_name(self) -> str:
        with answering(self.engine.urls):
            names = self._generation_names()
        numbers = [int(name.removeprefix(GENERATION_PREFIX)) for name in names]
        return f"{GENERATION_PREFIX}{max(numbers, default=0) + 1:06d}"

    def _generation_names(self) -> list[str]:
        found = self.client.indices.get(
            index=self.names.generations_pattern, expand_wildcards="open,closed"
        )
        names = [self.names.generation_of(index) for index in found]
        return sorted(n for n in names if n.removeprefix(GENERATION_PREFIX).isdigit())


def stem_overrides(client: OpenSearch, stories: list[Article]) -> list[str]:
    """The generation's stemmer_override rules: Whoosh's stem for each word of these stories
    that Lucene's Porter stems otherwise (stems.py)."""
    words: set[str] = set()
    for story in stories:
        for value in (story.title, story.text, story.caption):
            if value:
                words |= stems.surface_words(value)
    return stems.rules(stems.overrides(client, stems.unstemmed_tokens(words)))


class IndexWords:
    """Stories per index word and field, as the index's analysis makes them (mapping.py mirrors
    searchsvc.analysis, so these are the words Lucene holds): prefix expansion's frequencies."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}

    def add(self, story: Article) -> None:
        free_text = {"title": story.title, "body": indexed_body(story), "caption": story.caption}
        for field_name, value in free_text.items():
            if value:
                self._count(field_name, index_words(value))
        labels = {"outlet_text": story.outlet, "category_text": story.category}
        for field_name, value in labels.items():
            if value:
                self._count(field_name, label_words(value))

    def _count(self, field_name: str, words: Iterable[str]) -> None:
        self.counts.setdefault(field_name, Counter()).update(words)


def meta(info: GenerationInfo) -> dict:
    return asdict(info)
