"""Syntax tree (query.py) → Whoosh query, with the analyzers the index was built with; and the
plan's filters, as one rule that both execution paths read (a query and a document test)."""

from __future__ import annotations

import time
from collections.abc import Callable

from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcherClass, WrappingMatcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from searchsvc.analysis import fold
from searchsvc.engines.whoosh.analysis import english_analyzer, plain_analyzer
from searchsvc.expansion import Expansion, expansion_warning, most_frequent
from searchsvc.model import Filters
from searchsvc.query import All, Any, Node, Not, Phrase, Word
from searchsvc.ranking import FIELD_BOOSTS, QUERY_FIELDS

# While listing a prefix's words, the deadline is checked every this many words.
DEADLINE_CHECK_EVERY = 256


class QueryCompiler:
    """Syntax tree → Whoosh query, with the same analyzers the index was built with.

    `deadline` (time.monotonic()) bounds prefix expansion: past it, further prefixes expand to
    nothing and a warning says so. Warnings for the user collect in `warnings`.
    """

    def __init__(
        self, reader: IndexReader, max_expansion: int, deadline: float | None = None
    ) -> None:
        self.reader = reader
        self.max_expansion = max_expansion
        self.deadline = deadline
        self.text_analyzer = english_analyzer()
        self.plain_analyzer = plain_analyzer()
        self.warnings: list[str] = []

    def compile(self, node: Node, any_word: bool = False) -> wq.Query | None:
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self._terms(node.text, node.field)
        if isinstance(node, Any):
            return self._combine(wq.Or, [self.compile(c) for c in node.children])
        if isinstance(node, Not):
            return self.compile(node.child)  # exclusion is applied by the enclosing All
        assert isinstance(node, All)
        positives = [self.compile(c) for c in node.children if not isinstance(c, Not)]
        negatives = [self.compile(c.child) for c in node.children if isinstance(c, Not)]
        joiner = wq.Or if any_word else wq.And
        base = self._combine(joiner, positives)
        excluded = self._combine(wq.Or, negatives)
        if base is None:
            return None
        return wq.AndNot(base, excluded) if excluded is not None else base

    @staticmethod
    def _combine(kind: type, parts: list[wq.Query | None]) -> wq.Query | None:
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else kind(parts)

    def fields_for(self, field_name: str | None) -> list[tuple[str, float]]:
        if field_name is None:
            return list(FIELD_BOOSTS.items())
        return [(QUERY_FIELDS[field_name], 1.0)]

    def analyze(self, index_field: str, text: str) -> list[str]:
        analyzer = self.text_analyzer if index_field in FIELD_BOOSTS else self.plain_analyzer
        return [t.text for t in analyzer(text, mode="query")]

    def word(self, node: Word) -> wq.Query | None:
        if node.prefix:
            return self.prefix(node)
        return self._terms(node.text, node.field)

    def _terms(self, text: str, field_name: str | None) -> wq.Query | None:
        """One word or a phrase: a Term, or a Phrase when the text analyzes to several words."""
        per_field = []
        for index_field, boost in self.fields_for(field_name):
            words = self.analyze(index_field, text)
            if not words:
                continue
            if len(words) == 1:
                per_field.append(wq.Term(index_field, words[0], boost=boost))
            else:
                per_field.append(wq.Phrase(index_field, words, boost=boost))
        if not per_field:
            if any(ch.isalnum() for ch in text):  # lone punctuation is dropped silently
                self.warnings.append(f"'{text}' is too common a word to search for; ignored")
            return None
        return per_field[0] if len(per_field) == 1 else wq.Or(per_field)

    def prefix(self, node: Word) -> wq.Query | None:
        """The prefix's words in each field, the most frequent `max_expansion` of them
        (expansion.py: the same rule on every engine), with one warning when some were dropped."""
        stem = fold(node.text)
        per_field = []
        capped: list[Expansion] = []
        for index_field, boost in self.fields_for(node.field):
            expansion = self.expand(index_field, stem, node.text)
            if expansion is None:
                break
            if expansion.capped:
                capped.append(expansion)
            terms = [wq.Term(index_field, word, boost=boost) for word, _ in expansion.kept]
            if terms:
                per_field.append(terms[0] if len(terms) == 1 else wq.Or(terms))
        if capped:
            worst = max(capped, key=lambda e: e.total)
            self.warnings.append(
                expansion_warning(node.text, worst.total, len(worst.kept), worst.dropped)
            )
        if not per_field:
            return wq.NullQuery
        return per_field[0] if len(per_field) == 1 else wq.Or(per_field)

    def expand(self, index_field: str, stem: str, typed: str) -> Expansion | None:
        """Every word of the field starting with `stem`, with its story count (None: the
        deadline passed while listing them; the search then says so)."""
        words: list[tuple[str, int]] = []
        for listed, (term, info) in enumerate(self.reader.iter_prefix(index_field, stem)):
            due = self.deadline is not None and listed % DEADLINE_CHECK_EVERY == 0
            if due and time.monotonic() > self.deadline:
                self.warnings.append(f"'{typed}*' was not fully expanded in time")
                return None
            text = term.decode("utf-8") if isinstance(term, bytes) else term
            words.append((text, info.doc_frequency()))
        return most_frequent(words, self.max_expansion)


class Unscored(wq.WrappingQuery):
    """Matches what its child matches, adding nothing to the score.

    Whoosh's ConstantScoreQuery(child, 0.0) keeps the child's own scores (1.0 per date range
    match) when the matchers walk the postings, which the filtered searches did.
    """

    def _rewrap(self, child: wq.Query) -> Unscored:
        return Unscored(child)

    def matcher(self, searcher: Searcher, context=None):  # noqa: ANN001, ANN201 - Whoosh's
        inner = self.child.matcher(searcher, context)
        return inner if isinstance(inner, NullMatcherClass) else _ZeroScore(inner)


class _ZeroScore(WrappingMatcher):
    def _replacement(self, newchild: Matcher) -> _ZeroScore:
        return _ZeroScore(newchild)

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return 0.0

    def score(self) -> float:
        return 0.0


def day_number(day: object) -> int:
    """A date as the `day` field holds it (YYYYMMDD)."""
    return int(day.strftime("%Y%m%d"))  # type: ignore[attr-defined]


class FilterRule:
    """The plan's filters, defined once: several values of a facet OR'ed, facets AND'ed, the
    dates compared with the story's printed day (inclusive). The matcher paths read it as a
    query (`query()`); the cached-postings path as a test on a document number (`test()`),
    over the generation's columns."""

    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self.low = day_number(filters.date_from) if filters.date_from else None
        self.high = day_number(filters.date_to) if filters.date_to else None

    def labels(self) -> list[tuple[str, tuple[str, ...]]]:
        """(label field, accepted values) for each label facet filtered on."""
        wanted = (("outlet", self.filters.outlets), ("category", self.filters.categories))
        return [(name, values) for name, values in wanted if values]

    def has_dates(self) -> bool:
        return self.low is not None or self.high is not None

    def query(self) -> wq.Query | None:
        parts: list[wq.Query] = []
        for name, values in self.labels():
            terms = [wq.Term(name, value) for value in values]
            parts.append(terms[0] if len(terms) == 1 else wq.Or(terms))
        if self.has_dates():
            parts.append(wq.NumericRange("day", self.low, self.high))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def test(
        self, column: Callable[[str], list], days: Callable[[], list[int | None]]
    ) -> Callable[[int], bool] | None:
        """The rule on a global document number; `column(name)` gives a label column and
        `days()` each story's day (None: undated) over the whole generation."""
        tests = []
        for name, values in self.labels():
            labels, accepted = column(name), frozenset(values)
            tests.append(lambda d, labels=labels, accepted=accepted: labels[d] in accepted)
        if self.has_dates():
            by_day = days()
            low = 0 if self.low is None else self.low
            high = 99_999_999 if self.high is None else self.high
            tests.append(lambda d: by_day[d] is not None and low <= by_day[d] <= high)
        if not tests:
            return None
        return tests[0] if len(tests) == 1 else lambda d: all(t(d) for t in tests)
