"""Helpers for tests that put the same stories into several engines."""

from __future__ import annotations

import uuid
from pathlib import Path

from searchsvc.config import Settings, load_settings
from searchsvc.engines import open_engine
from searchsvc.engines.base import Generation
from searchsvc.extract.article import Article
from searchsvc.indexing.pipeline import BuildSummary, build
from searchsvc.model import Cluster, SearchPlan
from searchsvc.query import is_plain_words, parse
from searchsvc.ranking import DEFAULT_RANKING, is_natural, searchable_words
from searchsvc.search import sentence_words


def stories_and_clusters(generation: Generation) -> tuple[list[Article], list[Cluster]]:
    """A generation's stories (in its own order) and its clusters, to write into another
    engine exactly as the indexer made them."""
    stories = list(generation.stories())
    clusters: dict[str, Cluster] = {}
    for story in stories:
        cluster = generation.cluster_of(story.id)
        if cluster is not None:
            clusters.setdefault(cluster.id, cluster)
    return stories, list(clusters.values())


def plan_for(q: str, **kwargs: object) -> SearchPlan:
    """What search() asks an engine for a query (the mode chosen as search.py chooses it)."""
    tree = parse(q)
    words = tuple(searchable_words(q)) if is_plain_words(tree) else ()
    if tree is None:
        mode = "browse"
    elif is_natural(words, DEFAULT_RANKING):
        mode = "natural"
    else:
        mode = "all"
    if mode == "natural":
        words = sentence_words(list(words))
    return SearchPlan(tree=tree, mode=mode, words=words, **({"limit": 20} | kwargs))


class OpenSearchPrefixes:
    """Seed folders built by the real pipeline (`searchsvc index`'s build) into OpenSearch, each
    under a prefix of this test session's own on one cluster; all deleted at the end."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.session = f"searchsvc-test-{uuid.uuid4().hex[:8]}"
        self.built = 0

    def config(self, name: str) -> dict:
        """create_app's config (and load_settings' fields, upper-cased) for prefix `name`."""
        return {
            "ENGINE": "opensearch",
            "OPENSEARCH_URL": self.url,
            "OPENSEARCH_PREFIX": f"{self.session}-{name}",
            "OPENSEARCH_SHARDS": 3,  # several shards even on one node: scores must not care
            "OPENSEARCH_REPLICAS": 0,  # a 1-node cluster stays green
            "INDEX": self.folder / name,  # the local build state: extraction cache, lock
        }

    def build(self, seeds: Path, **options: object) -> dict:
        """Build `seeds` into a new prefix; its create_app config."""
        self.built += 1
        config = self.config(f"p{self.built}")
        rebuild(config, seeds, **options)
        return config

    def delete_all(self) -> None:
        engine = open_engine(settings_of(self.config("any")))
        try:
            engine.client.indices.delete(index=f"{self.session}-*", expand_wildcards="all")
        finally:
            engine.close()


def settings_of(config: dict) -> Settings:
    return load_settings(**{key.lower(): value for key, value in config.items()})


def rebuild(config: dict, seeds: Path, **options: object) -> BuildSummary:
    """One `searchsvc index` run into the engine and folder `config` names."""
    settings = settings_of(config)
    engine = open_engine(settings)
    try:
        return build(seeds, settings.index, engine=engine, **options)
    finally:
        engine.close()
