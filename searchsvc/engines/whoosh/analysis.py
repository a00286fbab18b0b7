"""The Whoosh analyzers: one pipeline for indexing and querying, so both sides fold the same way.

tokenize → fold (case, accents, quotes) → split hyphenated words (parts + whole) → CJK bigrams
→ stop words → stem. What each step does to a word is defined engine-neutrally in
searchsvc.analysis; this module is Whoosh's Filter and Analyzer form of it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer, StopFilter, Token
from whoosh.analysis.analyzers import Analyzer

from searchsvc.analysis import CJK as _CJK
from searchsvc.analysis import HYPHENS as _HYPHENS
from searchsvc.analysis import STOP_WORDS, TOKEN_PATTERN, fold, stem


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


class CachedStemFilter(Filter):
    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def _tokenizer() -> RegexTokenizer:
    return RegexTokenizer(expression=TOKEN_PATTERN)


def english_pipeline() -> Analyzer:
    """The reference chain of small parts; EnglishAnalyzer is the same pipeline fused for speed."""
    return (
        _tokenizer()
        | FoldFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | HyphenFilter()
        | CJKBigramFilter()
        | CachedStemFilter()
    )


def english_analyzer() -> Analyzer:
    """Full text: folded, stop words removed (positions renumbered), Porter-stemmed."""
    return EnglishAnalyzer()


# Per surface word, what the pipeline turns it into: (stopped, units, position shift for the words
# after it); a unit is (text, position offset, start offset, end offset). Words repeat, so
# indexing and highlighting mostly hit this table.
_Expansion = tuple[bool, tuple[tuple[str, int, int, int], ...], int]
_EXPANSIONS: dict[tuple[str, bool], _Expansion | None] = {}
_EXPANSIONS_MAX = 500_000
_SENTINEL = " zzzsentinel"


def word_expansion(word: str, indexing: bool) -> _Expansion | None:
    """What the pipeline makes of one surface word, from the shared per-word table: (stopped,
    units, position shift), a unit being (text, position offset, start offset, end offset).

    For code that walks a text word by word itself (snippets, matched words); the analyzer's own
    loops read the table inline, being the indexing hot path.
    """
    key = (word, indexing)
    try:
        return _EXPANSIONS[key]
    except KeyError:
        if len(_EXPANSIONS) > _EXPANSIONS_MAX:
            _EXPANSIONS.clear()
        expansion = _EXPANSIONS[key] = _expand(word, indexing)
        return expansion


@lru_cache(maxsize=64)
def raw_words(text: str) -> tuple[str, ...]:
    """The surface words of `text` (TOKEN_PATTERN), the last few texts kept: a hit's snippet and
    its matched words read the same body."""
    return tuple(TOKEN_PATTERN.findall(text))


class SurfaceTable:
    """Which surface words become which terms, and back: `giving` answers "which of these
    words become one of these terms" with set operations, analysing only words never seen.

    `indexing`: the highlighter's view (index mode, stop words kept as terms); otherwise the
    query's (a stop word becomes nothing).
    """

    def __init__(self, indexing: bool) -> None:
        self.indexing = indexing
        self.units: dict[str, tuple[str, ...]] = {}
        self._words_of: dict[str, set[str]] = {}  # term → the surface words becoming it
        self._seen: set[str] = set()  # the keys of `units`, as a set for set differences
        self._lock = threading.Lock()

    def units_of(self, word: str) -> tuple[str, ...]:
        """The terms `word` becomes, in the analyzer's order."""
        found = self.units.get(word)
        return found if found is not None else self._learn({word})[word]

    def giving(self, words: set[str], terms: frozenset[str]) -> set[str]:
        """Those of `words` that become one of `terms`."""
        new = words - self._seen
        if new:
            self._learn(new)
        words_of = self._words_of
        producers = [words_of[term] for term in terms if term in words_of]
        if len(producers) == 1:
            return words & producers[0]
        return words & set().union(*producers)

    def _learn(self, words: set[str]) -> dict[str, tuple[str, ...]]:
        learned = {}
        for word in words:
            expansion = word_expansion(word, self.indexing)
            stopped = expansion is None or (expansion[0] and not self.indexing)
            learned[word] = () if stopped else tuple(unit[0] for unit in expansion[1])
        with self._lock:
            if len(self.units) > _EXPANSIONS_MAX:
                self.units.clear()
                self._words_of.clear()
                self._seen = set()
            for word, units in learned.items():
                for unit in units:
                    self._words_of.setdefault(unit, set()).add(word)
                self.units[word] = units
                self._seen.add(word)  # after its terms: `giving` reads _seen first
        return learned


HIGHLIGHTED = SurfaceTable(indexing=True)
QUERIED = SurfaceTable(indexing=False)


def indexed_units(word: str) -> tuple[str, ...]:
    """The index terms one surface word becomes (stop words kept, as the highlighter sees it)."""
    return HIGHLIGHTED.units_of(word)


@lru_cache(maxsize=1)
def _reference_pipeline() -> Analyzer:
    return english_pipeline()


def _expand(word: str, indexing: bool) -> _Expansion | None:
    """Run the reference pipeline on one word (and a sentinel that shows the shift it causes).

    A word of ASCII letters and digits only (most words) goes through no hyphen, apostrophe or CJK
    step: lower-cased, a stop word or stemmed, one unit, no shift. Taken directly: the reference
    run was a large part of indexing, once per distinct word in every segment-writing process.
    """
    if word.isascii() and word.isalnum():
        folded = word.lower()
        stopped = folded in STOP_WORDS
        return (stopped, ((folded if stopped else stem(folded), 0, 0, len(word)),), 0)
    folded = fold(word)
    parts = [part for part in _HYPHENS.split(folded) if part]
    if parts and all(part.isascii() and part.isalnum() for part in parts):
        return _expand_joined(word, folded, parts, indexing)
    return _expand_reference(word, indexing)


def _expand_joined(word: str, folded: str, parts: list[str], indexing: bool) -> _Expansion:
    """The reference pipeline's answer for a word whose folded parts are ASCII letters and
    digits ("Jae-myung", "don't", "Korea’s": most words a snippet meets that are not plain),
    step for step: folded whole, a stop word or not as a whole, split at hyphens (the parts on
    consecutive positions, their characters counted in the folded text as HyphenFilter does,
    the joined form after the first part when indexing), then each stemmed unless stopped.
    Running the generators instead cost more than the rest of a snippet for a new word."""
    stopped = folded in STOP_WORDS

    def term(text: str) -> str:
        return text if stopped else stem(text)

    if not _HYPHENS.search(folded):
        return (stopped, ((term(folded), 0, 0, len(word)),), 0)
    units = []
    offset = 0
    for i, part in enumerate(parts):
        units.append((term(part), i, offset, offset + len(part)))
        if i == 0 and indexing:
            units.append((term("".join(parts)), 0, offset, offset + len(part)))
        offset += len(part) + 1
    return (stopped, tuple(units), len(parts) - 1)


def _expand_reference(word: str, indexing: bool) -> _Expansion | None:
    mode = "index" if indexing else "query"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar, t.stopped)
        for t in _reference_pipeline()(
            word + _SENTINEL, positions=True, chars=True, removestops=False, mode=mode
        )
    ]
    sentinel = tokens.pop()
    if not tokens:
        return None
    units = tuple((text, pos, start, end) for text, pos, start, end, _ in tokens)
    return (tokens[0][4], units, sentinel[1] - 1)


class EnglishAnalyzer(Analyzer):
    """english_pipeline() in one generator: the same tokens, each word's stages computed once.

    Whoosh runs an analyzer over every field at indexing time and over each shown hit's body when
    highlighting; a chain of six generators per token was the largest cost of both.
    """

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        if not tokenize:
            yield from english_pipeline()(
                value,
                positions=positions,
                chars=chars,
                keeporiginal=keeporiginal,
                removestops=removestops,
                start_pos=start_pos,
                start_char=start_char,
                tokenize=False,
                mode=mode,
                **kwargs,
            )
            return
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        indexing = mode == "index"
        expansions = _EXPANSIONS
        if len(expansions) > _EXPANSIONS_MAX:
            expansions.clear()
        renumbered = None  # StopFilter's running position
        shift = 0  # hyphen and CJK splits push later positions along
        for raw_pos, match in enumerate(TOKEN_PATTERN.finditer(value)):
            word = match.group()
            key = (word, indexing)
            try:
                expansion = expansions[key]
            except KeyError:
                expansion = expansions[key] = _expand(word, indexing)
            if expansion is None:
                continue
            stopped, units, word_shift = expansion
            if stopped and removestops:
                continue
            pos = start_pos + raw_pos
            if not stopped:
                renumbered = pos if renumbered is None else renumbered + 1
                pos = renumbered
            base = start_char + match.start()
            t.stopped = stopped
            t.boost = 1.0
            if keeporiginal:
                t.original = word
            for text, offset, start, end in units:
                t.text = text
                if positions:
                    t.pos = pos + shift + offset
                if chars:
                    t.startchar = base + start
                    t.endchar = base + end
                yield t
            shift += word_shift

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each term's positions, as Whoosh's Positions format collects them from
        `self(value, positions=True, mode="index")`, without a Token per term: indexing runs this
        over every story's body, title and caption (segments.py)."""
        expansions = _EXPANSIONS
        if len(expansions) > _EXPANSIONS_MAX:
            expansions.clear()
        found: dict[str, list[int]] = {}
        renumbered = -1  # StopFilter's running position
        shift = 0  # hyphen and CJK splits push later positions along
        for raw_pos, word in enumerate(TOKEN_PATTERN.findall(value)):
            key = (word, True)
            try:
                expansion = expansions[key]
            except KeyError:
                expansion = expansions[key] = _expand(word, True)
            if expansion is None or expansion[0]:
                continue  # nothing left of it, or a stop word (removed, shifts nothing)
            _, units, word_shift = expansion
            renumbered = raw_pos if renumbered < 0 else renumbered + 1
            pos = renumbered + shift
            for text, offset, _, _ in units:
                held = found.get(text)
                if held is None:
                    found[text] = [pos + offset]
                else:
                    held.append(pos + offset)
            shift += word_shift
        return found


def plain_analyzer() -> Analyzer:
    """Names and labels (outlet, category): folded, never stemmed."""
    return _tokenizer() | FoldFilter() | HyphenFilter()
