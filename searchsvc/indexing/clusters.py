"""Story clusters: wire copies and rewrites of one event, across outlets, grouped.

Dedup (dedup.py) merges copies of one story that contain each other almost entirely. A cluster
groups what is left: stories that share a good part of their wording (reprinted paragraphs,
lightly edited wire copy) and were published close together. They stay separate stories in the
index; a search can show one hit per cluster ("+3 more outlets on this story"), and an article
page lists the cluster's other stories.

How, at index time (about as costly as dedup, once per build; the knobs are ClusterSettings):

- Each story's body (its first `max_words` words: where copies agree) becomes a set of hashed
  4-word shingles, and a bottom-k sketch: its `sketch_size` smallest hashes. Two sketches
  estimate the Jaccard similarity of the full sets (Broder's bottom-k estimator).
- Candidate pairs share at least `min_shared_hashes` sketch hashes; a hash found in more than
  `max_posting` sketches is boilerplate and suggests no pair. Pairs published more than
  `window_days` apart are not compared (undated stories are compared on text alone).
- Average-link grouping over the pairs, most similar first: two groups merge when the mean
  similarity over all their cross pairs (pairs not similar enough to be scored count as 0) is at
  least `threshold`. Unlike single-link this does not chain a whole beat of loosely related
  stories into one cluster through one shared paragraph each.

The clusters of a generation are written beside it (clusters.json) and read once per process
(engines/whoosh/collapsing.py: the search-time half).
"""

from __future__ import annotations

import json
import os
import re
import time
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from itertools import combinations
from pathlib import Path

from searchsvc.analysis import strip_accents
from searchsvc.engines.whoosh.generations import CLUSTERS_FILE
from searchsvc.extract.article import Article
from searchsvc.indexing import similar_search
from searchsvc.indexing.dedup import comparable_text
from searchsvc.model import Cluster

FORMAT_VERSION = 1
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ClusterSettings:
    """The knobs, in one place (benchmarks/clusters.py measures other values)."""

    shingle_words: int = 4
    max_words: int = 400
    sketch_size: int = 64
    max_posting: int = 30
    min_shared_hashes: int = 2
    # Estimated Jaccard of 4-word shingles. A perturbed copy keeping half its original's
    # paragraphs scores about 0.3 (median, benchmarks/clusters.py); distinct stories on one
    # topic score under 0.1 (the seeds: 0.07 at most).
    threshold: float = 0.2
    # Copies and rewrites of one story: reprints can trail the original by a couple of weeks
    # (17 days measured best on the news corpus, F1 0.60 against 0.10 for 3 days,
    # benchmarks/clusters.py); a story a month later reusing background paragraphs is new.
    window_days: int | None = 17


DEFAULT_SETTINGS = ClusterSettings()


# --- building clusters (index time) ---------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    # The smallest shingle hashes, ascending; signed 64-bit in an array (a tuple of 64 ints took
    # a quarter of a GB at 100k stories, held from extraction to clustering).
    sketch: array
    day: int | None  # proleptic ordinal of the publication day


def cluster_stories(
    stories: list[Article],
    settings: ClusterSettings = DEFAULT_SETTINGS,
    known: Mapping[int, Signature | None] | None = None,
) -> list[list[int]]:
    """Indexes into `stories` of each cluster of two or more, earliest story first.

    `known` maps id(story) to its signature with these settings, kept from an earlier build."""
    signatures = signatures_of(stories, settings, known)
    return groups_of(stories, similar_pairs(signatures, settings), settings)


def groups_of(
    stories: list[Article], pairs: list[tuple[float, int, int]], settings: ClusterSettings
) -> list[list[int]]:
    """cluster_stories' answer from the similar pairs (in any order: they are sorted first, so
    pairs kept from an earlier build and pairs found afresh group the same way)."""
    ordered = sorted(pairs, key=lambda p: (p[1], p[2]))
    groups = average_link(len(stories), ordered, settings.threshold)
    return [sorted(group, key=lambda i: _lead_key(stories[i])) for group in groups]


def as_clusters(stories: list[Article], groups: list[list[int]]) -> list[Cluster]:
    """The groups as engine-neutral clusters (lead story first)."""
    return [
        Cluster(stories[group[0]].id, tuple(_member(stories[i]) for i in group)) for group in groups
    ]


def signatures_of(
    stories: list[Article],
    settings: ClusterSettings,
    known: Mapping[int, Signature | None] | None = None,
) -> list[Signature | None]:
    word_ids: dict[str, int] = {}
    if not known:
        return [_signature(story, settings, word_ids) for story in stories]
    return [
        known[id(story)] if id(story) in known else _signature(story, settings, word_ids)
        for story in stories
    ]


def signature(story: Article, settings: ClusterSettings = DEFAULT_SETTINGS) -> Signature | None:
    """One story's signature, to keep for the next build (see cluster_stories)."""
    return _signature(story, settings, {})


def _signature(
    story: Article, settings: ClusterSettings, word_ids: dict[str, int]
) -> Signature | None:
    words = _words(comparable_text(story))[: settings.max_words]
    if not words:
        return None
    for word in set(words).difference(word_ids):
        word_ids[word] = zlib.crc32(word.encode("utf-8"))
    ids = list(map(word_ids.__getitem__, words))
    size = settings.shingle_words
    # A tuple of ints hashes the same in every process (only str hashing is salted), so the
    # sketches and therefore the clusters are reproducible.
    if len(ids) < size:
        hashes = {hash(tuple(ids))}
    else:
        hashes = set(map(hash, zip(*(ids[start:] for start in range(size)), strict=False)))
    day = _day(story.published)
    return Signature(array("q", sorted(hashes)[: settings.sketch_size]), day)


def _words(text: str) -> list[str]:
    return _WORD.findall(strip_accents(text.lower()))


def _day(published: datetime | date | None) -> int | None:
    if published is None:
        return None
    return (published.date() if isinstance(published, datetime) else published).toordinal()


def similar_pairs(
    signatures: list[Signature | None],
    settings: ClusterSettings,
    among: set[int] | None = None,
    postings: dict[int, list[int]] | None = None,
) -> list[tuple[float, int, int]]:
    """(estimated Jaccard, i, j) for candidate pairs close enough in time and text; only those
    with a story in `among` when given (an incremental build keeps the others). `postings`:
    postings_of(signatures), when the caller has it (with `among`, of the hashes of its
    sketches at least). Over every story (a full build), the same pairs come from array
    operations (similar_search.py), ascending by (i, j)."""
    if among is None and postings is None:
        return similar_search.similar_pairs(signatures, settings)
    postings = postings if postings is not None else postings_of(signatures)
    shared: Counter[tuple[int, int]] = Counter()
    if among is None:
        for holders in postings.values():
            if _counts(len(holders), settings):
                shared.update(combinations(holders, 2))
    else:
        for index in sorted(among):
            signature = signatures[index]
            for value in signature.sketch if signature is not None else ():
                holders = postings[value]
                if _counts(len(holders), settings):
                    # A pair of two stories in `among` is counted from its first story only.
                    shared.update(
                        (min(index, other), max(index, other))
                        for other in holders
                        if other != index and (other > index or other not in among)
                    )
    pairs = []
    floor = settings.threshold / 2  # weaker pairs cannot lift an average to the threshold
    for (first, second), count in shared.items():
        if count < settings.min_shared_hashes:
            continue
        a, b = signatures[first], signatures[second]
        assert a is not None and b is not None
        if not _close_in_time(a.day, b.day, settings.window_days):
            continue
        similarity = estimated_jaccard(a.sketch, b.sketch, settings.sketch_size)
        if similarity >= floor:
            pairs.append((similarity, first, second))
    return pairs


def postings_of(
    signatures: list[Signature | None], only: set[int] | None = None
) -> dict[int, list[int]]:
    """Sketch hash → the stories (ascending) whose sketch holds it; of the hashes in `only`
    when given (an incremental build looks up a few: all of them took 85 MB at 10k stories)."""
    postings: dict[int, list[int]] = defaultdict(list)
    for index, signature in enumerate(signatures):
        if signature is None:
            continue
        if only is None:
            for value in signature.sketch:
                postings[value].append(index)
        else:
            for value in only.intersection(signature.sketch):
                postings[value].append(index)
    return postings


def sketch_hashes(signatures: Iterable[Signature | None]) -> set[int]:
    """Every hash of these sketches (the postings stale_stories or similar_pairs look up)."""
    hashes: set[int] = set()
    for signature in signatures:
        if signature is not None:
            hashes.update(signature.sketch)
    return hashes


def _counts(holders: int, settings: ClusterSettings) -> bool:
    """Whether a hash held by this many sketches suggests pairs (more: boilerplate)."""
    return 1 < holders <= settings.max_posting


def stale_stories(
    signatures: list[Signature | None],
    changed: set[int],
    gone: list[Signature],
    settings: ClusterSettings,
    postings: dict[int, list[int]],
) -> set[int]:
    """The stories whose similar pairs an incremental build must find again: the `changed` ones
    (new, or a new signature), and every story holding a hash whose posting crossed
    `max_posting` (or 1) because changed stories took it or `gone` signatures (the old ones of
    changed and removed stories) left it: the pairs sharing that hash count differently now.
    `postings` is postings_of(signatures), of every hash of the changed and gone sketches at
    least."""
    delta: Counter[int] = Counter()
    for index in changed:
        if signatures[index] is not None:
            delta.update(set(signatures[index].sketch))
    for old in gone:
        delta.subtract(set(old.sketch))
    stale = set(changed)
    for value, change in delta.items():
        holders = postings.get(value, [])
        if change and _counts(len(holders), settings) != _counts(len(holders) - change, settings):
            stale.update(holders)
    return stale


def _close_in_time(first: int | None, second: int | None, window: int | None) -> bool:
    if window is None or first is None or second is None:
        return True
    return abs(first - second) <= window


def estimated_jaccard(first: Sequence[int], second: Sequence[int], size: int) -> float:
    """Bottom-k estimate: the share of the union's `size` smallest hashes found in both."""
    union = sorted(set(first).union(second))[:size]
    if not union:
        return 0.0
    cut = union[-1]
    both = sum(1 for value in set(first).intersection(second) if value <= cut)
    return both / len(union)


def average_link(
    count: int, pairs: list[tuple[float, int, int]], threshold: float
) -> list[list[int]]:
    """Groups of two or more: strongest pairs first, merging two groups only while the mean
    similarity of all their cross pairs stays at or above `threshold`."""
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for similarity, first, second in pairs:
        neighbours[first][second] = similarity
        neighbours[second][first] = similarity
    group_of = list(range(count))
    members: dict[int, list[int]] = {}
    for _, first, second in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        a, b = group_of[first], group_of[second]
        if a == b:
            continue
        left, right = members.get(a, [a]), members.get(b, [b])
        if len(left) > len(right):
            left, right = right, left
        on_right = set(right)
        total = sum(s for i in left for j, s in neighbours[i].items() if j in on_right)
        if total / (len(left) * len(right)) < threshold:
            continue
        keep, drop = min(a, b), max(a, b)
        merged = left + right
        for index in merged:
            group_of[index] = keep
        members[keep] = merged
        members.pop(drop, None)
    return [sorted(group) for group in members.values()]


def _lead_key(story: Article) -> tuple[bool, int, str]:
    """Earliest first (undated last); the lead's id names the cluster."""
    day = _day(story.published)
    return (day is None, day or 0, story.id)


def cluster_members(
    stories: list[Article],
    settings: ClusterSettings = DEFAULT_SETTINGS,
    known: Mapping[int, Signature | None] | None = None,
) -> list[Cluster]:
    """The clusters of a generation's stories as the engine-neutral value (lead story first),
    for an engine writer that stores them itself."""
    groups = cluster_stories(stories, settings, known)
    return [
        Cluster(stories[group[0]].id, tuple(_member(stories[i]) for i in group)) for group in groups
    ]


def write_clusters(
    folder: Path,
    stories: list[Article],
    settings: ClusterSettings = DEFAULT_SETTINGS,
    known: Mapping[int, Signature | None] | None = None,
) -> int:
    """Compute the clusters of a generation's stories and write clusters.json; returns how many.

    Written to a new file and renamed: the folder may hold hard links to an older generation's
    files, which must never change.
    """
    started = time.perf_counter()
    groups = cluster_stories(stories, settings, known)
    document = {
        "version": FORMAT_VERSION,
        "settings": asdict(settings),
        "seconds": round(time.perf_counter() - started, 3),
        "clusters": [list(cluster.stories) for cluster in as_clusters(stories, groups)],
    }
    temporary = folder / f".{CLUSTERS_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    os.replace(temporary, folder / CLUSTERS_FILE)
    return len(groups)


def _member(story: Article) -> dict[str, object]:
    published = story.published.isoformat() if story.published else None
    return {
        "id": story.id,
        "title": story.title,
        "outlet": story.outlet,
        "published": published,
        "published_approximate": story.published_approximate,
    }
