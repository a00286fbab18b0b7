"""Paragraph-level voting: keep a paragraph of the chosen body only when enough extractors keep it.

Choosing one whole candidate inherits all of its mistakes; most of them are a few paragraphs
(a "you may also like" list, a promo box inside the story container) that only that extractor
kept. Each candidate therefore votes on each paragraph of the chosen body, and a paragraph
that fewer than half of them contain is dropped. Voting needs enough voters to outvote one
extractor, so with fewer than `MIN_VOTERS` candidates the body is returned unchanged.

Extractors disagree on spaces around inline markup (CJK text has none) and on where paragraphs
break, so "contains" compares word characters only, lowercased, and accepts a paragraph whose
character n-grams are mostly found in the voter's text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = ["MIN_VOTERS", "keep_agreed"]

MIN_VOTERS = 4
_WORD = re.compile(r"\w+")
_GRAM = 10  # characters: long enough to be specific, short enough for small paragraphs
_COVERED = 0.8  # share of a paragraph's n-grams a voter must hold to count as keeping it
_MIN_FUZZY_CHARS = 20  # shorter paragraphs must appear verbatim


class _Voter:
    """One extractor's body, indexed for "does it contain this paragraph?"."""

    def __init__(self, paragraphs: Sequence[str]) -> None:
        self.text = normalised(" ".join(paragraphs))
        self.grams = _grams(self.text)

    def keeps(self, paragraph: str) -> bool:
        text = normalised(paragraph)
        if not text or text in self.text:
            return True
        if len(text) < _MIN_FUZZY_CHARS:
            return False
        grams = _grams(text)
        return len(grams & self.grams) >= _COVERED * len(grams)


def keep_agreed(body: tuple[str, ...], voters: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """The paragraphs of `body` that at least half of `voters` contain, in body order.

    The body is returned unchanged when there are too few voters, or when no paragraph would
    remain: an empty story is worse than a noisy one.
    """
    if len(voters) < MIN_VOTERS:
        return body
    quorum = math.ceil(len(voters) / 2)
    indexed = [_Voter(paragraphs) for paragraphs in voters]
    kept = tuple(p for p in body if sum(v.keeps(p) for v in indexed) >= quorum)
    return kept or body


def normalised(text: str) -> str:
    """Word characters only, lowercased."""
    return "".join(_WORD.findall(text)).lower()


def _grams(text: str) -> set[str]:
    return {text[i : i + _GRAM] for i in range(max(len(text) - _GRAM + 1, 1))}
