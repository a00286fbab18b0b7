"""Word, AND and OR queries answered from postings decoded once into numpy arrays.

Whoosh answers a query by stepping matcher objects through the postings one document at a time,
in Python: about 1 µs per posting to decode, and several more per posting and query level to
merge and score. Here a term's postings are decoded block by block into two arrays per segment
(document numbers, term frequencies) and kept in a `PostingsStore`: one LRU per process,
bounded in bytes, keyed by the segment's id. A segment never changes once written (a new
generation reuses the previous one's segments, only their deletions change), so a new
generation finds the postings of every unchanged segment already decoded.

Per generation, a term's arrays are scored in one vectorised step with the same BM25F formula
and statistics Whoosh's scorer uses, operation for operation in float64, so every score is the
float Whoosh computes; the scored arrays are kept in the same store under the generation's key.
A query is then array algebra over sorted global document numbers (`Scored`): OR accumulates
scores per document in the order the dictionary version added them, AND intersects by binary
search and sums in the query's order, AND NOT drops the excluded documents, and the top hits
are a partition then a sort that breaks ties on the lower document number (Whoosh's order).
A query of any other shape (phrases, exclusions of phrases...) returns None and takes the
matcher path; tests/test_whoosh_equivalence.py checks scores, totals and hits against Whoosh.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25FScorer, WeightingModel
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from searchsvc.engines.whoosh.ranking import HeadFirst

# Decoded and scored postings kept per process (all generations together).
CACHE_BYTES = 256 * 1024 * 1024
# Field length of each length byte, as Whoosh's scorer reads it.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_DOCNUM = np.int32
# A union whose parts hold fewer postings than the generation's documents over this many is
# accumulated over its own documents rather than over every document of the generation.
_SPARSE_UNION = 8


@dataclass(frozen=True)
class Scored:
    """Matching documents (global numbers, ascending, no repeats) and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def nbytes(self) -> int:
        return self.docs.nbytes + self.scores.nbytes

    def holds(self, docnums: np.ndarray) -> np.ndarray:
        """For each of `docnums`, whether it is one of these documents."""
        return _member(self.docs, docnums)

    def where(self, keep: np.ndarray) -> Scored:
        return Scored(self.docs[keep], self.scores[keep])

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.docs.tolist(), self.scores.tolist(), strict=True))

    @classmethod
    def of(cls, scores: dict[int, float]) -> Scored:
        """From a {docnum: score} dictionary (the matcher path's answer)."""
        docs = np.fromiter(scores, dtype=_DOCNUM, count=len(scores))
        values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        order = np.argsort(docs, kind="stable")
        return cls(docs[order], values[order])


NOTHING = Scored(np.empty(0, dtype=_DOCNUM), np.empty(0, dtype=np.float64))


def _member(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """needles in haystack, both sorted ascending (binary search, no temporary sets)."""
    if not len(haystack):
        return np.zeros(len(needles), dtype=bool)
    at = np.searchsorted(haystack, needles)
    np.minimum(at, len(haystack) - 1, out=at)
    return haystack[at] == needles


class PostingsStore:
    """An LRU of decoded arrays bounded in bytes, shared by every generation of a process.

    Holds each segment's raw postings and field lengths (keyed by the segment's id, so kept
    across generations) and each open generation's scored postings (keyed by its token and
    dropped with `forget` when the generation closes).
    """

    def __init__(self, budget_bytes: int = CACHE_BYTES) -> None:
        self.budget = budget_bytes
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: object, nbytes: int) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._entries[key] = (value, nbytes)
            self.size += nbytes
            while self.size > self.budget and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size -= dropped

    def forget(self, token: int) -> None:
        """Drop the scored entries of the generation `token` names."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == token]:
                self.size -= self._entries.pop(key)[1]

    def __len__(self) -> int:
        return len(self._entries)


_TOKENS = itertools.count(1)


@dataclass(frozen=True)
class _RawPostings:
    """One segment's postings of one term: local document numbers and term frequencies,
    deleted documents included (deletions belong to a generation, the postings to the segment)."""

    ids: np.ndarray
    weights: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.weights.nbytes


class PostingsCache:
    """Scored postings of (field, term, weighting, boost) in one generation, kept in `store`."""

    def __init__(self, searcher: Searcher, store: PostingsStore | None = None) -> None:
        self.searcher = searcher
        self.store = store if store is not None else PostingsStore()
        self.token = next(_TOKENS)
        self.size = searcher.doc_count_all()
        self._live: dict[int, np.ndarray | None] = {}
        # A generation dropped without close() (the engine switched away) leaves nothing behind.
        weakref.finalize(self, self.store.forget, self.token)

    def term(self, fieldname: str, text: str, weighting: WeightingModel, boost: float) -> Scored:
        key = (self.token, fieldname, text, weighting_key(weighting), boost)
        found = self.store.get(key)
        if found is not None:
            return found  # type: ignore[return-value]
        scored = self._read(fieldname, text, weighting, boost)
        self.store.put(key, scored, scored.nbytes + 200)
        return scored

    def close(self) -> None:
        self.store.forget(self.token)

    def _read(self, fieldname: str, text: str, weighting: WeightingModel, boost: float) -> Scored:
        field = self.searcher.schema[fieldname]
        btext = field.to_bytes(text)
        docs: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for number, (sub, offset) in enumerate(self.searcher.leaf_searchers()):
            reader = sub.reader()
            if (fieldname, btext) not in reader:
                continue
            scorer = weighting.scorer(sub, fieldname, btext)
            if type(scorer).score is not BM25FScorer.score or not hasattr(scorer, "idf"):
                raise Unsupported(f"scorer {type(scorer).__name__}")
            raw = self._raw(number, reader, fieldname, btext)
            ids, tf = raw.ids, raw.weights.astype(np.float64)
            live = self._live_docs(number, reader)
            if live is not None:
                kept = live[ids]
                ids, tf = ids[kept], tf[kept]
            lengths = _LENGTHS[self._segment_lengths(number, reader, fieldname)[ids]]
            idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
            # The expression of whoosh.scoring.bm25, operation for operation, so the floats
            # are the ones Whoosh's scorer computes.
            part = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / avgfl)))
            if boost != 1.0:
                part = part * boost
            docs.append((ids + offset).astype(_DOCNUM))
            scores.append(part)
        if not docs:
            return NOTHING
        return Scored(np.concatenate(docs), np.concatenate(scores))

    def _segment_key(self, number: int, reader) -> Hashable:  # noqa: ANN001 - Whoosh's
        key = segment_key(reader)
        # Not a segment of its own: kept with this generation only.
        return key if key is not None else (self.token, number)

    def _raw(self, number: int, reader, fieldname: str, btext: bytes) -> _RawPostings:  # noqa: ANN001
        key = (*_as_tuple(self._segment_key(number, reader)), "postings", fieldname, btext)
        found = self.store.get(key)
        if found is None:
            found = _decoded(reader.postings(fieldname, btext))
            self.store.put(key, found, found.nbytes + 200)
        return found  # type: ignore[return-value]

    def _live_docs(self, number: int, reader) -> np.ndarray | None:  # noqa: ANN001 - Whoosh's
        """The segment's undeleted documents as a mask (None: nothing deleted)."""
        if number not in self._live:
            live = None
            if reader.has_deletions():
                live = np.ones(reader.doc_count_all(), dtype=bool)
                live[np.fromiter(_deleted_docs(reader), dtype=np.int64)] = False
            self._live[number] = live
        return self._live[number]

    def _segment_lengths(self, number: int, reader, fieldname: str) -> np.ndarray:  # noqa: ANN001
        key = (*_as_tuple(self._segment_key(number, reader)), "lengths", fieldname)
        lengths = self.store.get(key)
        if lengths is None:
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:
                raise Unsupported(f"no lengths for {fieldname}")
            lengths = np.frombuffer(bytes(column), dtype=np.uint8)
            self.store.put(key, lengths, lengths.nbytes + 200)
        return lengths  # type: ignore[return-value]


def segment_key(reader) -> tuple | None:  # noqa: ANN001 - Whoosh's
    """What names a segment's immutable contents in the store (its id and size), shared by
    every generation that hard-links it; None for a reader that is not one segment."""
    segment = getattr(reader, "segment", None)
    segid = getattr(segment(), "segid", None) if callable(segment) else None
    return None if segid is None else ("segment", segid, reader.doc_count_all())


def _deleted_docs(reader) -> list[int]:  # noqa: ANN001 - Whoosh's
    segment = getattr(reader, "segment", None)
    if callable(segment) and hasattr(segment(), "deleted_docs"):
        return list(segment().deleted_docs())
    return [d for d in range(reader.doc_count_all()) if reader.is_deleted(d)]


def _as_tuple(key: Hashable) -> tuple:
    return key if isinstance(key, tuple) else (key,)


class Unsupported(Exception):
    """This query (or index) is answered by the matcher path instead."""


def weighting_key(weighting: WeightingModel) -> tuple:
    return (
        type(weighting).__name__,
        getattr(weighting, "B", None),
        getattr(weighting, "K1", None),
        tuple(sorted(getattr(weighting, "_field_B", {}).items())),
    )


def _decoded(matcher) -> _RawPostings:  # noqa: ANN001 - Whoosh's
    """Every (document, term frequency) of a segment's postings, deleted documents included."""
    if isinstance(matcher, FilterMatcher):  # the segment has deletions: read what it filters
        if not matcher._exclude or matcher.boost != 1.0:
            raise Unsupported("include-filtered postings")
        matcher = matcher.child
        matcher.reset()  # the filter may have stepped past leading deleted documents
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return _RawPostings(np.array(ids, dtype=np.int32), _compact(np.array(weights)))
    id_blocks: list[np.ndarray] = []
    weight_blocks: list[np.ndarray] = []
    while True:  # whole blocks at a time: Whoosh unpickles a block's ids and weights as arrays
        matcher._read_data()
        id_blocks.append(_block_ids(matcher._data[0], matcher._byteids))
        matcher._read_weights()
        weight_blocks.append(np.asarray(matcher._weights))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    ids = np.concatenate(id_blocks).astype(np.int32)
    return _RawPostings(ids, _compact(np.concatenate(weight_blocks)))


def _block_ids(block_ids, absolute: bool) -> np.ndarray:  # noqa: ANN001 - an array or bytes
    if isinstance(block_ids, bytes | bytearray):
        values = np.frombuffer(block_ids, dtype=np.uint8).astype(np.int64)
    else:
        values = np.asarray(block_ids, dtype=np.int64)
    return values if absolute else np.cumsum(values)  # Whoosh stores gaps unless `absolute`


def _compact(weights: np.ndarray) -> np.ndarray:
    """float32 when that holds every frequency exactly (Whoosh writes them as float32)."""
    narrow = weights.astype(np.float32)
    return narrow if np.array_equal(narrow, weights) else weights.astype(np.float64)


def evaluate(
    cache: PostingsCache, q: wq.Query, weighting: WeightingModel, deadline: float | None = None
) -> Scored | None:
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
) -> Scored:
    if isinstance(q, wq.Term):
        return _term_scores(cache, q, weighting, deadline)
    if q is wq.NullQuery:
        return NOTHING
    if type(q) is wq.Or and q.boost == 1.0 and not q.minmatch and q.scale is None:
        parts = [_scores(cache, c, weighting, deadline) for c in q.subqueries]
        return _union(parts, cache.size)
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
        return positive.where(~negative.holds(positive.docs))
    raise Unsupported(type(q).__name__)


def _term_scores(
    cache: PostingsCache, q: wq.Term, weighting: WeightingModel, deadline: float | None
) -> Scored:
    if deadline is not None and time.monotonic() > deadline:
        raise Unsupported("deadline passed")
    if not isinstance(q.text, str) or q.fieldname not in cache.searcher.schema:
        raise Unsupported("term")
    if not cache.searcher.schema[q.fieldname].scorable:
        raise Unsupported("unscored field")
    return cache.term(q.fieldname, q.text, weighting, q.boost)


def _head_first(q: HeadFirst, child: Scored, feedback: Scored) -> Scored:
    """ranking.HeadFirst's scores: the first round's head as it was, then HeadFirst.mixed for
    every other story the query's words match (HeadFirst.mixed's arithmetic, vectorised)."""
    score = q.child_share * child.scores
    with_feedback = feedback.holds(child.docs)
    at = np.searchsorted(feedback.docs, child.docs[with_feedback])
    score[with_feedback] = score[with_feedback] + feedback.scores[at]
    if q.floor is not None:
        score = q.floor * score / (score + q.floor)
    if q.head:
        head_docs = np.fromiter(q.head, dtype=_DOCNUM, count=len(q.head))
        head_scores = np.fromiter(q.head.values(), dtype=np.float64, count=len(q.head))
        in_child = _member(child.docs, head_docs)
        score[np.searchsorted(child.docs, head_docs[in_child])] = head_scores[in_child]
    return Scored(child.docs, score)


def _union(parts: list[Scored], size: int) -> Scored:
    """Scores summed per document, the parts added largest first (the order the dictionary
    version added them in, so the sums are the same floats)."""
    parts = sorted((p for p in parts if len(p)), key=len, reverse=True)
    if not parts:
        return NOTHING
    if len(parts) == 1:
        return parts[0]
    postings = sum(len(p) for p in parts)
    if postings * _SPARSE_UNION < size:
        docs = np.unique(np.concatenate([p.docs for p in parts]))
        totals = np.zeros(len(docs), dtype=np.float64)
        for part in parts:
            totals[np.searchsorted(docs, part.docs)] += part.scores
        return Scored(docs, totals)
    totals = np.zeros(size, dtype=np.float64)
    seen = np.zeros(size, dtype=bool)
    for part in parts:
        totals[part.docs] += part.scores  # a part holds each document once
        seen[part.docs] = True
    docs = np.flatnonzero(seen).astype(_DOCNUM)
    return Scored(docs, totals[docs])


def _intersection(parts: list[Scored]) -> Scored:
    """Documents every part holds, their scores summed in the query's order."""
    if not parts or any(not len(p) for p in parts):
        return NOTHING
    ordered = sorted(parts, key=len)
    common = ordered[0].docs
    for part in ordered[1:]:
        common = common[part.holds(common)]
        if not len(common):
            return NOTHING
    totals = np.zeros(len(common), dtype=np.float64)
    for part in parts:
        totals += part.scores[np.searchsorted(part.docs, common)]
    return Scored(common, totals)


def top(scores: Scored, limit: int) -> list[tuple[float, int]]:
    """The best `limit` as (score, docnum), ties going to the lower document number (Whoosh's
    TopCollector order)."""
    if not len(scores) or limit <= 0:
        return []
    values = scores.scores
    candidates = np.arange(len(values))
    if limit < len(values):
        floor = values[np.argpartition(values, len(values) - limit)[len(values) - limit :]].min()
        candidates = np.flatnonzero(values >= floor)
    # lexsort: the last key first, so by descending score, then ascending document number.
    order = candidates[np.lexsort((scores.docs[candidates], -values[candidates]))][:limit]
    return list(zip(values[order].tolist(), scores.docs[order].tolist(), strict=True))


def keep_only(scores: Scored, allowed: np.ndarray) -> Scored:
    """The matches whose entry in `allowed` (a mask over global document numbers) is True."""
    return scores.where(allowed[scores.docs])
