"""Near-duplicate stories: the same story scraped from its page and from a listing, merged.

Two articles are the same story when most word 5-shingles of the shorter text also occur in
the longer one (containment, not Jaccard: a listing copy is a subset of the full story).
Groups are transitive (union-find). The merged story takes each field from the copy that has
the best version of it, and keeps the longest copy's id so ids stay stable between builds.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b

from searchsvc.extract.article import Article, Copy, normalise_for_identity
from searchsvc.extract.layouts import CAPTION_PREFIXES, CREDIT_NAMES
from searchsvc.indexing import duplicate_search

__all__ = [
    "CONTAINMENT_THRESHOLD",
    "DedupResult",
    "comparable_text",
    "containment",
    "deduplicate",
    "duplicate_pairs",
    "merge_duplicates",
    "merge_groups",
    "pairs_touching",
    "normalise_for_shingles",
    "shingle_key",
    "shingles",
]

SHINGLE_WORDS = 5
# Measured on the seeds: true duplicates score 1.0, distinct stories on the same topic ≤ 0.02.
CONTAINMENT_THRESHOLD = 0.7
# Fewer shared shingles than this is chance, however short the shorter article is.
MIN_SHARED_SHINGLES = 3

_LEADING_CREDIT = re.compile(
    r"^(?:" + "|".join(re.escape(normalise_for_identity(name)) for name in CREDIT_NAMES) + r")\b"
)

Shingle = tuple[str, ...]


@dataclass(frozen=True)
class DedupResult:
    """The distinct stories, and how many input articles were folded into another."""

    stories: tuple[Article, ...]
    merged: int


def merge_duplicates(
    articles: list[Article], keys: list[ShingleKey | None] | None = None
) -> list[Article]:
    """One article per distinct story, in a stable order whatever the input order."""
    return list(deduplicate(articles, keys).stories)


def deduplicate(
    articles: list[Article], keys: list[ShingleKey | None] | None = None
) -> DedupResult:
    """Group near-duplicates and merge each group; see the module docstring for the rules.

    `keys[i]`, when given, is shingle_key(articles[i]) kept from an earlier build (an unchanged
    file's articles are unchanged): computing them is much of the cost of a rebuild.
    """
    known = keys_of(articles, keys)
    stories = merge_groups(articles, known, duplicate_pairs(known))
    return DedupResult(stories=tuple(stories), merged=len(articles) - len(stories))


def keys_of(articles: list[Article], keys: list[ShingleKey | None] | None) -> list[ShingleKey]:
    """Every article's shingle key: the known ones, the others computed."""
    known = keys or [None] * len(articles)
    return [
        key if key is not None else shingle_key(article)
        for article, key in zip(articles, known, strict=True)
    ]


def merge_groups(
    articles: list[Article], keys: list[ShingleKey], pairs: list[tuple[int, int]]
) -> list[Article]:
    """The stories: each connected group of `pairs` (indexes into `articles` of verified
    duplicates) merged into one, in canonical order; sorted by (source file, id).

    The groups depend on the pairs alone, so pairs kept from an earlier build (between articles
    that did not change) and pairs found for the changed ones give a full build's stories.
    """
    return merged_groups(articles, keys, pairs)[0]


def merged_groups(
    articles: list[Article], keys: list[ShingleKey], pairs: list[tuple[int, int]]
) -> tuple[list[Article], dict[str, list[int]]]:
    """merge_groups, and the id of each story merged from several articles → their indexes,
    in canonical order (a story is a function of them: see pipeline.story_fingerprints)."""
    # Only articles in a pair have a group to order: the others are stories by themselves
    # (ordering all of them was most of this at 100k articles).
    paired = sorted({index for pair in pairs for index in pair})
    canonical = {
        index: _Compared(articles[index], *keys[index]).canonical_key() for index in paired
    }
    order = sorted(paired, key=canonical.__getitem__)
    rank = {index: position for position, index in enumerate(order)}
    parent = list(range(len(order)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for first, second in pairs:
        a, b = root(rank[first]), root(rank[second])
        parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}  # root → article indexes, in canonical order
    for position, index in enumerate(order):
        groups.setdefault(root(position), []).append(index)
    # Every group holds two articles at least (each paired article has its partner); the
    # merged story keeps its first article's id.
    members = {articles[group[0]].id: group for group in groups.values()}
    alone = (article for index, article in enumerate(articles) if index not in rank)
    stories = [*(_merge([articles[i] for i in group]) for group in groups.values()), *alone]
    return sorted(stories, key=lambda a: (a.source_file, a.id)), members


def duplicate_pairs(keys: list[ShingleKey]) -> list[tuple[int, int]]:
    """Every pair (i < j) of articles that are the same story (see _same_story); exact
    (prefix filtering over all articles at once, duplicate_search.py)."""
    return duplicate_search.duplicate_pairs(
        [key[1] for key in keys], CONTAINMENT_THRESHOLD, MIN_SHARED_SHINGLES
    )


def pairs_touching(keys: list[ShingleKey], changed: set[int]) -> list[tuple[int, int]]:
    """The pairs of duplicate_pairs(keys) with at least one article in `changed`, found without
    comparing the unchanged articles among themselves (duplicate_search.pairs_touching)."""
    return duplicate_search.pairs_touching(
        [key[1] for key in keys], changed, CONTAINMENT_THRESHOLD, MIN_SHARED_SHINGLES
    )


@dataclass(frozen=True)
class _Compared:
    """An article with what it is compared by, computed once: its word count and its shingles,
    each kept as a hash in a sorted array (a tuple of five strings per shingle would take
    gigabytes at 100k articles)."""

    article: Article
    word_count: int
    shingles: array  # unsigned 64-bit hashes

    @classmethod
    def of(cls, article: Article) -> _Compared:
        return cls(article, *shingle_key(article))

    def canonical_key(self) -> tuple[int, int, int, bool, str, str]:
        """Longest text first. Equal lengths: the copy that keeps paragraphs and a read date
        is the full page (a listing flattens paragraphs and only estimates dates)."""
        article = self.article
        return (
            -self.word_count,
            -len(article.body),
            _date_rank(article),
            article.title is None,
            article.source_file,
            article.id,
        )


ShingleKey = tuple[int, array]


def shingle_key(article: Article) -> ShingleKey:
    """What an article is compared by: its word count and its shingles' hashes, ascending.

    The hashes are the same in every process (a tuple of ints hashes alike everywhere; only str
    hashing is salted), so a build can keep them for the next one.
    """
    words = normalise_for_shingles(comparable_text(article))
    ids = _WORD_IDS
    if len(ids) > _WORD_IDS_MAX:
        ids.clear()
    for word in set(words).difference(ids):
        ids[word] = int.from_bytes(blake2b(word.encode("utf-8"), digest_size=8).digest())
    shingled = _shingles_of(tuple(map(ids.__getitem__, words)))
    return len(words), array("Q", sorted({hash(s) & _UNSIGNED for s in shingled}))


_WORD_IDS: dict[str, int] = {}
_WORD_IDS_MAX = 2_000_000


def comparable_text(article: Article) -> str:
    """The story text without a photo caption at its front (kept there by some scrapes)."""
    text = article.text or article.title or ""
    if article.caption and text.startswith(article.caption):
        return text[len(article.caption) :].lstrip()
    for pattern in CAPTION_PREFIXES:
        match = pattern.match(text)
        if match:
            return text[match.end() :]
    return text


def normalise_for_shingles(text: str) -> list[str]:
    """Words with case, quotes, apostrophes and punctuation folded, and no leading photo credit."""
    return _LEADING_CREDIT.sub("", normalise_for_identity(text)).split()


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[Shingle]:
    """The set of `size`-word runs of the normalised text (one short run for a short text)."""
    return _shingles_of(tuple(normalise_for_shingles(text)), size)


def _shingles_of(words: tuple, size: int = SHINGLE_WORDS) -> frozenset[tuple]:
    if len(words) < size:
        return frozenset({words}) if words else frozenset()
    return frozenset(words[i : i + size] for i in range(len(words) - size + 1))


def containment(first: frozenset[Shingle], second: frozenset[Shingle]) -> float:
    """The share of the smaller set's shingles that also occur in the larger set."""
    smaller = min(len(first), len(second))
    return len(first & second) / smaller if smaller else 0.0


def _same_story(shared: int, size: int, other_size: int) -> bool:
    smaller = min(size, other_size)
    if smaller == 0 or shared < min(MIN_SHARED_SHINGLES, smaller):
        return False
    return shared / smaller >= CONTAINMENT_THRESHOLD


_UNSIGNED = (1 << 64) - 1


def _date_rank(article: Article) -> int:
    """Read beats estimated, a time beats a bare day, any date beats none."""
    if article.published is None:
        return 3
    if article.published_approximate:
        return 2
    return 0 if isinstance(article.published, datetime) else 1


def _first(group: list[Article], name: str) -> object:
    return next((getattr(a, name) for a in group if getattr(a, name)), None)


def _merge(group: list[Article]) -> Article:
    """`group` is in canonical order: its first article is the full copy whose id is kept."""
    canonical = group[0]
    if len(group) == 1:
        return canonical
    dated = min(group, key=_date_rank)
    sources = {source for a in group for source in (a.source_file, *a.also_in)}
    copies = {c.source_file: c for a in group for c in (Copy.of(a), *a.copies)}
    copies.pop(canonical.source_file, None)
    removed = tuple(dict.fromkeys(r for a in group for r in a.removed))
    return canonical.with_changes(
        title=_first(group, "title"),
        caption=canonical.caption or _first(group, "caption"),
        outlet=_first(group, "outlet"),
        category=_first(group, "category"),
        byline=_first(group, "byline"),
        dateline=_first(group, "dateline"),
        published=dated.published,
        published_approximate=dated.published_approximate,
        removed=removed,
        also_in=tuple(sorted(sources)),
        copies=tuple(copies[name] for name in sorted(copies)),
        url=canonical.url or _first(group, "url"),
    )
