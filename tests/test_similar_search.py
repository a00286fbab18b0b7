"""A full build's similar pairs (indexing/similar_search.py, numpy) equal the per-pair loop's.

clusters.similar_pairs keeps the loop for an incremental build (pairs of the changed stories);
given every story and no postings it takes the array path. Both must give the same pairs with
the same similarities, on real news stories (1,000 files of the shared corpus with rewritten and
re-dated copies: clusters, time windows, undated stories) and on random sketches that stress the
posting limits, shared-hash counts and short sketches.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import replace
from pathlib import Path

import pytest

from searchsvc.extract import extract_file
from searchsvc.indexing import similar_search
from searchsvc.indexing.clusters import (
    DEFAULT_SETTINGS,
    Signature,
    postings_of,
    signature,
    similar_pairs,
)


def by_loop(signatures: list, settings) -> list[tuple[float, int, int]]:
    found = similar_pairs(signatures, settings, postings=postings_of(signatures))
    return sorted(found, key=lambda pair: (pair[1], pair[2]))


@pytest.fixture(scope="module")
def news_signatures(news_files: Path) -> list[Signature | None]:
    stories = [
        article
        for path in sorted(news_files.glob("*.txt"))
        for article in extract_file(path, path.name)
    ]
    rng = random.Random(11)
    signatures = [signature(story) for story in stories]
    for sig in list(signatures):  # copies moved in time, some undated
        if sig is not None and rng.random() < 0.2:
            day = rng.choice([None, (sig.day or 730_000) + rng.choice([3, 17, 18, 60])])
            signatures.append(Signature(sig.sketch, day))
    return signatures


@pytest.mark.parametrize(
    "changes",
    [{}, {"window_days": None}, {"max_posting": 3, "min_shared_hashes": 1}, {"threshold": 0.05}],
)
def test_news_stories(news_signatures, changes):
    settings = replace(DEFAULT_SETTINGS, **changes)
    expected = by_loop(news_signatures, settings)
    assert len(expected) > 100
    assert similar_pairs(news_signatures, settings) == expected


@pytest.mark.parametrize("seed", range(5))
def test_random_sketches(monkeypatch, seed):
    rng = random.Random(seed)
    monkeypatch.setattr(similar_search, "PAIRS_PER_BATCH", rng.choice([1, 7, 1000]))
    pool = [rng.randrange(-(2**63), 2**63) for _ in range(300)]
    signatures: list[Signature | None] = []
    for _ in range(200):
        if rng.random() < 0.05:
            signatures.append(None)
            continue
        sketch = sorted(rng.sample(pool, k=rng.choice([1, 2, 5, 20, 64])))
        day = rng.choice([None, 737_000, 737_010, 737_030])
        signatures.append(Signature(array("q", sketch[:64]), day))
    settings = replace(DEFAULT_SETTINGS, threshold=rng.choice([0.0, 0.1, 0.2]))
    assert similar_pairs(signatures, settings) == by_loop(signatures, settings)
