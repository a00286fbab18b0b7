"""Prefix expansion (`word*`) on OpenSearch: the most frequent words over the whole generation.

Lucene expands a prefix per shard and offers no ordering by frequency (`top_terms_N` keeps the
alphabetically first N of each shard), so each generation carries a words index beside it,
`PREFIX-terms-000123`: one document per (field, index word) with the number of stories holding
it, counted by the writer from the same analysis the index uses. A prefix is then one sorted
search — the words starting with it, most stories first (searchsvc.expansion's rule), the
cap plus a few to name what was dropped, and the exact number of words it matched. The search
compiles the kept words as term clauses, as the Whoosh engine does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from searchsvc.analysis import fold
from searchsvc.expansion import DROPPED_SHOWN, Expansion, expansion_warning
from searchsvc.query import All, Any, Node, Not, Word

CACHED_PREFIXES = 2_000
Key = tuple[str, str]  # (index field, folded prefix)


def prefix_words(node: Node | None, fields_of: dict[str | None, list[str]]) -> list[Key]:
    """(index field, folded prefix) of every `word*` in the tree (excluded ones too: NOT abc*
    must leave out every story holding a kept word)."""
    if node is None:
        return []
    if isinstance(node, Word):
        if not node.prefix:
            return []
        return [(name, fold(node.text)) for name in fields_of[node.field]]
    if isinstance(node, Not):
        return prefix_words(node.child, fields_of)
    if isinstance(node, All | Any):
        return [key for child in node.children for key in prefix_words(child, fields_of)]
    return []


class PrefixWords:
    """The expansions of one generation's prefixes, looked up once each (bounded cache)."""

    def __init__(self, client: OpenSearch, index: str) -> None:
        self.client = client
        self.index = index  # the generation's words index
        self._known: OrderedDict[tuple[str, str, int], Expansion] = OrderedDict()
        self._lock = threading.Lock()
        self.available = True  # False: a generation written without a words index

    def expand(self, keys: list[Key], cap: int, timeout_s: float) -> dict[Key, Expansion]:
        """Each (field, prefix) → its expansion (empty when the generation has no words index:
        the compiler then falls back to Lucene's own prefix query)."""
        wanted = list(dict.fromkeys(keys))
        missing = [key for key in wanted if (*key, cap) not in self._known]
        if missing and self.available:
            self._look_up(missing, cap, timeout_s)
        return {key: self._known[(*key, cap)] for key in wanted if (*key, cap) in self._known}

    def _look_up(self, keys: list[Key], cap: int, timeout_s: float) -> None:
        searches: list[dict] = []
        for field_name, stem in keys:
            searches.append({"index": self.index})
            searches.append(
                {
                    "size": cap + DROPPED_SHOWN,
                    "track_total_hits": True,
                    "query": {
                        "bool": {
                            "filter": [
                                {"term": {"field": field_name}},
                                {"prefix": {"term": stem}},
                            ]
                        }
                    },
                    "sort": [{"df": "desc"}, {"term": "asc"}],
                    "_source": ["term", "df"],
                }
            )
        try:
            answers = self.client.msearch(body=searches, request_timeout=timeout_s)["responses"]
        except NotFoundError:
            self.available = False
            return
        if any(_missing_index(answer) for answer in answers):
            self.available = False
            return
        with self._lock:
            for key, answer in zip(keys, answers, strict=True):
                found = [(h["_source"]["term"], h["_source"]["df"]) for h in answer["hits"]["hits"]]
                total = int(answer["hits"]["total"]["value"])
                kept = tuple(found[:cap])
                dropped = tuple(word for word, _ in found[cap:])
                self._known[(*key, cap)] = Expansion(kept, total, dropped)
            while len(self._known) > CACHED_PREFIXES:
                self._known.popitem(last=False)


def warnings_for(searched: list[tuple[str, str, str]], found: dict[Key, Expansion]) -> list[str]:
    """One warning per capped prefix (`searched`: the compiler's (field, prefix, as typed)),
    about the field where it matched most words."""
    by_typed: dict[str, list[Expansion]] = {}
    for field_name, stem, typed in searched:
        expansion = found.get((field_name, stem))
        if expansion is not None and expansion.capped:
            by_typed.setdefault(typed, []).append(expansion)
    said = []
    for typed, capped in by_typed.items():
        worst = max(capped, key=lambda e: e.total)
        said.append(expansion_warning(typed, worst.total, len(worst.kept), worst.dropped))
    return said


def _missing_index(answer: dict) -> bool:
    error = answer.get("error")
    return isinstance(error, dict) and error.get("type") == "index_not_found_exception"
