"""Term weights as the Whoosh engine gives them, on top of Lucene's BM25.

Lucene's BM25 weighs a term by log(1 + (D - df + 0.5) / (df + 0.5)), D being the stories that
have the field at all; Whoosh's keyword search by log(N / (df + 1)) + 1 over every story, and
its natural-language search by Lucene's formula over every story (ranking.py). A word found in
most stories counts for almost nothing in Lucene's formula and for about one point in
Whoosh's, so a two-word query could rank differently on the two engines. Each term clause
therefore gets the ratio of the two as a boost: its score becomes exactly the Whoosh weight
times Lucene's tf part, with the statistics of the whole generation (one aggregation request
per search for terms not seen before, cached per generation). Prefix expansions keep Lucene's
weights (their terms are chosen inside the cluster).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

from opensearchpy import OpenSearch

from searchsvc.engines.opensearch.client import search
from searchsvc.engines.opensearch.mapping import TEXT_FIELDS
from searchsvc.query import All as AllNode
from searchsvc.query import Any as AnyNode
from searchsvc.query import Node, Phrase, Word
from searchsvc.query import Not as NotNode
from searchsvc.ranking import searchable_words

CACHED_TERMS = 50_000


def lucene_idf(docs_with_field: int, df: int) -> float:
    return math.log(1 + (docs_with_field - df + 0.5) / (df + 0.5))


def whoosh_idf(stories: int, df: int) -> float:
    return math.log(stories / (df + 1)) + 1


class TermStatistics:
    """Document frequencies of (field, term) and stories per field, over one generation."""

    def __init__(self, client: OpenSearch, index: str, urls: str) -> None:
        self.client = client
        self.urls = urls
        self.index = index
        self._df: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._fields: dict[str, int] | None = None
        self._stories = 0
        self._lock = threading.Lock()

    def ratios(self, pairs: set[tuple[str, str]], natural: bool) -> dict[tuple[str, str], float]:
        """(field, term) → the boost that turns Lucene's idf into the Whoosh engine's."""
        if not pairs:
            return {}
        self._fetch({pair for pair in pairs if pair not in self._df})
        ratios = {}
        for field_name, term in pairs:
            df = self._df.get((field_name, term), 0)
            with_field = (self._fields or {}).get(field_name, 0)
            if df == 0 or with_field == 0:
                continue
            lucene = lucene_idf(with_field, df)
            wanted = lucene_idf(self._stories, df) if natural else whoosh_idf(self._stories, df)
            if lucene > 0:
                ratios[(field_name, term)] = wanted / lucene
        return ratios

    def story_count(self) -> int:
        """Stories in the generation."""
        self._fetch(set())
        return self._stories

    def frequencies(self, field_name: str, terms: list[str]) -> dict[str, int]:
        """term → the number of stories whose `field_name` holds it (0: none)."""
        self._fetch({(field_name, term) for term in terms if (field_name, term) not in self._df})
        return {term: self._df.get((field_name, term), 0) for term in terms}

    def remember(self, field_name: str, frequencies: dict[str, int]) -> None:
        """Story counts learnt elsewhere (a prefix's words index): no lookup for them."""
        with self._lock:
            for term, df in frequencies.items():
                self._df[(field_name, term)] = df

    def _fetch(self, missing: set[tuple[str, str]]) -> None:
        if not missing and self._fields is not None:
            return
        aggs: dict = {}
        named = sorted(missing)
        for n, (field_name, term) in enumerate(named):
            aggs[f"t{n}"] = {"filter": {"term": {field_name: term}}}
        for field_name in TEXT_FIELDS:
            aggs[f"f_{field_name}"] = {"filter": {"exists": {"field": field_name}}}
        body = {"size": 0, "track_total_hits": True, "query": {"match_all": {}}, "aggs": aggs}
        response = search(self.client, self.urls, index=self.index, body=body)
        found = response["aggregations"]
        with self._lock:
            self._stories = response["hits"]["total"]["value"]
            self._fields = {name: found[f"f_{name}"]["doc_count"] for name in TEXT_FIELDS}
            for n, pair in enumerate(named):
                self._df[pair] = found[f"t{n}"]["doc_count"]
            while len(self._df) > CACHED_TERMS:
                self._df.popitem(last=False)


def scored_terms(
    node: Node | None, boosts: dict[str, float], field_names: dict[str, str]
) -> set[tuple[str, str]]:
    """(index field, term) of every scored word and phrase word of the tree."""
    if node is None:
        return set()
    if isinstance(node, Word | Phrase):
        if isinstance(node, Word) and node.prefix:
            return set()
        fields = list(boosts) if node.field is None else [field_names.get(node.field, "")]
        terms = searchable_words(node.text)
        return {(name, term) for name in fields if name in TEXT_FIELDS for term in terms}
    if isinstance(node, NotNode):
        return set()  # excluded words are not scored
    assert isinstance(node, AllNode | AnyNode)
    return {pair for child in node.children for pair in scored_terms(child, boosts, field_names)}
