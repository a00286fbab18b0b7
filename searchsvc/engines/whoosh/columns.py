"""The generation's per-document columns as numpy arrays, and what searches compute over them:
filter masks, facet counts and date order over the matches' global document numbers.

Each function gives the answer its list-and-Counter counterpart gave (FilterRule.test, a
Counter per facet, heapq over (key, docnum) pairs), in vectorised steps; the equivalence tests
compare the cached-postings path with the matcher path, which takes the Whoosh queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from searchsvc.engines.whoosh.compiling import FilterRule

_NO_DAY = -1
_LAST_DAY = 99_999_999


@dataclass(frozen=True)
class LabelColumn:
    """A label field over the generation: each document's value as a code into `values`."""

    codes: np.ndarray
    values: list

    @classmethod
    def of(cls, labels: list) -> LabelColumn:
        values = list(dict.fromkeys(labels))
        number = {value: code for code, value in enumerate(values)}
        return cls(np.fromiter((number[v] for v in labels), np.int32, len(labels)), values)

    def counts(self, docs: np.ndarray) -> Counter:
        """How many of `docs` hold each value (values none of them holds left out)."""
        tally = np.bincount(self.codes[docs], minlength=len(self.values))
        return Counter({self.values[c]: int(tally[c]) for c in np.flatnonzero(tally)})

    def accepting(self, accepted: frozenset) -> np.ndarray:
        wanted = [code for code, value in enumerate(self.values) if value in accepted]
        return np.isin(self.codes, np.array(wanted, dtype=np.int32))


def day_numbers(days: list[int | None]) -> np.ndarray:
    """Each story's day as YYYYMMDD, -1 for an undated story."""
    return np.fromiter((_NO_DAY if d is None else d for d in days), np.int64, len(days))


def sort_keys(keys: list) -> np.ndarray:
    """A raw sort column (Whoosh's sortable integers) as an array that compares the same way."""
    if keys and min(keys) >= 0:
        return np.array(keys, dtype=np.uint64)
    return np.array(keys, dtype=np.int64)


def filter_mask(rule: FilterRule, labels, days) -> np.ndarray | None:  # noqa: ANN001
    """FilterRule.test as a mask over global document numbers (None: nothing filtered).
    `labels(name)` gives a LabelColumn, `days()` the day_numbers array."""
    masks = [labels(name).accepting(frozenset(values)) for name, values in rule.labels()]
    if rule.has_dates():
        by_day = days()
        low = 0 if rule.low is None else rule.low
        high = _LAST_DAY if rule.high is None else rule.high
        masks.append((by_day != _NO_DAY) & (by_day >= low) & (by_day <= high))
    if not masks:
        return None
    return np.logical_and.reduce(masks) if len(masks) > 1 else masks[0]


def first_by_key(keys: np.ndarray, docs: np.ndarray, limit: int, highest: bool) -> list[tuple]:
    """(key, docnum) of the first `limit` documents by key, in the order heapq gives over
    (key, docnum) pairs: descending with ties to the higher docnum when `highest`, else
    ascending with ties to the lower."""
    if not len(docs) or limit <= 0:
        return []
    docs = np.asarray(docs)
    values = keys[docs]
    if limit < len(values):
        at = len(values) - limit if highest else limit - 1
        edge = np.partition(values, at)[at]
        chosen = np.flatnonzero(values >= edge if highest else values <= edge)
        docs, values = docs[chosen], values[chosen]
    order = np.lexsort((docs, values))
    if highest:
        order = order[::-1]
    order = order[:limit]
    return list(zip(values[order].tolist(), docs[order].tolist(), strict=True))
