"""Near-duplicate stories: the same story scraped from its page and from a listing, merged.

Two articles are the same story when most word 5-shingles of the shorter text also occur in
the longer one (containment, not Jaccard: a listing copy is a subset of the full story).
Groups are transitive (union-find). The merged story takes each field from the copy that has
the best version of it, and keeps the longest copy's id so ids stay stable between builds.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from searchsvc.extract.article import Article, normalise_for_identity
from searchsvc.extract.layouts import CAPTION_PREFIXES, CREDIT_NAMES

__all__ = [
    "CONTAINMENT_THRESHOLD",
    "DedupResult",
    "comparable_text",
    "containment",
    "deduplicate",
    "merge_duplicates",
    "normalise_for_shingles",
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


def merge_duplicates(articles: list[Article]) -> list[Article]:
    """One article per distinct story, in a stable order whatever the input order."""
    return list(deduplicate(articles).stories)


def deduplicate(articles: list[Article]) -> DedupResult:
    """Group near-duplicates and merge each group; see the module docstring for the rules."""
    compared = sorted((_Compared.of(article) for article in articles), key=_Compared.canonical_key)
    groups = _group(compared)
    stories = sorted((_merge(group) for group in groups), key=lambda a: (a.source_file, a.id))
    return DedupResult(stories=tuple(stories), merged=len(articles) - len(stories))


@dataclass(frozen=True)
class _Compared:
    """An article with the words it is compared by, computed once."""

    article: Article
    words: tuple[str, ...]
    shingles: frozenset[Shingle]

    @classmethod
    def of(cls, article: Article) -> _Compared:
        words = tuple(normalise_for_shingles(comparable_text(article)))
        return cls(article=article, words=words, shingles=_shingles_of(words))

    def canonical_key(self) -> tuple[int, int, int, bool, str, str]:
        """Longest text first. Equal lengths: the copy that keeps paragraphs and a read date
        is the full page (a listing flattens paragraphs and only estimates dates)."""
        article = self.article
        return (
            -len(self.words),
            -len(article.body),
            _date_rank(article),
            article.title is None,
            article.source_file,
            article.id,
        )


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
    words = normalise_for_identity(text)
    return _LEADING_CREDIT.sub("", words).split()


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[Shingle]:
    """The set of `size`-word runs of the normalised text (one short run for a short text)."""
    return _shingles_of(tuple(normalise_for_shingles(text)), size)


def _shingles_of(words: tuple[str, ...], size: int = SHINGLE_WORDS) -> frozenset[Shingle]:
    if len(words) < size:
        return frozenset({words}) if words else frozenset()
    return frozenset(words[i : i + size] for i in range(len(words) - size + 1))


def containment(first: frozenset[Shingle], second: frozenset[Shingle]) -> float:
    """The share of the smaller set's shingles that also occur in the larger set."""
    smaller = min(len(first), len(second))
    return len(first & second) / smaller if smaller else 0.0


def _group(compared: list[_Compared]) -> list[list[Article]]:
    """Union-find over pairs that share enough shingles; candidates come from an inverted index."""
    sets = [item.shingles for item in compared]
    parent = list(range(len(compared)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index, shared in _shared_counts(sets):
        for other, count in shared.items():
            if _same_story(count, len(sets[index]), len(sets[other])):
                first, second = root(index), root(other)
                parent[max(first, second)] = min(first, second)

    groups: dict[int, list[Article]] = {}
    for index, item in enumerate(compared):
        groups.setdefault(root(index), []).append(item.article)
    return list(groups.values())


def _same_story(shared: int, size: int, other_size: int) -> bool:
    smaller = min(size, other_size)
    if smaller == 0 or shared < min(MIN_SHARED_SHINGLES, smaller):
        return False
    return shared / smaller >= CONTAINMENT_THRESHOLD


def _shared_counts(sets: list[frozenset[Shingle]]) -> list[tuple[int, Counter[int]]]:
    """For each article, how many shingles it shares with each later article."""
    postings: dict[Shingle, list[int]] = {}
    for index, shingle_set in enumerate(sets):
        for shingle in shingle_set:
            postings.setdefault(shingle, []).append(index)
    counts: list[tuple[int, Counter[int]]] = [(index, Counter()) for index in range(len(sets))]
    for holders in postings.values():
        for position, index in enumerate(holders):
            counts[index][1].update(holders[position + 1 :])
    return counts


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
    )
