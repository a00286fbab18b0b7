"""Where a text's words may give some terms, found without tokenising the whole text.

A hit's snippet and its matched words need the tokens of the body that give one of the query's
terms. Cutting the whole body into words (a regular-expression pass building a string per
word) and analysing them cost more than the rest of a search; here the text is only searched.

Tokens come in two kinds. A *plain* token is a run of ASCII letters and digits with no joiner
attached (TOKEN_PATTERN's `\\w+` alone): the analyzer turns it into one term, its lower-cased
form (a stop word) or the Porter stem of that. Porter only rewrites a word's ending, and a stem
differs from the lower-cased word in at most its last two characters: two for a stem ending in
"ble" ("employability" → "employable"), one for a stem ending in "e", "i" or "l" ("making" →
"make", "happy" → "happi", "disability" → "disabl"), none otherwise (every Porter rule replacing
a suffix by something other than its own beginning ends the stem so). So every plain token
giving a term starts with the term's *key*, the stem less those characters, once lower-cased:
looking for the keys at the starts of words of the lower-cased text finds each such token,
among others the caller then checks with its table. Every other token (holding a joiner, an
underscore or a non-ASCII word character: "Jae-myung", "don’t", "Café", "東京都庁") can give
terms that are no substring of it, so those are all taken, found by looking for the
characters that make them so.

A term whose key would be under two characters ("ai" → "a") would match nearly every word,
and a prefix standing for many terms would search the text once per term; then `candidates`
answers None and the caller reads the whole text as before.
tests/test_whoosh_equivalence.py compares both ways over every story of a realistic index.
"""

from __future__ import annotations

import re
from functools import lru_cache

from searchsvc.analysis import HYPHENS, TOKEN_PATTERN, WORD_JOINERS, fold

MIN_KEY = 2
# More terms than this are looked for by reading every word: each key is one search of the text.
MAX_KEYS = 24
# The ASCII characters that can make the token around them other than plain (joiners when they
# join, the underscore); besides them, non-ASCII joiners and word characters. Looked for with
# str.find, and with a regular expression only in a text holding non-ASCII characters (a
# character class scan costs as much as cutting the text into words).
_ASCII_SPECIAL = "".join(char for char in f"_{WORD_JOINERS}" if char.isascii())
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_RUN_END = re.compile(r"\w*")

Token = tuple[int, int, str]  # (start, end, the token as written)


def stem_key(term: str) -> str | None:
    """What every plain token giving `term` starts with once lower-cased ("" when no plain
    token gives it: a term of other characters), or None when that would be under MIN_KEY
    long."""
    if not (term.isascii() and term.isalnum()) or term != term.lower():
        return ""
    if term.endswith("ble"):
        key = term[:-2]
    elif term.endswith(("e", "i", "l")):
        key = term[:-1]
    else:
        key = term
    return key if len(key) >= MIN_KEY else None


def candidates(text: str, terms: frozenset[str]) -> list[Token] | None:
    """Tokens of `text` in order, holding every one that gives one of `terms` (and others, for
    the caller's table to rule out); None when the keys cannot narrow the search."""
    if len(terms) > MAX_KEYS:
        return None  # a prefix standing for many words: one pass over the text costs less
    keys = set()
    for term in terms:
        key = stem_key(term)
        if key is None:
            return None
        if key:
            keys.add(key)
    lowered = text.lower()
    if len(lowered) != len(text):
        return None  # a character lower-cased into two: positions would not line up
    found = {
        start: (start, end, word)
        for start, end, word in special_tokens(text)
        if _may_give(word, keys)
    }
    for key in keys:
        _add_plain(text, lowered, key, found)
    return [found[start] for start in sorted(found)]


def _may_give(word: str, keys: set[str]) -> bool:
    """Whether a token that is not plain may give a term with one of `keys`. A word whose
    folded parts are ASCII letters and digits ("Jae-myung", "don’t") gives the stems of its
    parts and of their join (analysis._expand_joined), each starting with its key and all
    within the join; any other (non-ASCII letters, CJK) is left to the caller's table."""
    joined = _ascii_join(word)
    return joined is None or any(key in joined for key in keys)


@lru_cache(maxsize=65_536)
def _ascii_join(word: str) -> str | None:
    """The folded parts of `word` joined, when all are ASCII letters and digits, else None."""
    parts = [part for part in HYPHENS.split(fold(word)) if part]
    if not parts or not all(part.isascii() and part.isalnum() for part in parts):
        return None
    return "".join(parts)


def _add_plain(text: str, lowered: str, key: str, found: dict[int, Token]) -> None:
    """Add to `found` each plain token whose lower-cased form starts with `key`."""
    at = lowered.find(key)
    while at >= 0:
        before = text[at - 1] if at else " "
        if before.isalnum() or before == "_":
            at = lowered.find(key, at + 1)  # inside a word, not at its start
            continue
        end = _RUN_END.match(text, at).end()
        word = text[at:end]
        if at not in found and is_plain(word) and _alone(text, at, end):
            found[at] = (at, end, word)
        at = lowered.find(key, max(end, at + 1))


@lru_cache(maxsize=64)
def special_tokens(text: str) -> tuple[Token, ...]:
    """Every token of `text` that is not plain, in order (a hit's snippet and matched words
    read the same body, so the last few texts are kept)."""
    tokens: dict[int, Token] = {}
    for at in _special_positions(text):
        char = text[at]
        if char in WORD_JOINERS:
            if not _joins_words(text, at):
                continue
        elif not _word_char(char):
            continue  # non-ASCII punctuation or space
        start = _token_start(text, at)
        if start in tokens:
            continue
        token = TOKEN_PATTERN.match(text, start)
        word = token.group()
        if not is_plain(word):
            tokens[start] = (start, token.end(), word)
    return tuple(tokens[start] for start in sorted(tokens))


def _special_positions(text: str) -> list[int]:
    """Positions of the characters that may make a token not plain, in order."""
    positions = []
    for char in _ASCII_SPECIAL:
        at = text.find(char)
        while at >= 0:
            positions.append(at)
            at = text.find(char, at + 1)
    if not text.isascii():
        positions.extend(match.start() for match in _NON_ASCII.finditer(text))
    positions.sort()
    return positions


def is_plain(word: str) -> bool:
    """Whether a token is plain: ASCII letters and digits only (one term, its key inside)."""
    return word.isascii() and word.isalnum()


def _token_start(text: str, at: int) -> int:
    """Where the token holding position `at` (a word character, or a joiner between two)
    starts: back over word characters and over joiners with a word character on each side."""
    while at:
        before = text[at - 1]
        if (
            before.isalnum()
            or before == "_"
            or (before in WORD_JOINERS and _joins_words(text, at - 1))
        ):
            at -= 1
        else:
            break
    return at


def _joins_words(text: str, at: int) -> bool:
    """Whether the character at `at` has a word character on each side (a joiner there
    continues the token)."""
    return 0 < at < len(text) - 1 and _word_char(text[at - 1]) and _word_char(text[at + 1])


def _alone(text: str, start: int, end: int) -> bool:
    """Whether the word run text[start:end] is a token by itself, no joiner tying it to the
    word run before or after."""
    if start and text[start - 1] in WORD_JOINERS and _joins_words(text, start - 1):
        return False
    return not (end < len(text) and text[end] in WORD_JOINERS and _joins_words(text, end))


def _word_char(char: str) -> bool:
    """Regular expressions' \\w: alphanumeric or "_"."""
    return char.isalnum() or char == "_"
