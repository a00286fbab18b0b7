"""Every pair of articles whose shingle sets pass dedup's containment rule, with numpy.

The rule (dedup._same_story): the smaller set S of a pair shares at least
max(threshold * |S|, min(MIN_SHARED, |S|)) shingles with the other. Finding the pairs is prefix
filtering, exact and not sampled: if S shares k = floor(threshold * |S|) shingles with the other
set, then any |S| - k + 1 of S's shingles include a shared one. Taking those as S's rarest (one
global order: shingle frequency, then hash) keeps the candidate lists short, because common
phrases sit at the end of every article's order. Articles are visited smallest first (ties in
input order), so a candidate pair is found from the earlier article's prefix.

This was a loop over every shingle in Python (a dictionary probe, a set update, then one set
intersection per candidate pair): a fifth of a 100,000-file build, on one core. Here each step
is a few array operations over many articles at once, in chunks that bound the memory used.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from searchsvc import forking

FREQUENCY_BUCKETS = 1 << 22
CHUNK = 4096  # articles concatenated at once: bounds the arrays' memory
HITS_PER_STEP = 1_000_000  # matches expanded at once (each takes about 40 bytes then)
CACHED_TABLE = 1 << 18  # hashes searched in place, unsorted (2 MiB: stays in the CPU cache)
PARALLEL_FROM = 20_000  # articles: from here a full search uses both cores (a fork is not free)
_MASK = np.uint64(FREQUENCY_BUCKETS - 1)
_EMPTY = np.zeros(0, dtype=np.uint64)
_NONE = np.zeros(0, dtype=np.int64)


def duplicate_pairs(
    sets: Sequence[array], threshold: float, min_shared: int
) -> list[tuple[int, int]]:
    """Every pair (i < j), ascending, of `sets` (ascending unique 64-bit hashes, array "Q")
    whose smaller set has at least the share `threshold` of its hashes in the other and at
    least `min_shared` (or all of them, when it has fewer)."""
    hashes = [np.frombuffer(s, dtype=np.uint64) if len(s) else _EMPTY for s in sets]
    sizes = np.array([len(h) for h in hashes], dtype=np.int64)
    first, second = candidate_pairs(hashes, sizes, _frequencies(hashes), threshold)
    shared = shared_counts(hashes, first, second)
    return _passing(first, second, shared, sizes, threshold, min_shared)


def candidate_pairs(
    hashes: list[np.ndarray], sizes: np.ndarray, frequency: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (first < second, ascending) that can pass: the earlier-visited article's prefix
    shares a hash with the other's set.

    Only hashes whose frequency bucket holds two sets or more can be shared (a bucket with one
    set is that set's alone): the others are neither indexed nor probed. Every chunk's arrays
    are made again where needed rather than kept (at 100k articles, keeping them was 600 MB).
    """
    count = len(hashes)
    visit = np.empty(count, dtype=np.int64)
    visit[np.argsort(sizes, kind="stable")] = np.arange(count)
    found = [
        _prefixes(hashes, start, sizes, frequency, threshold) for start in range(0, count, CHUNK)
    ]
    prefix_hashes = np.concatenate([h for h, _ in found]) if found else _EMPTY
    prefix_owners = np.concatenate([o for _, o in found]) if found else _NONE
    del found
    order = np.argsort(prefix_hashes)
    prefix_hashes, prefix_owners = prefix_hashes[order], prefix_owners[order]
    del order

    def probe(starts: list[int]) -> np.ndarray:
        keys = [_NONE]
        for start in starts:
            values, owners = _concatenated(hashes, start)
            shareable = np.flatnonzero(frequency[(values & _MASK).astype(np.intp)] > 1)
            values, owners = values[shareable], owners[shareable]
            keys.append(_probe(values, owners, prefix_hashes, prefix_owners, visit, count))
        return np.unique(np.concatenate(keys))

    starts = list(range(0, count, CHUNK))
    halves = [starts[: len(starts) // 2], starts[len(starts) // 2 :]]
    unique = np.unique(np.concatenate(_on_both_cores(probe, halves, count)))
    return unique // count, unique % count


def _on_both_cores(work: Callable[[Any], np.ndarray], parts: list, count: int) -> list:
    """work(part) of each part, in order: the last part in a forked child meanwhile when there
    are PARALLEL_FROM articles or more and two cores (the probe and the intersections are
    numpy on one core otherwise: 15 s of a 100k-file full build)."""
    if count < PARALLEL_FROM or len(parts) < 2 or (os.cpu_count() or 1) < 2:
        return [work(part) for part in parts]
    child = forking.in_child(partial(work, parts[-1]), collect=False)
    try:
        here = [work(part) for part in parts[:-1]]
    except BaseException:
        child.stop()
        raise
    return [*here, child.answer()]


def _concatenated(hashes: list[np.ndarray], start: int) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the chunk of articles from `start`, in one array, with their articles."""
    part = hashes[start : start + CHUNK]
    lengths = [len(h) for h in part]
    values = np.concatenate(part) if any(lengths) else _EMPTY
    return values, np.repeat(np.arange(start, start + len(part)), lengths)


def _prefixes(
    hashes: list[np.ndarray], start: int, sizes: np.ndarray, frequency: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each set's |S| - floor(threshold * |S|) + 1 rarest hashes (by frequency, then hash: a set
    is ascending, so a stable sort by article and frequency keeps hash order), those that can
    be shared, with their articles (the chunk from `start`)."""
    values, owners = _concatenated(hashes, start)
    ranks = frequency[(values & _MASK).astype(np.intp)]
    order = np.argsort(((owners - start) << 40) | ranks, kind="stable")
    values, owners, ranks = values[order], owners[order], ranks[order]
    lengths = sizes[start : start + CHUNK]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    position = np.arange(len(values)) - np.repeat(starts, lengths)
    needed = np.maximum(1, (threshold * sizes[owners]).astype(np.int64))
    chosen = (position < sizes[owners] - needed + 1) & (ranks > 1)
    return values[chosen], owners[chosen].astype(np.int32)


def shared_counts(hashes: list[np.ndarray], first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """|set(first) ∩ set(second)| per pair: the smaller set's hashes looked up in the larger
    one, grouped by the larger article (one sorted search for all its partners)."""
    shared = np.zeros(len(first), dtype=np.int64)
    if not len(first):
        return shared
    sizes = np.array([len(h) for h in hashes], dtype=np.int64)
    anchors = np.where(sizes[first] <= sizes[second], second, first)
    partners = np.where(anchors == first, second, first)
    by_anchor = np.argsort(anchors, kind="stable")
    bounds = np.flatnonzero(np.diff(anchors[by_anchor])) + 1
    groups = np.split(by_anchor, bounds)

    def counts(part: list[np.ndarray]) -> np.ndarray:
        """(pair, shared count) rows of these anchor groups."""
        rows = [np.zeros((0, 2), dtype=np.int64)]
        for group in part:
            target = hashes[int(anchors[group[0]])]
            if not len(target):
                continue
            parts = [hashes[int(s)] for s in partners[group]]
            lengths = np.array([len(p) for p in parts], dtype=np.int64)
            probes = np.concatenate(parts)
            at = np.minimum(np.searchsorted(target, probes), len(target) - 1)
            totals = np.concatenate(([0], np.cumsum(target[at] == probes)))
            ends = np.cumsum(lengths)
            rows.append(np.column_stack((group, totals[ends] - totals[ends - lengths])))
        return np.concatenate(rows)

    halves = [groups[: len(groups) // 2], groups[len(groups) // 2 :]]
    for rows in _on_both_cores(counts, halves, len(hashes)):
        shared[rows[:, 0]] = rows[:, 1]
    return shared


def _frequencies(hashes: list[np.ndarray]) -> np.ndarray:
    """How many sets hold a hash, per bucket of its low bits (a shared order for prefixes)."""
    frequency = np.zeros(FREQUENCY_BUCKETS, dtype=np.int64)
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start : start + CHUNK]
        if any(len(h) for h in chunk):
            buckets = (np.concatenate(chunk) & _MASK).astype(np.intp)
            frequency += np.bincount(buckets, minlength=FREQUENCY_BUCKETS)
    return frequency


def _probe(  # noqa: PLR0913 - one chunk's probe of the prefix index
    values: np.ndarray,
    owners: np.ndarray,
    prefix_hashes: np.ndarray,
    prefix_owners: np.ndarray,
    visit: np.ndarray,
    count: int,
) -> np.ndarray:
    """Pair keys (first * count + second) of one chunk's shareable hashes against every prefix
    held by an article visited before theirs."""
    found = [_NONE]
    for holders, probing in _matches(values, owners, prefix_hashes, prefix_owners):
        earlier = visit[holders] < visit[probing]
        found.append(_keys(holders[earlier], probing[earlier], count))
    return np.unique(np.concatenate(found))


def _matches(
    values: np.ndarray, owners: np.ndarray, table: np.ndarray, table_owners: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(holder, probing article) of every entry of the sorted `table` equal to one of `values`
    (each owned by an article), HITS_PER_STEP at a time."""
    if not len(values) or not len(table):
        return
    if len(table) > CACHED_TABLE:
        # Searched in ascending order, a large table is walked forwards (13 times faster than
        # in the articles' order at 100k articles: far fewer cache misses).
        ascending = np.argsort(values)
        values, owners = values[ascending], owners[ascending]
    else:
        # A small table's low bits, marked in a 4 MiB map: most values miss it there, with one
        # lookup each instead of a binary search.
        marked = np.zeros(FREQUENCY_BUCKETS, dtype=bool)
        marked[(table & _MASK).astype(np.intp)] = True
        maybe = np.flatnonzero(marked[(values & _MASK).astype(np.intp)])
        values, owners = values[maybe], owners[maybe]
    low = np.searchsorted(table, values, side="left")
    inside = np.minimum(low, len(table) - 1)
    matched = np.flatnonzero(table[inside] == values)
    low, owners = low[matched], owners[matched]
    spans = np.searchsorted(table, values[matched], side="right") - low
    ends = np.cumsum(spans)
    step_start = 0
    while step_start < len(spans):
        limit = (ends[step_start - 1] if step_start else 0) + HITS_PER_STEP
        step_stop = max(step_start + 1, int(np.searchsorted(ends, limit, side="right")))
        step_spans = spans[step_start:step_stop]
        rows = np.repeat(np.arange(len(step_spans)), step_spans)
        offsets = np.arange(len(rows)) - np.repeat(np.cumsum(step_spans) - step_spans, step_spans)
        yield (
            table_owners[low[step_start:step_stop][rows] + offsets],
            owners[step_start:step_stop][rows],
        )
        step_start = step_stop


def _keys(holders: np.ndarray, probing: np.ndarray, count: int) -> np.ndarray:
    return np.minimum(holders, probing) * count + np.maximum(holders, probing)


def pairs_touching(
    sets: Sequence[array], changed: set[int], threshold: float, min_shared: int
) -> list[tuple[int, int]]:
    """The pairs of duplicate_pairs(sets, …) with at least one article in `changed`, without
    comparing the unchanged articles among themselves (an incremental build keeps those).

    No prefixes and no verification: every article's hashes are looked up among the changed
    articles' (a table of about 1 % of them, kept in the CPU cache), and each (article, changed
    article) pair's number of hits is its exact number of shared hashes. A pair of two changed
    articles is counted from the later one only.
    """
    hashes = [np.frombuffer(s, dtype=np.uint64) if len(s) else _EMPTY for s in sets]
    sizes = np.array([len(h) for h in hashes], dtype=np.int64)
    count = len(hashes)
    ordered = sorted(changed)
    is_changed = np.zeros(count, dtype=bool)
    is_changed[ordered] = True
    table = _table([hashes[i] for i in ordered], ordered)
    found: list[tuple[np.ndarray, np.ndarray]] = [(_NONE, _NONE)]
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        probes = hashes[start:stop]
        values = np.concatenate(probes) if probes else _EMPTY
        owners = np.repeat(np.arange(start, stop), [len(p) for p in probes])
        for holders, probing in _matches(values, owners, *table):
            once = (holders != probing) & (~is_changed[probing] | (probing > holders))
            found.append(np.unique(_keys(holders[once], probing[once], count), return_counts=True))
    keys, where = np.unique(np.concatenate([k for k, _ in found]), return_inverse=True)
    shared = np.bincount(where, weights=np.concatenate([c for _, c in found]), minlength=len(keys))
    first, second = keys // count, keys % count
    return _passing(first, second, shared.astype(np.int64), sizes, threshold, min_shared)


def _table(parts: list[np.ndarray], owners: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of `parts` sorted, with the article each belongs to."""
    if not parts:
        return _EMPTY, _NONE
    values = np.concatenate(parts)
    held = np.repeat(np.array(owners, dtype=np.int64), [len(p) for p in parts])
    order = np.argsort(values, kind="stable")
    return values[order], held[order]


def _passing(  # noqa: PLR0913 - the pairs and the rule's two numbers
    first: np.ndarray,
    second: np.ndarray,
    shared: np.ndarray,
    sizes: np.ndarray,
    threshold: float,
    min_shared: int,
) -> list[tuple[int, int]]:
    """The pairs that pass dedup's containment rule (see the module docstring)."""
    smaller = np.minimum(sizes[first], sizes[second])
    keep = (
        (smaller > 0)
        & (shared >= np.minimum(min_shared, smaller))
        & (shared / np.maximum(smaller, 1) >= threshold)
    )
    return list(zip(first[keep].tolist(), second[keep].tolist(), strict=True))
