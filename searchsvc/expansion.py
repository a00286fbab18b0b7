"""Prefix expansion (`word*`), the engine-neutral rule: which words are searched, and what the
user is told when there were too many.

A prefix matches every index word that starts with it; at most `max_expansion` of them are
searched. Those kept are the most frequent — by the number of stories holding the word in the
field over the whole generation, never per shard or per segment — ties in alphabetical order,
so the words a reader most likely meant survive the cap and every engine keeps the same ones.
When words were dropped, the search says how many matched and names the most frequent of the
dropped ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DROPPED_SHOWN = 3  # dropped words named in the warning


@dataclass(frozen=True)
class Expansion:
    """One prefix in one field: the words searched with their story counts, most frequent
    first; how many words the prefix matched in all; the most frequent of those dropped."""

    kept: tuple[tuple[str, int], ...]
    total: int
    dropped: tuple[str, ...] = ()

    @property
    def capped(self) -> bool:
        return self.total > len(self.kept)


def frequency_order(word_and_count: tuple[str, int]) -> tuple[int, str]:
    """Sort key: most stories first, then alphabetical."""
    word, count = word_and_count
    return -count, word


def most_frequent(words: Iterable[tuple[str, int]], cap: int) -> Expansion:
    """Keep the `cap` words found in most stories (engines that enumerate words themselves)."""
    ordered = sorted(words, key=frequency_order)
    kept = tuple(ordered[:cap])
    dropped = tuple(word for word, _ in ordered[cap : cap + DROPPED_SHOWN])
    return Expansion(kept, len(ordered), dropped)


def expansion_warning(prefix: str, total: int, kept: int, dropped: Sequence[str]) -> str:
    """ "'ko*' matches 412 words; the 256 most frequent were searched (dropped e.g. kobe, kofi,
    ...)". `prefix` as the user typed it, without the star."""
    shown = ", ".join(dropped[:DROPPED_SHOWN])
    more = ", ..." if total - kept > len(dropped[:DROPPED_SHOWN]) else ""
    example = f" (dropped e.g. {shown}{more})" if shown else ""
    return f"'{prefix}*' matches {total} words; the {kept} most frequent were searched{example}"
