"""Why a hit matched: the query's words found in each field, and the score split into parts.

Both answers come from the Whoosh hit itself (the search collects matched terms with a
TermsCollector), so they describe exactly the query that ran — natural-language, prefix and
any-word searches included — without parsing the query a second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from whoosh import query as wq
from whoosh.searching import Hit as WhooshHit

from searchsvc.engines.whoosh import surface
from searchsvc.engines.whoosh.analysis import QUERIED, raw_words
from searchsvc.engines.whoosh.schema import FIELD_BOOSTS, QUERY_FIELDS

# Fields a reader can see on the page, in the order chips are shown. `title` and `body` are
# always present in `matched` (possibly empty) so clients can rely on them.
SHOWN_FIELDS = ("title", "body", "caption")
ALWAYS_SHOWN = ("title", "body")
# Only words typed by the user count; filters (outlet, category, day) match terms too, but
# those are filters, scored zero, and numeric day terms are not text at all.
TEXT_FIELDS = (*FIELD_BOOSTS, *QUERY_FIELDS.values())
# Words found in a field: the first few are enough for a chip row.
MAX_WORDS_PER_FIELD = 8
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")


def matched_terms(hit: WhooshHit) -> dict[str, set[str]]:
    """Index terms (analyzed: stemmed, folded) the hit matched, per index field."""
    if not hit.results.has_matched_terms():
        return {}
    terms: dict[str, set[str]] = {}
    for field_name, term in hit.matched_terms():
        if field_name in TEXT_FIELDS:
            terms.setdefault(field_name, set()).add(_text(term))
    return terms


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else str(term)


def surface_words(text: str, terms: set[str]) -> list[str]:
    """The words of `text`, as printed, whose analyzed form is one of `terms` (first seen first).

    'diplomaci' is what the index holds; 'diplomacy' is what the reader should see. Only the
    tokens that may give one of the terms are read (surface.candidates), in the text's order.
    """
    if not terms:
        return []
    wanted = frozenset(terms)
    tokens = surface.candidates(text, wanted)
    if tokens is None:
        return _surface_words_by_reading(text, wanted)
    return _first_words((word for _, _, word in tokens), wanted)


def _surface_words_by_reading(text: str, terms: frozenset[str]) -> list[str]:
    """surface_words reading every word of the text (the reference, and the way for terms
    too short to look for)."""
    words = raw_words(text)
    # Each distinct word is checked once; the matching ones are then taken in the order they
    # first appear (a later repeat of a word adds nothing its first appearance did not).
    matching = sorted(QUERIED.giving(set(words), terms), key=words.index)
    return _first_words(matching, terms)


def _first_words(words: Iterable[str], terms: frozenset[str]) -> list[str]:
    """For each term, the first of `words` (in order) giving it, shown without a possessive or
    edge punctuation; at most MAX_WORDS_PER_FIELD, each word once."""
    found: dict[str, str] = {}
    for original in words:
        for term in QUERIED.units_of(original):
            if term not in terms or term in found:
                continue
            word = _EDGE_PUNCTUATION.sub("", _POSSESSIVE.sub("", original))
            found[term] = word or term
            if len(found) >= MAX_WORDS_PER_FIELD or len(found) == len(terms):
                return list(dict.fromkeys(found.values()))
    return list(dict.fromkeys(found.values()))


def matched_words(hit: WhooshHit, field_texts: dict[str, str]) -> dict[str, list[str]]:
    """`{"title": [...], "body": [...]}`: the query's words as they appear in each field."""
    terms = matched_terms(hit)
    matched: dict[str, list[str]] = {name: [] for name in ALWAYS_SHOWN}
    for name in SHOWN_FIELDS:
        if name in terms and field_texts.get(name):
            words = surface_words(field_texts[name], terms[name])
            if words or name in ALWAYS_SHOWN:
                matched[name] = words
    return matched


def term_boosts(query: wq.Query) -> dict[tuple[str, bytes], float]:
    """(field, term) → the weight the running query gave that term (field weights included)."""
    boosts: dict[tuple[str, bytes], float] = {}
    for leaf in query.leaves():
        if isinstance(leaf, wq.Term):
            text = leaf.text.encode("utf-8") if isinstance(leaf.text, str) else leaf.text
            boosts.setdefault((leaf.fieldname, text), leaf.boost)
    return boosts


def score_parts(hit: WhooshHit) -> dict:
    """The hit's score as the sum of one BM25F part per matched (field, term), plus the rest.

    Each part is that term's BM25F score in that field times the field's weight. `rest` is
    what the query's structure adds or takes away beyond single terms (phrase matches scored
    as a whole, filters, feedback words), so `sum(parts) + rest == score` always holds.
    """
    searcher = hit.searcher
    weighting = searcher.weighting
    boosts = term_boosts(hit.results.q)
    parts = []
    for field_name, term in sorted(hit.matched_terms()):
        if field_name not in TEXT_FIELDS:
            continue
        matcher = searcher.postings(field_name, term)
        matcher.skip_to(hit.docnum)
        if not matcher.is_active() or matcher.id() != hit.docnum:
            continue
        scorer = weighting.scorer(searcher, field_name, term)
        boost = boosts.get((field_name, term), FIELD_BOOSTS.get(field_name, 1.0))
        value = scorer.score(matcher) * boost
        parts.append(
            {
                "field": field_name,
                "term": _text(term),
                "occurrences": round(matcher.weight(), 4),
                "field_weight": boost,
                "score": round(value, 4),
            }
        )
    parts.sort(key=lambda part: -part["score"])
    total = hit.score or 0.0
    rest = total - sum(part["score"] for part in parts)
    return {
        "model": type(weighting).__name__,
        "score": round(total, 4),
        "parts": parts,
        "rest": round(rest, 4),
    }
