"""The project's parsed query (query.py's tree) → OpenSearch query DSL; never `query_string`.

Clause for clause what the Whoosh engine builds, so matches and scores have the same shape:
a free-text word is one clause over title, body and caption (field weights as boosts), a word
that analyses to several tokens ("Jae-Myung") and a "phrase" are `match_phrase`, `word*` is one
term clause per word it expands to (prefixes.py: at most `max_expansion`, the most frequent;
Lucene's own `prefix` query only for a generation written without a words index), NOT is
`must_not`, AND `must`, OR `should`. Words the analysis drops entirely (stop words) are left out
with a warning, as on Whoosh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from searchsvc.analysis import STOP_WORDS, TOKEN_PATTERN, fold
from searchsvc.engines.opensearch.mapping import CJK_CLASS, QUERY_FIELDS, TEXT_FIELDS
from searchsvc.expansion import Expansion
from searchsvc.model import Filters
from searchsvc.query import All, Any, Node, Not, Phrase, Word
from searchsvc.ranking import searchable_words

Clause = dict
CJK_PATTERN = re.compile(CJK_CLASS)


@dataclass
class Compiler:
    """One plan's compilation: the clauses, and what it warns about."""

    boosts: dict[str, float]  # free-text field → weight (ranking.FIELD_BOOSTS)
    max_expansion: int
    # Index field renames, e.g. {"body": "text"}: the same query aimed at the snippet field.
    renamed: dict[str, str] = field(default_factory=dict)
    # (index field, term) → boost turning Lucene's idf into the Whoosh engine's (idf.py); None:
    # Lucene's own scoring (the snippet query, which only marks words).
    idf_ratios: dict[tuple[str, str], float] | None = None
    warnings: list[str] = field(default_factory=list)
    # (index field, folded stem, as typed) of each prefix* searched
    prefixes: list[tuple[str, str, str]] = field(default_factory=list)
    # (index field, folded stem) → the words searched for it (prefixes.py)
    expansions: dict[tuple[str, str], Expansion] = field(default_factory=dict)

    def compile(self, node: Node, any_word: bool = False) -> Clause | None:
        if isinstance(node, Word):
            return self.prefix(node) if node.prefix else self.text(node.text, node.field)
        if isinstance(node, Phrase):
            return self.text(node.text, node.field)
        if isinstance(node, Any):
            return either([self.compile(child) for child in node.children])
        if isinstance(node, Not):
            return self.compile(node.child)  # exclusion is applied by the enclosing All
        assert isinstance(node, All)
        positives = [self.compile(c) for c in node.children if not isinstance(c, Not)]
        negatives = [self.compile(c.child) for c in node.children if isinstance(c, Not)]
        positives = [p for p in positives if p is not None]
        if not positives:
            return None
        occur = "should" if any_word else "must"
        clause: dict = {occur: positives}
        excluded = [n for n in negatives if n is not None]
        if excluded:
            clause["must_not"] = excluded
        if len(positives) == 1 and not excluded:
            return positives[0]
        return {"bool": clause}

    @property
    def whoosh_scores(self) -> bool:
        return self.idf_ratios is not None

    def fields_for(self, field_name: str | None) -> list[tuple[str, float]]:
        if field_name is None:
            return list(self.boosts.items())
        return [(QUERY_FIELDS[field_name], 1.0)]

    def target(self, index_field: str) -> str:
        return self.renamed.get(index_field, index_field)

    def text(self, text: str, field_name: str | None) -> Clause | None:
        free_text = field_name in (None, "title")
        if not analyses_to_something(text, drop_stop_words=free_text):
            if any(ch.isalnum() for ch in text):  # lone punctuation is dropped silently
                self.warnings.append(f"'{text}' is too common a word to search for; ignored")
            return None
        terms = searchable_words(text) if self.whoosh_scores else []
        per_field = []
        for index_field, boost in self.fields_for(field_name):
            if terms and index_field in TEXT_FIELDS:
                per_field.append(self.scored_as_whoosh(text, terms, index_field, boost))
            else:
                per_field.append(self.matching(text, index_field, boost))
        return either(per_field)

    def matching(self, text: str, index_field: str, boost: float) -> Clause:
        # CJK text is cut into bigrams that share a position, so a phrase of them would match
        # any one bigram: all of them must match instead (Whoosh: consecutive positions).
        if CJK_PATTERN.search(text):
            spec = {"query": text, "boost": boost, "operator": "and"}
            return {"match": {self.target(index_field): spec}}
        return {"match_phrase": {self.target(index_field): {"query": text, "boost": boost}}}

    def scored_as_whoosh(
        self, text: str, terms: list[str], index_field: str, boost: float
    ) -> Clause:
        """Whoosh scores a phrase as the sum of its words' scores (SpanNear2 over an intersection
        of term matchers): the phrase only decides the match, each term is scored alone."""
        scored = [
            {"term": {index_field: {"value": term, "boost": boost * self.ratio(index_field, term)}}}
            for term in terms
        ]
        if len(terms) == 1:
            return scored[0]
        return {"bool": {"filter": [self.matching(text, index_field, 1.0)], "must": scored}}

    def ratio(self, index_field: str, term: str) -> float:
        return (self.idf_ratios or {}).get((index_field, term), 1.0)

    def prefix(self, node: Word) -> Clause | None:
        stem = fold(node.text)
        per_field = []
        for index_field, boost in self.fields_for(node.field):
            self.prefixes.append((index_field, stem, node.text))
            expansion = self.expansions.get((index_field, stem))
            if expansion is not None:
                per_field.append(self.expanded(expansion, index_field, boost))
                continue
            spec = {
                "value": stem,
                "boost": boost,
                "rewrite": f"top_terms_{self.max_expansion}",
            }
            per_field.append({"prefix": {self.target(index_field): spec}})
        return either(per_field)

    def expanded(self, expansion: Expansion, index_field: str, boost: float) -> Clause | None:
        """A prefix's kept words, each scored as a word of the query is (Whoosh: Or of Terms)."""
        return either(
            [
                {
                    "term": {
                        self.target(index_field): {
                            "value": word,
                            "boost": boost * self.ratio(index_field, word),
                        }
                    }
                }
                for word, _ in expansion.kept
            ]
        )


def either(clauses: list[Clause | None]) -> Clause | None:
    kept = [c for c in clauses if c is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else {"bool": {"should": kept}}


def analyses_to_something(text: str, drop_stop_words: bool) -> bool:
    """Whether the analysis leaves any token of `text` (stop words alone leave none)."""
    for token in TOKEN_PATTERN.findall(text):
        folded = fold(token)
        if folded and not (drop_stop_words and folded in STOP_WORDS):
            return True
    return False


def natural(
    words: tuple[str, ...],
    boosts: dict[str, float],
    renamed: dict[str, str],
    idf_ratios: dict[tuple[str, str], float],
    weights: dict[str, float] | None = None,
) -> Clause:
    """Any of the sentence's words (already analysed, each once) in any weighted field; a word's
    `weights` entry (default 1) multiplies its boost (feedback words carry their RM3 weight)."""
    weights = weights or {}
    clauses = [
        {
            "term": {
                renamed.get(name, name): {
                    "value": word,
                    "boost": weights.get(word, 1.0) * boost * idf_ratios.get((name, word), 1.0),
                }
            }
        }
        for word in dict.fromkeys(words)
        for name, boost in boosts.items()
        if boost > 0
    ]
    return {"bool": {"should": clauses}}


def filter_clauses(filters: Filters) -> list[Clause]:
    """Outlets and categories as exact labels (several values: any), dates on the printed day."""
    clauses: list[Clause] = []
    if filters.outlets:
        clauses.append({"terms": {"outlet": list(filters.outlets)}})
    if filters.categories:
        clauses.append({"terms": {"category": list(filters.categories)}})
    if filters.date_from or filters.date_to:
        days = {}
        if filters.date_from:
            days["gte"] = filters.date_from.isoformat()
        if filters.date_to:
            days["lte"] = filters.date_to.isoformat()
        clauses.append({"range": {"day": days}})
    return clauses
