"""The numpy duplicate search (indexing/duplicate_search.py) against a brute-force reference.

The reference compares every pair of articles that share any shingle, with Python sets and
dedup._same_story: slow, obviously exact. The search must give exactly its pairs on real news
articles (1,000 files of the shared corpus, each also copied as near-duplicates on both sides of
the containment threshold) and on small random sets that hit the rule's edges, with the chunk and
step sizes at their defaults and shrunk so every loop runs many times.
"""

from __future__ import annotations

import random
from array import array
from pathlib import Path

import pytest

from searchsvc.extract import extract_file
from searchsvc.indexing import duplicate_search
from searchsvc.indexing.dedup import (
    CONTAINMENT_THRESHOLD,
    MIN_SHARED_SHINGLES,
    _same_story,
    pairs_touching,
    shingle_key,
)


def reference_pairs(sets: list[array]) -> list[tuple[int, int]]:
    holders: dict[int, list[int]] = {}
    for index, hashes in enumerate(sets):
        for h in hashes:
            holders.setdefault(h, []).append(index)
    candidates = {
        (a, b)
        for indexes in holders.values()
        for n, a in enumerate(indexes)
        for b in indexes[n + 1 :]
    }
    found = []
    for a, b in sorted(candidates):
        shared = len(set(sets[a]).intersection(sets[b]))
        if _same_story(shared, len(sets[a]), len(sets[b])):
            found.append((a, b))
    return found


def search(sets: list[array]) -> list[tuple[int, int]]:
    return duplicate_search.duplicate_pairs(sets, CONTAINMENT_THRESHOLD, MIN_SHARED_SHINGLES)


def near_copies(sets: list[array], rng: random.Random) -> list[array]:
    """Copies keeping 60-100 % of a set's shingles (either side of the 70 % rule), some with
    shingles of their own added, and exact copies."""
    copies = []
    for hashes in rng.sample(sets, k=len(sets) // 3):
        kept = [h for h in hashes if rng.random() < rng.choice([0.6, 0.68, 0.72, 0.8, 1.0])]
        kept += [rng.getrandbits(64) for _ in range(rng.choice([0, 0, 3, 40]))]
        copies.append(array("Q", sorted(set(kept))))
    return copies


@pytest.fixture(scope="module")
def news_sets(news_files: Path) -> list[array]:
    sets = [
        shingle_key(article)[1]
        for path in sorted(news_files.glob("*.txt"))
        for article in extract_file(path, path.name)
    ]
    return sets + near_copies(sets, random.Random(7))


@pytest.mark.parametrize(
    "chunk,step,cached,parallel",
    [(4096, 4_000_000, 1 << 18, False), (97, 500, 0, False), (97, 4_000_000, 1 << 18, True)],
)
def test_news_articles_and_their_near_copies(news_sets, monkeypatch, chunk, step, cached, parallel):
    """`parallel`: the probe and the intersections split between this process and a forked
    child (from PARALLEL_FROM articles: lowered to 0 here)."""
    monkeypatch.setattr(duplicate_search, "PARALLEL_FROM", 0 if parallel else 10**9)
    monkeypatch.setattr(duplicate_search, "CHUNK", chunk)
    monkeypatch.setattr(duplicate_search, "HITS_PER_STEP", step)
    monkeypatch.setattr(duplicate_search, "CACHED_TABLE", cached)
    expected = reference_pairs(news_sets)
    assert len(expected) > 300  # the corpus's own copies and the near-copies made here
    assert search(news_sets) == expected


def random_sets(rng: random.Random, monkeypatch) -> list[array]:
    """Empty sets, sets below MIN_SHARED_SHINGLES, subsets, equal sizes, shared common words,
    with the chunk and step sizes shrunk and the table search chosen at random."""
    monkeypatch.setattr(duplicate_search, "CHUNK", rng.choice([1, 5, 64]))
    monkeypatch.setattr(duplicate_search, "HITS_PER_STEP", rng.choice([1, 10, 1000]))
    monkeypatch.setattr(duplicate_search, "CACHED_TABLE", rng.choice([0, 1 << 18]))
    monkeypatch.setattr(duplicate_search, "PARALLEL_FROM", rng.choice([0, 10**9]))
    common = [rng.getrandbits(64) for _ in range(30)]
    bases = []
    for _ in range(60):
        own = {rng.getrandbits(64) for _ in range(rng.choice([0, 1, 2, 3, 5, 10, 40]))}
        own.update(rng.sample(common, k=rng.choice([0, 1, 4])))
        bases.append(array("Q", sorted(own)))
    sets = bases + near_copies(bases, rng) + [array("Q") for _ in range(3)]
    rng.shuffle(sets)
    return sets


@pytest.mark.parametrize("seed", range(6))
def test_random_sets_at_the_rules_edges(monkeypatch, seed):
    sets = random_sets(random.Random(seed), monkeypatch)
    assert search(sets) == reference_pairs(sets)


def test_the_incremental_probe_agrees_on_news(news_sets):
    """pairs_touching (an incremental build's probe) finds the changed articles' pairs of the
    full search."""
    keys = [(len(s), s) for s in news_sets]
    changed = set(random.Random(3).sample(range(len(keys)), k=len(keys) // 20))
    full = search(news_sets)
    assert pairs_touching(keys, changed) == [p for p in full if p[0] in changed or p[1] in changed]


@pytest.mark.parametrize("seed", range(4))
def test_the_incremental_probe_agrees_on_random_sets(monkeypatch, seed):
    rng = random.Random(seed)
    sets = random_sets(rng, monkeypatch)
    keys = [(len(s), s) for s in sets]
    changed = set(rng.sample(range(len(sets)), k=rng.choice([0, 1, 5, len(sets)])))
    expected = [p for p in reference_pairs(sets) if p[0] in changed or p[1] in changed]
    assert pairs_touching(keys, changed) == expected
