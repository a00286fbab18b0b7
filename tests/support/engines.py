"""Helpers for tests that put the same stories into several engines."""

from __future__ import annotations

from searchsvc.engines.base import Generation
from searchsvc.extract.article import Article
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
