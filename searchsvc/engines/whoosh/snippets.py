"""The snippet under each hit: the best passage of the story with the matched words marked.

Whoosh's highlighter re-analyses every shown hit's text through the analyzer's generator (a Token
object per word, then a filter marking matches and one merging neighbours), which was half of a
search's time once matching was fast. `best_passage` produces the same tokens straight from the
analyzer's per-word table and runs Whoosh's ContextFragmenter algorithm over them in one loop;
the passage, its scoring and its formatting are Whoosh's own (Fragment, top_fragments and the
formatter below), and tests/test_performance_paths.py checks the output equals
Highlighter.highlight_hit's on the seed stories.

Only the text near matches is analysed. The tokens giving a matched term are found by looking
for the terms' surface forms (surface.py: no pass cutting the whole body into words; for
terms too short to look for, `_matches` reads every word, each distinct one analysed once),
and the stream knows every other token is one unmatched unit unless it is not plain. The
fragmenter jumps over every stretch where it is idle and no match is near (`_fragments`):
an idle fragmenter only remembers the words that start within `surround` characters of the
next match, so skipping the ones before cannot change a passage. Where that cannot be shown
for a jump (no unmatched word close enough before a match), the whole text is walked again.
"""

from __future__ import annotations

import html
from collections import deque
from collections.abc import Callable, Iterator

from whoosh.highlight import (
    BasicFragmentScorer,
    ContextFragmenter,
    Formatter,
    Highlighter,
    get_text,
    mkfrag,
    top_fragments,
)

from searchsvc.analysis import TOKEN_PATTERN, WORD_JOINERS
from searchsvc.engines.whoosh import surface
from searchsvc.engines.whoosh.analysis import HIGHLIGHTED, raw_words, word_expansion

SNIPPET_CHARS = 240
SURROUND = 80
# An idle fragmenter jumps to this many characters before `surround` ahead of the next match.
JUMP_SLACK = SURROUND // 2


class MarkFormatter(Formatter):
    """Escapes every character of the passage and wraps matched words in <mark>."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def format_token(self, text: str, token, replace: bool = False) -> str:
        return "<mark>" + html.escape(get_text(text, token, replace), quote=False) + "</mark>"

    def format_fragment(self, fragment, replace: bool = False) -> str:
        """Mark a passage cut out of the middle of the body with ellipses at the cut ends."""
        body = super().format_fragment(fragment, replace).strip()
        lead = "… " if fragment.startchar > 0 else ""
        tail = " …" if fragment.endchar < len(fragment.text) else ""
        return f"{lead}{body}{tail}"


class EarliestBestScorer(BasicFragmentScorer):
    """Whoosh's passage score, with ties going to the earlier passage.

    Whoosh breaks ties between equally good passages by object address, so the same search
    could show a different snippet on every reload; the tiny bonus makes the choice stable.
    """

    def __call__(self, fragment) -> float:
        return super().__call__(fragment) + 1e-6 / (1 + fragment.startchar)


_HIGHLIGHTER = Highlighter(
    fragmenter=ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SURROUND, charlimit=None),
    formatter=MarkFormatter(),
    scorer=EarliestBestScorer(),
)


def snippet(hit, body: str, caption: str | None) -> str:  # noqa: ANN001 - a Whoosh Hit
    """The best passage of the whole body with matches marked; the opening lines if none match."""
    if hit.results.has_matched_terms():
        for field_name, text in (("body", body), ("caption", caption or "")):
            if text and any(f == field_name for f, _ in hit.matched_terms()):
                marked = best_passage(hit, field_name, text)
                if marked:
                    return marked
    return html.escape(_leading(body), quote=False)


def best_passage(hit, field_name: str, text: str) -> str:  # noqa: ANN001 - a Whoosh Hit
    """What Highlighter.highlight_hit(hit, field_name, text=text, top=1) returns."""
    results = hit.results
    field = results.searcher.schema[field_name]
    words = frozenset(
        field.from_bytes(term) for name, term in results.matched_terms() if name == field_name
    )
    return passage_of(text, words)


def passage_of(text: str, words: frozenset[str]) -> str:
    """The best passage of `text` with the tokens giving one of `words` (index terms) marked,
    as Whoosh's highlighter formats it; "" when no token gives one."""
    found = found_matches(text, words)
    if found is None:
        return _passage(text, words, _matches(text, words), None)
    return _passage(text, words, *found)


def found_matches(
    text: str, words: frozenset[str]
) -> tuple[list[tuple[int, int]], set[int]] | None:
    """What `_matches` answers, from the tokens surface.candidates finds (None: it cannot
    narrow the search), and the starts of the tokens the stream must analyse: the matched ones
    and those not plain; any other is a plain token giving no matched term, one unmatched unit
    spanning it."""
    found = surface.candidates(text, words)
    if found is None:
        return None
    units_of = HIGHLIGHTED.units_of
    matched = [(s, e) for s, e, word in found if not words.isdisjoint(units_of(word))]
    analysed = {start for start, _ in matched}
    analysed.update(start for start, _, _ in surface.special_tokens(text))
    return matched, analysed


def _passage(
    text: str,
    words: frozenset[str],
    matches: list[tuple[int, int]],
    analysed: set[int] | None,
) -> str:
    """The formatted best passage given every matched token's span (`analysed`: see _merged)."""
    if not matches:
        return ""  # no fragment holds a match: none reaches the minimum score
    fragmenter = _HIGHLIGHTER.fragmenter
    maxchars, surround = fragmenter.maxchars, fragmenter.surround

    def passage(jumps: list[tuple[int, int]]) -> str:
        tokens = _fragments(
            text, lambda at: _merged(text, words, at, analysed), maxchars, surround, jumps
        )
        best = top_fragments(tokens, 1, _HIGHLIGHTER.scorer, _HIGHLIGHTER.order, minscore=1)
        return _HIGHLIGHTER.formatter.format(best)

    try:
        return passage(matches)
    except _JumpUnsafe:
        return passage([])


def _matches(text: str, words: frozenset[str]) -> list[tuple[int, int]]:
    """(start, end) of each surface word of `text` the analyzer turns into one of `words`,
    in order, reading every word of the text: the distinct words are checked once each, then
    only theirs are looked for (passage_of's reference, and its way for short terms)."""
    spans = []
    for word in HIGHLIGHTED.giving(set(raw_words(text)), words):
        at = text.find(word)
        while at >= 0:
            if _is_token(text, at, at + len(word)):
                spans.append((at, at + len(word)))
            at = text.find(word, at + 1)
    spans.sort()
    return spans


def _is_token(text: str, start: int, end: int) -> bool:
    """Whether text[start:end], a whole token on its own, is one in `text`: no word character
    (regular expressions' \\w: alphanumeric or "_") or joiner and word character touches it."""
    if start and (_word_char(text[start - 1]) or _joins(text, start - 1, start - 2)):
        return False
    return end == len(text) or not (_word_char(text[end]) or _joins(text, end, end + 1))


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _joins(text: str, at: int, beyond: int) -> bool:
    """A joiner at `at` with a word character at `beyond` (one step further out)."""
    return text[at] in WORD_JOINERS and 0 <= beyond < len(text) and _word_char(text[beyond])


class _JumpUnsafe(Exception):
    """A jump could have dropped a word the fragmenter would have remembered."""


def _safe_start(text: str, target: int) -> int:
    """A position at or before `target` right after whitespace (or 0): no word spans it, so
    tokenising from there gives the words a whole-text pass gives from there."""
    if target <= 0:
        return 0
    return max(text.rfind(" ", 0, target), text.rfind("\n", 0, target)) + 1


class _Token:
    """The parts of whoosh.analysis.Token a fragment, its scorer and the formatter read."""

    __slots__ = ("boost", "endchar", "matched", "startchar", "text")

    def __init__(self, text: str, startchar: int, endchar: int, matched: bool) -> None:
        self.text, self.startchar, self.endchar, self.matched = text, startchar, endchar, matched
        self.boost = 1.0

    def copy(self) -> _Token:
        return _Token(self.text, self.startchar, self.endchar, self.matched)


def _merged(
    text: str, words: frozenset[str], at: int = 0, analysed: set[int] | None = None
) -> Iterator[tuple[int, int, _Token | None]]:
    """The analyzer's tokens of `text` from `at` (mode="index", removestops=False:
    EnglishAnalyzer's loop, read from its word table) through set_matched_filter and
    Highlighter._merge_matched_tokens, as (startchar, endchar, token): token is None for an
    unmatched one, which needs no object. With `analysed` (the starts of every matched token
    and every token not plain, see surface.py), any other token is known to be one unmatched
    unit spanning the word, and is not looked up."""
    token = None
    for match in TOKEN_PATTERN.finditer(text, at):
        base, stop = match.span()
        if analysed is not None and base not in analysed:
            if token is not None:
                yield token.startchar, token.endchar, token
                token = None
            yield base, stop, None
            continue
        expansion = word_expansion(match.group(), True)
        if expansion is None:
            continue
        for unit, _, start, end in expansion[1]:
            start += base
            end += base
            if unit not in words:
                if token is not None:
                    yield token.startchar, token.endchar, token
                    token = None
                yield start, end, None
            elif token is None:
                token = _Token(unit, start, end, True)
            elif start <= token.endchar:
                if end > token.endchar:
                    token.text += unit[token.endchar - end :]
                    token.endchar = end
            else:
                yield token.startchar, token.endchar, token
                token = None
                yield start, end, _Token(unit, start, end, True)
    if token is not None:
        yield token.startchar, token.endchar, token


def _fragments(  # noqa: C901, PLR0912 - one state machine, kept as Whoosh wrote it
    text: str,
    tokens_from: Callable[[int], Iterator[tuple[int, int, _Token | None]]],
    maxchars: int,
    surround: int,
    matches: list[tuple[int, int]],
) -> Iterator:
    """ContextFragmenter.fragment_tokens (charlimit None), step for step, over the tokens
    `tokens_from(position)` gives; while idle it jumps ahead of the next of `matches` (an empty
    list: no jumps, every token is read)."""
    first = None
    firsts: deque[int] = deque()
    countdown = -1
    tks: list[_Token] = []
    endchar = None
    currentlen = 0
    tokens = tokens_from(0)
    upcoming = 0  # the next of `matches` not yet passed
    jumped_to = None  # where the last jump landed while idle (None: no jump since)
    last_unmatched_end = -1
    landing_for, landing = -1, 0  # where to jump ahead of matches[landing_for]
    while tokens is not None:
        walking, tokens = tokens, None  # a jump sets `tokens` to the stream from its landing
        for startchar, endchar, t in walking:
            tlength = endchar - startchar
            if countdown < 0 and t is None:
                firsts.append(startchar)
                while firsts and endchar - firsts[0] > surround:
                    firsts.popleft()
                last_unmatched_end = endchar
                while upcoming < len(matches) and matches[upcoming][1] <= endchar:
                    upcoming += 1
                if matches and upcoming == len(matches):
                    break  # idle with no match ahead: nothing more to yield
                if matches:
                    if landing_for != upcoming:
                        landing_for = upcoming
                        landing = _safe_start(text, matches[upcoming][0] - surround - JUMP_SLACK)
                    if landing > endchar:
                        tokens, jumped_to = tokens_from(landing), landing
                        firsts.clear()
                        break
                continue
            if countdown < 0 and jumped_to is not None:
                # Whoosh would have kept a word from before the landing unless the last
                # unmatched word ends `surround` past it.
                if last_unmatched_end < jumped_to + surround:
                    raise _JumpUnsafe
                jumped_to = None
            if currentlen + tlength > maxchars:
                countdown = 0
            elif t is not None:
                countdown = surround
                if first is None:
                    if firsts:
                        first = firsts[0]
                    else:
                        first = startchar
                        countdown += surround
                tks.append(t.copy())
            if countdown >= 0:
                currentlen += tlength
                countdown -= tlength
                if countdown <= 0:
                    yield mkfrag(text, tks, startchar=first, endchar=endchar)
                    tks = []
                    firsts = deque()
                    first = None
                    currentlen = 0
    if tks:
        yield mkfrag(text, tks, startchar=first, endchar=endchar)


def _leading(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + " …"
