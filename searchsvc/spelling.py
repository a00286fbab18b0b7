""" "Did you mean": corrections against the index's own vocabulary.

One edit away is checked exactly (every deletion, transposition, replacement and insertion, each
one dictionary lookup). Two edits away would be a quarter of a million candidates per word, so
instead the known words sharing the first letter and a similar length are compared with difflib;
that bucket is built once per index generation.
"""

from __future__ import annotations

import difflib
import re
import string
from collections import defaultdict

from searchsvc.analysis import fold

_LETTERS = string.ascii_lowercase
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
MIN_LENGTH = 4
MAX_BUCKET = 4000  # the most frequent words per (first letter, length) bucket
CLOSE_ENOUGH = 0.8


def edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


class Speller:
    """Corrections for one vocabulary (word → number of stories containing it)."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in vocabulary:
            if len(word) >= MIN_LENGTH:
                buckets[(word[0], len(word))].append(word)
        self.buckets = {
            key: sorted(words, key=lambda w: -vocabulary[w])[:MAX_BUCKET]
            for key, words in buckets.items()
        }

    def correct(self, word: str) -> str | None:
        """The best known word one or two edits away, or None if `word` is known/unfixable."""
        folded = fold(word)
        if len(folded) < MIN_LENGTH or folded in self.vocabulary:
            return None
        known = [w for w in edits1(folded) if w in self.vocabulary]
        if known:
            return max(sorted(known), key=lambda w: self.vocabulary[w])
        if len(folded) < 6:
            return None  # two edits in a short word make a different word, not a typo
        nearby = [w for size in (len(folded) - 1, len(folded), len(folded) + 1)
                  for w in self.buckets.get((folded[0], size), ())]  # fmt: skip
        close = difflib.get_close_matches(folded, nearby, n=3, cutoff=CLOSE_ENOUGH)
        if not close:
            return None
        return max(close, key=lambda w: (difflib.SequenceMatcher(None, folded, w).ratio(),
                                         self.vocabulary[w]))  # fmt: skip

    def suggest(self, text: str) -> str | None:
        """The query with each unknown word replaced by its correction, or None if unchanged."""
        if not self.vocabulary:
            return None
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group()
            if word in ("AND", "OR", "NOT"):
                return word
            better = self.correct(word)
            if better is None:
                return word
            changed = True
            return better

        suggestion = _WORD.sub(fix, text)
        return suggestion if changed else None
