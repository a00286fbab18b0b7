""" "Did you mean": single-edit corrections against the index's own vocabulary."""

from __future__ import annotations

import re
import string

from searchsvc.analysis import fold

_LETTERS = string.ascii_lowercase
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
MIN_LENGTH = 4


def edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


def correct(word: str, vocabulary: dict[str, int]) -> str | None:
    """The most frequent known word one or two edits away, or None if `word` is known/unfixable."""
    folded = fold(word)
    if len(folded) < MIN_LENGTH or folded in vocabulary:
        return None
    first = edits1(folded)
    known = [w for w in first if w in vocabulary]
    if not known and 6 <= len(folded) <= 12:
        known = [w for e in first for w in edits1(e) if w in vocabulary]
    if not known:
        return None
    return max(sorted(known), key=lambda w: vocabulary[w])


def suggest_query(text: str, vocabulary: dict[str, int]) -> str | None:
    """The query with each unknown word replaced by its correction, or None if nothing changes."""
    if not vocabulary:
        return None
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group()
        if word in ("AND", "OR", "NOT"):
            return word
        better = correct(word, vocabulary)
        if better is None:
            return word
        changed = True
        return better

    suggestion = _WORD.sub(fix, text)
    return suggestion if changed else None
