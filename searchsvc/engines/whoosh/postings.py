"""Word, AND and OR queries answered from postings decoded in bulk and cached per generation.

Whoosh answers a query by stepping matcher objects through the postings one document at a time,
in Python: about 1 µs per posting to decode, and several more per posting and query level to
merge and score. the matcher path does that twice per query (an unscored pass for the exact
total and facets, a block-max pass for the top hits), which made those two passes three
quarters of a search at 100k stories (benchmarks/search_speed.py, profiled per phase).

Here a term's postings are read block by block, once per index generation, and scored in one
comprehension with the same BM25F formula and statistics Whoosh's scorer uses, then kept in an
LRU bounded by the number of postings (a generation never changes, so nothing is invalidated).
A query then becomes dictionary algebra (union sums scores, intersection adds them) that yields
the exact total and every score in one step; the top hits are a partial sort. A query of any
other shape (phrases, natural language, exclusions of phrases...) returns None and takes the
matcher path; tests/test_performance_paths.py checks both paths give the same totals, hits and
scores.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from heapq import nlargest
from itertools import accumulate
from operator import itemgetter

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer, WeightingModel
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from searchsvc.engines.whoosh.ranking import HeadFirst

Scores = dict[int, float]  # global document number → score
# Postings kept decoded per process and generation (≈ 100 bytes each as dict entries).
CACHE_POSTINGS = 1_500_000
_LENGTHS = [byte_to_length(b) for b in range(256)]


class PostingsCache:
    """Scored postings of (field, term, weighting, boost), most recently used kept."""

    def __init__(self, searcher: Searcher, budget: int = CACHE_POSTINGS) -> None:
        self.searcher = searcher
        self.budget = budget
        self._entries: OrderedDict[tuple, Scores] = OrderedDict()
        self._size = 0
        self._lengths: dict[tuple[int, str], bytes] = {}
        self._lock = threading.Lock()

    def term(self, fieldname: str, text: str, weighting: WeightingModel, boost: float) -> Scores:
        key = (fieldname, text, weighting_key(weighting), boost)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        scores = self._read(fieldname, text, weighting, boost)
        with self._lock:
            self._entries[key] = scores
            self._size += len(scores)
            while self._size > self.budget and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)
        return scores

    def _read(self, fieldname: str, text: str, weighting: WeightingModel, boost: float) -> Scores:
        field = self.searcher.schema[fieldname]
        btext = field.to_bytes(text)
        scores: Scores = {}
        for number, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
            reader = sub.reader()
            if (fieldname, btext) not in reader:
                continue
            scorer = weighting.scorer(sub, fieldname, btext)
            if type(scorer).score is not BM25FScorer.score or not hasattr(scorer, "idf"):
                raise Unsupported(f"scorer {type(scorer).__name__}")
            ids, weights, deleted = _decoded(reader.postings(fieldname, btext))
            lengths = self._segment_lengths(number, reader, fieldname)
            idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
            # The expression of whoosh.scoring.bm25, term for term, so the floats are the same.
            part = [
                idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * _LENGTHS[lengths[d]] / avgfl)))
                for d, tf in zip(ids, weights, strict=True)
            ]
            if boost != 1.0:
                part = [s * boost for s in part]
            if len(deleted) > len(ids):
                kept = [i for i, d in enumerate(ids) if d not in deleted]
                ids, part = [ids[i] for i in kept], [part[i] for i in kept]
                deleted = set()
            scores.update(zip([offset + d for d in ids], part, strict=True))
            for docnum in deleted:  # usually far fewer than the postings: dropped afterwards
                scores.pop(offset + docnum, None)
        return scores

    def _segment_lengths(self, number: int, reader, fieldname: str) -> bytes:  # noqa: ANN001
        key = (number, fieldname)
        lengths = self._lengths.get(key)
        if lengths is None:
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:
                raise Unsupported(f"no lengths for {fieldname}")
            lengths = self._lengths[key] = bytes(column)
        return lengths


class Unsupported(Exception):
    """This query (or index) is answered by the matcher path instead."""


def weighting_key(weighting: WeightingModel) -> tuple:
    return (
        type(weighting).__name__,
        getattr(weighting, "B", None),
        getattr(weighting, "K1", None),
        tuple(sorted(getattr(weighting, "_field_B", {}).items())),
    )


def _decoded(matcher) -> tuple[list[int], list[float], set[int]]:  # noqa: ANN001 - Whoosh's
    """Every (document, term frequency) of a segment's postings, and the segment's deleted
    documents (which the postings still list)."""
    excluded: set[int] = set()
    if isinstance(matcher, FilterMatcher):  # the segment has deletions
        if not matcher._exclude or matcher.boost != 1.0:
            raise Unsupported("include-filtered postings")
        excluded = set(matcher._ids)
        matcher = matcher.child
        matcher.reset()  # the filter may have stepped past leading deleted documents
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while True:  # whole blocks at a time: ids and weights are decoded arrays per block
            matcher._read_data()
            block_ids = matcher._data[0]
            # Whoosh stores a block's ids as gaps and sums them in a Python generator.
            ids.extend(block_ids if matcher._byteids else accumulate(block_ids))
            matcher._read_weights()
            weights.extend(matcher._weights)
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return ids, weights, excluded


def evaluate(
    cache: PostingsCache, q: wq.Query, weighting: WeightingModel, deadline: float | None = None
) -> Scores | None:
    """Every match of `q` with its score, or None when `q` needs the matcher path.

    Past `deadline` (time.monotonic()) no further term is read: the answer is None, and the
    matcher path, which stops at its first check, reports the search as timed out.
    """
    try:
        return _scores(cache, q, weighting, deadline)
    except Unsupported:
        return None


def _scores(
    cache: PostingsCache, q: wq.Query, weighting: WeightingModel, deadline: float | None
) -> Scores:
    if isinstance(q, wq.Term):
        return _term_scores(cache, q, weighting, deadline)
    if q is wq.NullQuery:
        return {}
    if type(q) is wq.Or and q.boost == 1.0 and not q.minmatch and q.scale is None:
        return _union([_scores(cache, c, weighting, deadline) for c in q.subqueries])
    if type(q) is wq.And and q.boost == 1.0:
        return _intersection([_scores(cache, c, weighting, deadline) for c in q.subqueries])
    if type(q) is HeadFirst:
        return _head_first(
            q,
            _scores(cache, q.child, weighting, deadline),
            _scores(cache, q.feedback, weighting, deadline),
        )
    if type(q) is wq.AndNot and q.boost == 1.0:
        positive = _scores(cache, q.a, weighting, deadline)
        negative = _scores(cache, q.b, weighting, deadline)
        return {d: s for d, s in positive.items() if d not in negative}
    raise Unsupported(type(q).__name__)


def _term_scores(
    cache: PostingsCache, q: wq.Term, weighting: WeightingModel, deadline: float | None
) -> Scores:
    if deadline is not None and time.monotonic() > deadline:
        raise Unsupported("deadline passed")
    if not isinstance(q.text, str) or q.fieldname not in cache.searcher.schema:
        raise Unsupported("term")
    if not cache.searcher.schema[q.fieldname].scorable:
        raise Unsupported("unscored field")
    return cache.term(q.fieldname, q.text, weighting, q.boost)


def _head_first(q: HeadFirst, child: Scores, feedback: Scores) -> Scores:
    """ranking.HeadFirst's scores: the first round's head as it was, then HeadFirst.mixed for
    every other story the query's words match."""
    head = q.head
    return {
        docnum: head[docnum] if docnum in head else q.mixed(score, feedback.get(docnum))
        for docnum, score in child.items()
    }


def _union(parts: list[Scores]) -> Scores:
    parts = sorted((p for p in parts if p), key=len, reverse=True)
    if not parts:
        return {}
    merged = dict(parts[0])
    for part in parts[1:]:
        get = merged.get
        for d, s in part.items():
            old = get(d)
            merged[d] = s if old is None else old + s
    return merged


def _intersection(parts: list[Scores]) -> Scores:
    if not parts or any(not p for p in parts):
        return {}
    ordered = sorted(parts, key=len)
    common = ordered[0].keys()
    for part in ordered[1:]:
        common = common & part.keys()
        if not common:
            return {}
    return {d: sum(p[d] for p in parts) for d in common}


def top(scores: Scores, limit: int) -> list[tuple[float, int]]:
    """The best `limit` as (score, docnum), ties going to the lower document number (Whoosh's
    TopCollector order)."""
    if not scores or limit <= 0:
        return []
    best = nlargest(limit, scores.items(), key=itemgetter(1))
    floor = best[-1][1]
    tied = [(s, d) for d, s in scores.items() if s >= floor] if len(best) == limit else None
    chosen = tied if tied is not None else [(s, d) for d, s in best]
    chosen.sort(key=lambda sd: (-sd[0], sd[1]))
    return chosen[:limit]


def keep_only(scores: Scores, allowed: Callable[[int], bool]) -> Scores:
    return {d: s for d, s in scores.items() if allowed(d)}
