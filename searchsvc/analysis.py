"""The analyzers: one pipeline for indexing and query parsing, so both sides fold the same way.

tokenize → fold (case, accents, quotes) → split hyphenated words (parts + whole) → CJK bigrams
→ stop words → stem.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer, StopFilter, Token
from whoosh.analysis.analyzers import Analyzer
from whoosh.lang.porter import stem as porter_stem

# Words joined by hyphens or apostrophes stay one token here; HyphenFilter splits them later so
# "Jae-myung" is findable by "Jae", "myung", "Jae-Myung" and "jaemyung".
TOKEN_PATTERN = re.compile(r"\w+(?:['’‘`´][\w]+)*(?:[-‐‑–][\w]+(?:['’‘`´][\w]+)*)*", re.UNICODE)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_HYPHENS = re.compile(r"[-‐‑–]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "he",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "to",
        "was",
        "were",
        "will",
        "with",
    ]
)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case, strip accents, unify apostrophes and drop a possessive "'s"."""
    word = word.lower().translate(_APOSTROPHES)
    if not word.isascii():
        decomposed = unicodedata.normalize("NFKD", word)
        word = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


class FoldFilter(Filter):
    """Case, accent and quote folding in one pass (cached per distinct word)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = fold(t.text)
            if t.text:
                yield t


class HyphenFilter(Filter):
    """Split hyphenated words into parts; at index time also keep the parts joined.

    The parts take consecutive positions so phrase queries work across the hyphen; the joined form
    sits on the first part's position and is emitted only when indexing, so a query for
    "Jae-Myung" (parts, as a phrase) and one for "jaemyung" both find "Jae-myung".
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            if not _HYPHENS.search(t.text):
                yield t
                continue
            parts = [p for p in _HYPHENS.split(t.text) if p]
            indexing = t.mode == "index"
            start, pos = t.startchar if t.chars else 0, t.pos if t.positions else 0
            offset = 0
            for i, part in enumerate(parts):
                t.text = part
                if t.positions:
                    t.pos = pos + i
                if t.chars:
                    t.startchar = start + offset
                    t.endchar = t.startchar + len(part)
                    offset += len(part) + 1
                yield t
                if i == 0 and indexing:
                    t.text = "".join(parts)
                    yield t
            shift += len(parts) - 1


class CJKBigramFilter(Filter):
    """Japanese, Chinese and Korean runs have no spaces: index overlapping character bigrams."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            text = t.text
            if len(text) < 3 or not _CJK.search(text):
                yield t
                continue
            pos, start = (t.pos if t.positions else 0), (t.startchar if t.chars else 0)
            for i in range(len(text) - 1):
                t.text = text[i : i + 2]
                if t.positions:
                    t.pos = pos + i
                if t.chars:
                    t.startchar, t.endchar = start + i, start + i + 2
                yield t
            shift += len(text) - 2


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    if word.isdigit() or _CJK.search(word):
        return word
    return porter_stem(word)


class CachedStemFilter(Filter):
    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def _tokenizer() -> RegexTokenizer:
    return RegexTokenizer(expression=TOKEN_PATTERN)


def english_analyzer() -> Analyzer:
    """Full text: folded, stop words removed (positions renumbered), Porter-stemmed."""
    return (
        _tokenizer()
        | FoldFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | HyphenFilter()
        | CJKBigramFilter()
        | CachedStemFilter()
    )


def plain_analyzer() -> Analyzer:
    """Names and labels (outlet, category): folded, never stemmed."""
    return _tokenizer() | FoldFilter() | HyphenFilter()


WORD_PATTERN = TOKEN_PATTERN


def surface_words(text: str) -> Iterator[str]:
    """Folded, unstemmed words of a text, for the spelling vocabulary."""
    for match in TOKEN_PATTERN.finditer(text):
        for part in _HYPHENS.split(fold(match.group())):
            if part and not part.isdigit():
                yield part
