"""clusters.similar_pairs over every story at once, with numpy (a full build's case).

The same pairs and similarities as the per-pair Python loop (tests/test_similar_search.py):
candidate pairs share at least `min_shared_hashes` sketch hashes, counting only hashes held by
2..`max_posting` sketches; pairs published more than `window_days` apart are dropped (undated
ones kept); each remaining pair gets Broder's bottom-k Jaccard estimate and is kept from half the
threshold up. At 100,000 news files the loop spent 12 s on a Counter of pairs and 270,000 small
sorts; here they are array sorts over all pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

PAIRS_PER_BATCH = 32_768  # Jaccard estimates at once: a batch's merged sketches stay small
_PAD = np.iinfo(np.int64).max


class _Signature(Protocol):
    sketch: Sequence[int]  # ascending, unique, signed 64-bit
    day: int | None


class _Settings(Protocol):
    sketch_size: int
    max_posting: int
    min_shared_hashes: int
    threshold: float
    window_days: int | None


def similar_pairs(
    signatures: Sequence[_Signature | None], settings: _Settings
) -> list[tuple[float, int, int]]:
    """(estimated Jaccard, i, j), i < j, ascending by (i, j)."""
    first, second = _candidates(signatures, settings)
    first, second = _close_in_time(signatures, first, second, settings.window_days)
    similarity = estimated_jaccard(signatures, first, second, settings.sketch_size)
    keep = similarity >= settings.threshold / 2
    return list(
        zip(similarity[keep].tolist(), first[keep].tolist(), second[keep].tolist(), strict=True)
    )


def _candidates(
    signatures: Sequence[_Signature | None], settings: _Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs sharing `min_shared_hashes` hashes that are held by 2..max_posting sketches."""
    count = len(signatures)
    present = [i for i, s in enumerate(signatures) if s is not None and len(s.sketch)]
    if not present:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    sketches = [np.asarray(signatures[i].sketch, dtype=np.int64) for i in present]  # type: ignore[union-attr]
    values = np.concatenate(sketches)
    owners = np.repeat(np.array(present, dtype=np.int64), [len(s) for s in sketches])
    order = np.argsort(values, kind="stable")  # holders stay ascending within a hash
    values, owners = values[order], owners[order]
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(values)])))
    keys = [np.zeros(0, np.int64)]
    for holders in range(2, settings.max_posting + 1):
        chosen = starts[sizes == holders]
        if len(chosen):
            block = owners[chosen[:, None] + np.arange(holders)]
            left, right = np.triu_indices(holders, k=1)
            keys.append((block[:, left] * count + block[:, right]).ravel())
    found, shared = np.unique(np.concatenate(keys), return_counts=True)
    found = found[shared >= settings.min_shared_hashes]
    return found // count, found % count


def _close_in_time(
    signatures: Sequence[_Signature | None],
    first: np.ndarray,
    second: np.ndarray,
    window: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    if window is None or not len(first):
        return first, second
    days = np.array(
        [s.day if s is not None and s.day is not None else 0 for s in signatures], dtype=np.int64
    )
    dated = np.array([s is not None and s.day is not None for s in signatures], dtype=bool)
    close = ~(dated[first] & dated[second]) | (np.abs(days[first] - days[second]) <= window)
    return first[close], second[close]


def estimated_jaccard(
    signatures: Sequence[_Signature | None], first: np.ndarray, second: np.ndarray, size: int
) -> np.ndarray:
    """clusters.estimated_jaccard per pair: of the union's `size` smallest hashes, the share
    found in both sketches. Each pair's two sketches are merged into one sorted row; a hash in
    both shows as two equal neighbours."""
    width = max((len(s.sketch) for s in signatures if s is not None), default=0)
    lengths = np.array([len(s.sketch) if s is not None else 0 for s in signatures], np.int64)
    matrix = np.full((len(signatures), max(width, 1)), _PAD, dtype=np.int64)
    for index, signature in enumerate(signatures):
        if signature is not None and len(signature.sketch):
            matrix[index, : len(signature.sketch)] = signature.sketch
    result = np.zeros(len(first), dtype=np.float64)
    for start in range(0, len(first), PAIRS_PER_BATCH):
        a, b = first[start : start + PAIRS_PER_BATCH], second[start : start + PAIRS_PER_BATCH]
        rows = np.sort(np.concatenate((matrix[a], matrix[b]), axis=1), axis=1)
        # The real hashes are the first len(a) + len(b) of a row (the padding sorts last).
        real = np.arange(rows.shape[1]) < (lengths[a] + lengths[b])[:, None]
        repeated = np.zeros_like(real)
        repeated[:, 1:] = (rows[:, 1:] == rows[:, :-1]) & real[:, 1:]
        rank = np.cumsum(real & ~repeated, axis=1)  # distinct hashes up to here
        union = np.minimum(rank[:, -1], size)
        both = (repeated & (rank <= size)).sum(axis=1)
        result[start : start + len(a)] = np.where(union > 0, both / np.maximum(union, 1), 0.0)
    return result
