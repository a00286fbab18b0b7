"""Story clusters at search time: one hit per cluster (collapse=1), and a story's cluster.

The clusters themselves are computed at index time (searchsvc/clusters.py) and written beside
the generation (clusters.json); a generation reads them once, on first use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.collectors import CollapseCollector, Collector, TopCollector
from whoosh.searching import Searcher
from whoosh.sorting import FunctionFacet

from searchsvc.engines.whoosh.deadlines import TimeLimited
from searchsvc.engines.whoosh.generations import CLUSTERS_FILE
from searchsvc.model import Cluster


@dataclass
class StoryClusters:
    """A generation's clusters; `key` numbers clusters from 1 for Whoosh's collapsing."""

    clusters: list[Cluster]
    by_story: dict[str, int] = field(default_factory=dict)  # story id → index into clusters
    by_docnum: dict[int, int] = field(default_factory=dict)  # docnum → index into clusters
    docnums: list[list[int]] = field(default_factory=list)  # per cluster, its stories' docnums

    @classmethod
    def load(cls, folder: Path, searcher: Searcher) -> StoryClusters:
        """A generation's clusters (none when it was built before clusters existed)."""
        try:
            document = json.loads((folder / CLUSTERS_FILE).read_text("utf-8"))
        except FileNotFoundError:
            document = {"clusters": []}  # built before clusters existed: rebuild to get them
        found = cls([Cluster(group[0]["id"], tuple(group)) for group in document["clusters"]])
        for index, cluster in enumerate(found.clusters):
            docnums = []
            for story in cluster.stories:
                found.by_story[story["id"]] = index
                docnum = searcher.document_number(id=story["id"])
                if docnum is not None:
                    found.by_docnum[docnum] = index
                    docnums.append(docnum)
            found.docnums.append(docnums)
        return found

    def cluster_of(self, story_id: str) -> Cluster | None:
        index = self.by_story.get(story_id)
        return None if index is None else self.clusters[index]

    def key(self, docnum: int) -> int | None:
        """1-based cluster number, or None for a story in no cluster (never collapsed)."""
        index = self.by_docnum.get(docnum)
        return None if index is None else index + 1


class Collapse:
    """One search's collapsing: one hit per cluster, with counts over every match."""

    def __init__(self, clusters: StoryClusters) -> None:
        self.clusters = clusters

    def collector(self, top: TopCollector, time_limit_s: float | None) -> Collector:
        """Whoosh's CollapseCollector keeping each cluster's best hit. The time limit is checked
        inside it: TimeLimitCollector cannot wrap it (it calls the inner collect() directly,
        bypassing the collapsing)."""

        def key(_searcher: Searcher, docnum: int) -> int | None:
            return self.clusters.key(docnum)

        inner = TimeLimited(top, time_limit_s) if time_limit_s is not None else top
        return CollapseCollector(inner, FunctionFacet(key), limit=1)

    def best_per_cluster(
        self, keyed: Iterable[tuple[int, int]], highest: bool
    ) -> Iterator[tuple[int, int]]:
        """(sort key, docnum) pairs, keeping each cluster's first by that order (max or min)."""
        best: dict[int, tuple[int, int]] = {}
        for item in keyed:
            cluster = self.clusters.key(item[1])
            if cluster is None:
                yield item
                continue
            kept = best.get(cluster)
            if kept is None or (item > kept if highest else item < kept):
                best[cluster] = item
        yield from best.values()

    def count(self, matched_docnums: Iterable[int]) -> tuple[int, set[int]]:
        """(clusters among the matches, lone stories counting one each; the matched docnums)."""
        matched = set(matched_docnums)
        keys = {self.clusters.key(docnum) for docnum in matched}
        lone = sum(1 for docnum in matched if self.clusters.key(docnum) is None)
        return len(keys - {None}) + lone, matched

    def describe(self, docnum: int, matched: set[int]) -> dict | None:
        """What a hit says about its cluster: the other matching stories ("+N more")."""
        index = self.clusters.by_docnum.get(docnum)
        if index is None:
            return None
        cluster = self.clusters.clusters[index]
        members = dict(zip(self.clusters.docnums[index], cluster.stories, strict=False))
        others = [story for other, story in members.items() if other != docnum and other in matched]
        return {
            "id": cluster.id,
            "size": len(cluster.stories),
            "more": len(others),
            "others": others,
        }
