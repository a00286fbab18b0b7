"""The one search function: a request in, a plain result value out (served as JSON and HTML).

search() parses the query, picks the mode (browse: no query; natural: a sentence; all: every
word must match, widened to any word when that finds nothing), builds the engine's plan with
one deadline, runs it on the generation it is given, and asks the speller when little was
found. It knows no engine: every engine answers the same SearchPlan (engines/base.py).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import replace

from searchsvc import facet_values, synonyms
from searchsvc.config import DEFAULTS
from searchsvc.engines.base import Generation
from searchsvc.model import (  # noqa: F401 - FACETS, SORTS, Hit re-exported for callers
    FACETS,
    SORTS,
    Filters,
    Hit,
    SearchPlan,
    SearchRequest,
    SearchResult,
)
from searchsvc.query import All, is_plain_words, parse, render, written_plainly
from searchsvc.ranking import (
    DEFAULT_RANKING,
    NATURAL_NOTE,
    SENTENCE_STOP_WORDS,
    RankingSettings,
    is_natural,
    searchable_words,
)
from searchsvc.spelling import Speller

WIDENED_NOTE = "No story contains all of these words; showing stories with any of them."


class SpellerCache:
    """One Speller per generation (built from its vocabulary), for the few most recent ones.

    Held weakly: a generation its engine let go (pruned, replaced) takes its speller with it,
    and never stays open for the speller's sake.
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._spellers: weakref.WeakKeyDictionary[Generation, Speller] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def speller(self, generation: Generation) -> Speller:
        with self._lock:
            found = self._spellers.get(generation)
        if found is not None:
            return found
        made = Speller(generation.vocabulary())
        with self._lock:
            self._spellers[generation] = made
            while len(self._spellers) > self.size:
                self._spellers.pop(next(iter(self._spellers.keys())))
        return made


SPELLERS = SpellerCache()


def resolve_labels(
    generation: Generation, request: SearchRequest
) -> tuple[SearchRequest, list[str]]:
    """The request with its outlet/category values as the index names them (case and accents
    ignored), and a warning for each value that names nothing."""
    if not request.outlet and not request.category:
        return request, []
    outlets, unknown_outlets = facet_values.resolve(
        request.outlet, generation.labels("outlet"), "outlet"
    )
    categories, unknown_categories = facet_values.resolve(
        request.category, generation.labels("category"), "category"
    )
    changed = replace(request, outlet=outlets, category=categories)
    return changed, unknown_outlets + unknown_categories


def sentence_words(words: list[str]) -> tuple[str, ...]:
    """A sentence's words without its function words ("after", "would", "their"): they carry
    no topic, yet as matches they would lift every title that happens to hold them."""
    kept = tuple(word for word in words if word not in SENTENCE_STOP_WORDS)
    return kept or tuple(words)


def browse_order(request: SearchRequest) -> SearchRequest:
    return replace(request, sort="newest") if request.sort == "relevance" else request


def search(
    generation: Generation,
    request: SearchRequest,
    *,
    max_expansion: int = DEFAULTS.max_expansion,
    time_limit_s: float | None = DEFAULTS.search_time_limit_s,
    ranking: RankingSettings = DEFAULT_RANKING,
    max_query_depth: int = DEFAULTS.max_query_depth,
    max_total_expansion: int = DEFAULTS.max_total_expansion,
    synonym_table: synonyms.SynonymTable | None = None,
) -> SearchResult:
    """Run one search. Raises QuerySyntaxError / InvalidParameter for bad input (QueryTooCostly:
    prefixes standing for too many words), nothing else.

    Only a query of bare words (query.written_plainly) may be read as a sentence or widened
    from all words to any: quotes, operators, fields and prefixes are honoured as written.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + time_limit_s if time_limit_s else None
    tree = parse(request.q, max_query_depth)
    plain = is_plain_words(tree) and written_plainly(request.q)
    words = searchable_words(request.q) if plain else []
    request, label_warnings = resolve_labels(generation, request)
    if tree is None:
        mode = "browse"
        # Nothing to rank by: browsing lists the newest stories first (undated ones last).
        request = browse_order(request)
    elif is_natural(words, ranking):
        mode = "natural"
    else:
        mode = "all"
    # Other names of the same thing (ROK / South Korea) join the query as alternatives; a
    # sentence is scored on its own words.
    expanded = (
        tree
        if mode == "natural"
        else synonyms.expand(tree, synonym_table or synonyms.load(), join_words=plain)
    )
    plan = SearchPlan(
        tree=expanded,
        mode=mode,
        words=sentence_words(words) if mode == "natural" else tuple(words),
        filters=Filters.of(request),
        sort=request.sort,
        offset=(request.page - 1) * request.per_page,
        limit=request.per_page,
        explain=request.explain,
        collapse=request.collapse,
        deadline=deadline,
        max_expansion=max_expansion,
        max_total_expansion=max_total_expansion,
        ranking=ranking,
    )
    matches = generation.run(plan)
    warnings = label_warnings + list(matches.warnings)
    if mode == "natural":
        warnings.insert(0, NATURAL_NOTE)
    if matches.total == 0 and mode == "all" and plain and isinstance(tree, All):
        widened = generation.run(replace(plan, mode="any"))
        warnings.extend(widened.warnings)
        if widened.searched:
            matches, mode = widened, "any"
            if matches.total:
                warnings.append(WIDENED_NOTE)
    suggestion = None
    if matches.total == 0 or mode == "any":
        suggestion = SPELLERS.speller(generation).suggest(request.q)
    return SearchResult(
        query={
            "text": request.q,
            "parsed": render(expanded),
            "warnings": list(dict.fromkeys(warnings)),
        },
        total=matches.total,
        page=request.page,
        per_page=request.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        hits=matches.hits,
        facets=matches.facets,
        suggestion=suggestion,
        mode=mode,
        timed_out=matches.timed_out,
        generation=generation.name,
        clusters=matches.clusters,
    )
