"""Text analysis defined once, engine-neutral: how a word is folded, stopped and stemmed.

tokenize → fold (case, accents, quotes) → split hyphenated words (parts + whole) → CJK bigrams
→ stop words → stem. The Whoosh engine builds its analyzers from these parts
(engines/whoosh/analysis.py); another engine builds its analysis settings from the same lists,
and tests check that both fold and stem the same words the same way. Everything else that
compares words (spelling, dedup, clusters) folds with `fold()` too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from searchsvc.porter import stem as porter_stem

# Words joined by hyphens or apostrophes stay one token here; the hyphen step splits them later
# so "Jae-myung" is findable by "Jae", "myung", "Jae-Myung" and "jaemyung". (Written as "word,
# then joiner and word, repeated": the same tokens as apostrophe parts before hyphen groups
# each with their own apostrophe parts, which the regular expression engine ran 25 % slower.)
WORD_JOINERS = "'’‘`´‐‑–-"  # the ASCII hyphen last: a literal at the end of a character class
TOKEN_PATTERN = re.compile(rf"\w+(?:[{WORD_JOINERS}]\w+)*", re.UNICODE)

APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
HYPHENS = re.compile(r"[-‐‑–]")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

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


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def strip_accents(text: str) -> str:
    """Compatibility-decompose (NFKD) and drop the combining marks: "Café" → "Cafe".

    The one accent folding of the project (analysis, dedup, clusters). Only non-ASCII runs are
    walked character by character (it was the largest cost of deduplicating 10k articles).
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed
    return _NON_ASCII_RUN.sub(_without_combining, decomposed)


def _without_combining(match: re.Match[str]) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower-case, strip accents, unify apostrophes and drop a possessive "'s"."""
    word = strip_accents(word.lower().translate(APOSTROPHES))
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    if word.isdigit() or CJK.search(word):
        return word
    return porter_stem(word)


def cjk_bigrams(text: str) -> list[str]:
    """A run of 3+ characters holding CJK is indexed as its overlapping character bigrams."""
    if len(text) < 3 or not CJK.search(text):
        return [text]
    return [text[i : i + 2] for i in range(len(text) - 1)]


def query_words(text: str) -> Iterator[str]:
    """The words of `text` as a query reads them and the index holds them: folded, stop words
    dropped, hyphenated words split into their parts, CJK runs cut into bigrams, stemmed."""
    for match in TOKEN_PATTERN.finditer(text):
        folded = fold(match.group())
        if not folded or folded in STOP_WORDS:
            continue
        for part in HYPHENS.split(folded):
            if part:
                for unit in cjk_bigrams(part):
                    yield stem(unit)


def index_tokens(text: str) -> Iterator[str]:
    """The unstemmed tokens an index holds for `text`: folded, stop words dropped, hyphenated
    words as their parts *and* joined ("jae-myung" → jae, myung, jaemyung), CJK runs as bigrams.
    What Whoosh's EnglishAnalyzer indexes before stemming, and what the OpenSearch mapping
    mirrors; engines that count or compare index words use this rather than their analyzers."""
    for match in TOKEN_PATTERN.finditer(text):
        folded = fold(match.group())
        if not folded or folded in STOP_WORDS:
            continue
        parts = [p for p in HYPHENS.split(folded) if p]
        units = [*parts, "".join(parts)] if len(parts) > 1 else parts
        for unit in units:
            yield from cjk_bigrams(unit)


def index_words(text: str) -> set[str]:
    """The distinct stemmed words an index holds for `text` (index_tokens, stemmed)."""
    return {stem(token) for token in index_tokens(text)}


def label_words(text: str) -> set[str]:
    """The words a label field (outlet, category) holds: folded, hyphen parts and joined, never
    stemmed, stop words kept."""
    words: set[str] = set()
    for match in TOKEN_PATTERN.finditer(text):
        parts = [p for p in HYPHENS.split(fold(match.group())) if p]
        words.update([*parts, "".join(parts)] if len(parts) > 1 else parts)
    return words


def surface_word_set(text: str) -> set[str]:
    """Folded, unstemmed words of a text (hyphenated ones split), for the spelling vocabulary."""
    words: set[str] = set()
    for token in set(TOKEN_PATTERN.findall(text)):
        words.update(_surface_parts(token))
    return words


@lru_cache(maxsize=200_000)
def _surface_parts(token: str) -> tuple[str, ...]:
    return tuple(p for p in HYPHENS.split(fold(token)) if p and not p.isdigit())


# Generations built before the engine seam pickled their analyzers (inside the Whoosh schema) as
# searchsvc.analysis.<class>; Whoosh unpickles them by that name when it opens such a generation.
# They are served from the Whoosh engine on that demand only, so this module imports no Whoosh.
_PICKLED_BEFORE_THE_SEAM = frozenset(
    ["EnglishAnalyzer", "FoldFilter", "HyphenFilter", "CJKBigramFilter", "CachedStemFilter"]
)


def __getattr__(name: str) -> object:
    if name in _PICKLED_BEFORE_THE_SEAM:
        from searchsvc.engines.whoosh import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
