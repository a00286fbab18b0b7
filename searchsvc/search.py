"""The one search function: a request in, a plain result value out (served as JSON and HTML)."""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from itertools import islice
from operator import itemgetter

from whoosh import query as wq
from whoosh import scoring
from whoosh.collectors import (
    TimeLimitCollector,
    TopCollector,
)
from whoosh.matching import Matcher, NullMatcherClass, WrappingMatcher
from whoosh.searching import Results, SearchContext, Searcher, TimeLimit

from searchsvc.analysis import english_analyzer, fold, plain_analyzer
from searchsvc.clusters import Collapse, StoryClusters
from searchsvc.errors import InvalidParameter, QueryTooLong
from searchsvc.explain import matched_words, score_parts
from searchsvc.postings import PostingsCache, evaluate, keep_only, top
from searchsvc.provenance import copies_for_readers, source_files
from searchsvc.query import MAX_DEPTH as MAX_QUERY_DEPTH
from searchsvc.query import All, Any, Node, Not, Phrase, Word, is_plain_words, parse, render
from searchsvc.ranking import (
    DEFAULT_RANKING,
    NATURAL_NOTE,
    HeadFirst,
    RankingSettings,
    is_natural,
    natural_query,
    searchable_words,
)
from searchsvc.schema import FIELD_BOOSTS, QUERY_FIELDS, story_from_stored
from searchsvc.searcher import OpenIndex
from searchsvc.snippets import snippet
from searchsvc.spelling import Speller

SORTS = ("relevance", "newest", "oldest")
FACETS = ("outlet", "category", "month", "day_label")  # day_label: see timeline.py
# The time limit is checked after every this many matches of the unscored pass.
DEADLINE_CHECK_EVERY = 256
# A search cut off while counting still gets this long to rank what it found.
MIN_RANKING_S = 0.05
SNIPPET_CHARS = 240
WEIGHTING = DEFAULT_RANKING.weighting()


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    outlet: str | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    explain: bool = False  # add each hit's score parts (explain.score_parts)
    # A pinned index generation (permalinks.py): the caller opens it; search() searches the
    # OpenIndex it is given either way.
    generation: str | None = None
    collapse: bool = False  # one hit per story cluster (clusters.py), counts over all matches

    def validate(self, max_query_chars: int = 500, max_per_page: int = 100) -> SearchRequest:
        """Raise InvalidParameter naming the first parameter that is out of range."""
        if len(self.q) > max_query_chars:
            raise QueryTooLong(
                "q", f"query too long ({len(self.q)} > {max_query_chars} characters)"
            )
        if "\x00" in self.q:
            raise InvalidParameter("q", "the query contains a NUL character")
        if self.page < 1:
            raise InvalidParameter("page", "must be 1 or more")
        if not 1 <= self.per_page <= max_per_page:
            raise InvalidParameter("per_page", f"must be between 1 and {max_per_page}")
        if self.sort not in SORTS:
            raise InvalidParameter("sort", f"must be one of {', '.join(SORTS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidParameter("from", "'from' is after 'to'")
        return self


@dataclass
class Hit:
    id: str
    title: str | None
    outlet: str | None
    published: str | None
    published_approximate: bool
    category: str | None
    score: float | None
    snippet: str
    source_files: list[str]  # operators only (provenance.py): never shown on a page
    matched: dict[str, list[str]] = field(default_factory=dict)
    explain: dict | None = None
    cluster: dict | None = None  # collapse=1: the story's cluster and its other matches
    source_url: str | None = None  # the story's address at its outlet, when the file states it
    copies: list[dict] = field(default_factory=list)  # other copies: outlet, date, title, address


@dataclass
class SearchResult:
    query: dict
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[dict]]
    suggestion: str | None = None
    mode: str = "all"
    timed_out: bool = False
    generation: str = ""
    clusters: int | None = None  # collapse=1: story clusters among the `total` matches

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def pages(self) -> int:
        shown = self.total if self.clusters is None else self.clusters
        return max(1, -(-shown // self.per_page))


@dataclass
class Compiled:
    query: wq.Query | None
    warnings: list[str] = field(default_factory=list)


class QueryCompiler:
    """Syntax tree → Whoosh query, with the same analyzers the index was built with."""

    def __init__(self, opened: OpenIndex, max_expansion: int) -> None:
        self.reader = opened.searcher.reader()
        self.max_expansion = max_expansion
        self.text_analyzer = english_analyzer()
        self.plain_analyzer = plain_analyzer()
        self.warnings: list[str] = []

    def compile(self, node: Node, any_word: bool = False) -> wq.Query | None:
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
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
        return self._terms(node.text, node.field, phrase=False)

    def phrase(self, node: Phrase) -> wq.Query | None:
        return self._terms(node.text, node.field, phrase=True)

    def _terms(self, text: str, field_name: str | None, phrase: bool) -> wq.Query | None:
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
        stem = fold(node.text)
        per_field = []
        for index_field, boost in self.fields_for(node.field):
            expansions = list(
                islice(self.reader.expand_prefix(index_field, stem), self.max_expansion + 1)
            )
            if len(expansions) > self.max_expansion:
                self.warnings.append(
                    f"'{node.text}*' matches too many words; only the first "
                    f"{self.max_expansion} were searched"
                )
                expansions = expansions[: self.max_expansion]
            terms = [
                wq.Term(index_field, t.decode("utf-8") if isinstance(t, bytes) else t, boost=boost)
                for t in expansions
            ]
            if terms:
                per_field.append(terms[0] if len(terms) == 1 else wq.Or(terms))
        if not per_field:
            return wq.NullQuery
        return per_field[0] if len(per_field) == 1 else wq.Or(per_field)


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


def filter_query(request: SearchRequest) -> wq.Query | None:
    parts: list[wq.Query] = []
    if request.outlet:
        parts.append(wq.Term("outlet", request.outlet))
    if request.category:
        parts.append(wq.Term("category", request.category))
    if request.date_from or request.date_to:
        low = int(request.date_from.strftime("%Y%m%d")) if request.date_from else None
        high = int(request.date_to.strftime("%Y%m%d")) if request.date_to else None
        parts.append(wq.NumericRange("day", low, high))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def browse_order(request: SearchRequest) -> SearchRequest:
    return replace(request, sort="newest") if request.sort == "relevance" else request


def search(
    opened: OpenIndex,
    request: SearchRequest,
    *,
    max_expansion: int = 256,
    time_limit_s: float | None = 2.0,
    ranking: RankingSettings = DEFAULT_RANKING,
    max_query_depth: int = MAX_QUERY_DEPTH,
) -> SearchResult:
    """Run one search. Raises QuerySyntaxError / InvalidParameter for bad input, nothing else."""
    started = time.perf_counter()
    tree = parse(request.q, max_query_depth)
    compiler = QueryCompiler(opened, max_expansion)
    mode = "all"
    words = searchable_words(request.q) if is_plain_words(tree) else []
    if tree is None:
        main = wq.Every()
        mode = "browse"
        # Nothing to rank by: browsing lists the newest stories first (undated ones last).
        request = browse_order(request)
    elif is_natural(words, ranking):
        depth = request.page * request.per_page if request.sort == "relevance" else 0
        main = natural_query(words, ranking, opened.searcher, depth)
        mode = "natural"
        compiler.warnings.append(NATURAL_NOTE)
    else:
        main = compiler.compile(tree)
    if main is None:
        main = wq.NullQuery
    weighting = ranking.weighting(mode)
    outcome = run(opened, main, request, time_limit_s, weighting)
    if outcome.total == 0 and mode == "all" and is_plain_words(tree) and isinstance(tree, All):
        widened = compiler.compile(tree, any_word=True)
        if widened is not None:
            outcome = run(opened, widened, request, time_limit_s, weighting)
            mode = "any"
            if outcome.total:
                compiler.warnings.append(
                    "No story contains all of these words; showing stories with any of them."
                )
    suggestion = None
    if outcome.total == 0 or mode == "any":
        speller = opened.cache.get("speller")
        if speller is None:
            speller = opened.cache["speller"] = Speller(opened.vocabulary)
        suggestion = speller.suggest(request.q)
    return SearchResult(
        query={
            "text": request.q,
            "parsed": render(tree),
            "warnings": list(dict.fromkeys(compiler.warnings)),
        },
        total=outcome.total,
        page=request.page,
        per_page=request.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        hits=outcome.hits,
        facets=outcome.facets,
        suggestion=suggestion,
        mode=mode,
        timed_out=outcome.timed_out,
        generation=opened.generation.name,
        clusters=outcome.clusters,
    )


@dataclass
class Outcome:
    total: int
    hits: list[Hit]
    facets: dict[str, list[dict]]
    timed_out: bool
    clusters: int | None = None


def run(
    opened: OpenIndex,
    q: wq.Query,
    request: SearchRequest,
    time_limit_s: float | None,
    weighting: scoring.WeightingModel = WEIGHTING,
) -> Outcome:
    searcher = opened.searcher
    main = q
    filt = filter_query(request)
    if filt is not None:
        # Filters narrow the matches without adding to the score. Whoosh 2.7.4's Require returns
        # the complement of the filter, so a zero-scored AND is used instead.
        scoreless = Unscored(filt)
        q = scoreless if isinstance(q, wq.Every) else wq.And([q, scoreless])
    limit = request.page * request.per_page
    searcher.weighting = weighting
    deadline = time.monotonic() + time_limit_s if time_limit_s else None
    fast = None if request.collapse else fast_outcome(opened, main, q, request, limit, weighting)
    if fast is not None:
        return fast
    if not request.collapse and has_phrase(main):
        # A phrase is checked position by position; one scored pass over its matches costs
        # half of counting them and then ranking them in a second pass.
        scores, complete = scored_matches(searcher, q, deadline)
        return outcome_of(
            opened, q, request, limit, scores, attach_matched_terms, timed_out=not complete
        )
    # The exact total and the facets come from one unscored pass over every match; only the
    # ranking needs scores, and block-max skipping finds the same top N without scoring them all.
    matched, complete = matched_docnums(searcher, q, deadline)
    total = len(matched)
    timed_out = not complete
    collapse = Collapse(StoryClusters.of(opened)) if request.collapse else None
    if request.sort == "relevance":
        collector = TopCollector(limit=limit)
        remaining = None if deadline is None else max(deadline - time.monotonic(), MIN_RANKING_S)
        if collapse is not None:
            collector = collapse.collector(collector, remaining)
        elif remaining is not None:
            collector = TimeLimitCollector(collector, timelimit=remaining, use_alarm=False)
        try:
            searcher.search_with_collector(q, collector, context=_walking(searcher))
        except TimeLimit:
            timed_out = True
        results = collector.results()
    else:
        results = sorted_by_date(opened, q, matched, request.sort, limit, collapse)
    start = (request.page - 1) * request.per_page
    shown = range(start, min(limit, results.scored_length()))
    attach_matched_terms(results, [results.docnum(n) for n in shown])
    hits = [make_hit(results, n, request.explain) for n in shown]
    facets = facet_counts(count_facets(opened, matched))
    if collapse is None:
        return Outcome(total, hits, facets, timed_out)
    clusters, every = collapse.count(matched)
    for n, hit in zip(shown, hits, strict=True):
        hit.cluster = collapse.describe(results.docnum(n), every)
    return Outcome(total, hits, facets, timed_out, clusters)


def fast_outcome(  # noqa: PLR0913 - the parts of one search
    opened: OpenIndex,
    main: wq.Query,
    q: wq.Query,
    request: SearchRequest,
    limit: int,
    weighting: scoring.WeightingModel,
) -> Outcome | None:
    """The search answered from cached postings (postings.py), or None for the matcher path.

    `main` is the query without the request's filters, which are applied here as predicates on
    the generation's columns; `q` (with them) is kept on the results for highlighting.
    """
    cache = opened.cache.get("postings")
    if cache is None:
        cache = opened.cache["postings"] = PostingsCache(opened.searcher)
    scores = evaluate(cache, main, weighting)
    if scores is None:
        return None
    allowed = filter_predicate(opened, request)
    if allowed is not None:
        scores = keep_only(scores, allowed)

    def attach(results: Results, docnums: list[int]) -> None:
        attach_cached_terms(results, docnums, cache, main, weighting)

    return outcome_of(opened, q, request, limit, scores, attach)


def outcome_of(  # noqa: PLR0913 - the parts of one search
    opened: OpenIndex,
    q: wq.Query,
    request: SearchRequest,
    limit: int,
    scores: dict[int, float],
    attach: Callable[[Results, list[int]], None],
    timed_out: bool = False,
) -> Outcome:
    """The page of hits, the total and the facets, from every match and its score."""
    if request.sort == "relevance":
        results = Results(opened.searcher, q, top(scores, limit))
    else:
        results = sorted_by_date(opened, q, list(scores), request.sort, limit)
    start = (request.page - 1) * request.per_page
    shown = range(start, min(limit, results.scored_length()))
    attach(results, [results.docnum(n) for n in shown])
    hits = [make_hit(results, n, request.explain) for n in shown]
    facets = facet_counts(count_facets(opened, list(scores)))
    return Outcome(len(scores), hits, facets, timed_out)


def scored_matches(
    searcher: Searcher, q: wq.Query, deadline: float | None
) -> tuple[dict[int, float], bool]:
    """Every match with its score, walking the matchers once (False: the deadline passed)."""
    scores: dict[int, float] = {}
    checked = 0
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = q.matcher(subsearcher, _walking(subsearcher))
        while matcher.is_active():
            scores[offset + matcher.id()] = matcher.score()
            matcher.next()
            checked += 1
            due = deadline is not None and checked % DEADLINE_CHECK_EVERY == 0
            if due and time.monotonic() > deadline:
                return scores, False
    return scores, True


def has_phrase(q: wq.Query) -> bool:
    return isinstance(q, wq.Phrase) or any(has_phrase(c) for c in q.children())


def first_by_key(keys: list, docnums: list[int], limit: int, highest: bool) -> list[tuple]:
    """(key, docnum) of the first `limit` documents by key, in the order heapq gives over
    (key, docnum) pairs (ties: the higher docnum first when highest, else the lower), without
    building a pair per match."""
    if not docnums or limit <= 0:
        return []
    pick = heapq.nlargest if highest else heapq.nsmallest
    edge = keys[pick(limit, docnums, key=keys.__getitem__)[-1]]
    if highest:
        chosen = [(keys[d], d) for d in docnums if keys[d] >= edge]
    else:
        chosen = [(keys[d], d) for d in docnums if keys[d] <= edge]
    chosen.sort(reverse=highest)
    return chosen[:limit]


def attach_cached_terms(
    results: Results,
    docnums: list[int],
    cache: PostingsCache,
    main: wq.Query,
    weighting: scoring.WeightingModel,
) -> None:
    """attach_matched_terms from the cached postings: each shown hit's matching query terms
    (those outside an exclusion), without moving the query's matchers to it again."""
    docterms: dict[int, list] = {}
    termdocs: dict[tuple, list[int]] = {}
    for leaf in wanted_terms(main):
        term = (leaf.fieldname, leaf.text.encode("utf-8"))
        holding = cache.term(leaf.fieldname, leaf.text, weighting, leaf.boost)
        for docnum in docnums:
            if docnum in holding and term not in docterms.get(docnum, ()):
                termdocs.setdefault(term, []).append(docnum)
                docterms.setdefault(docnum, []).append(term)
    results.docterms, results.termdocs = docterms, termdocs


def wanted_terms(q: wq.Query) -> list[wq.Term]:
    """The Term leaves of a query postings.evaluate answers, leaving out excluded ones."""
    if isinstance(q, wq.Term):
        return [q]
    if isinstance(q, wq.AndNot):
        return wanted_terms(q.a)
    if isinstance(q, HeadFirst):  # its matchers are the query's words; feedback only scores
        return wanted_terms(q.child)
    if isinstance(q, wq.Or | wq.And):
        return [leaf for sub in q.subqueries for leaf in wanted_terms(sub)]
    return []


def filter_predicate(opened: OpenIndex, request: SearchRequest):  # noqa: ANN201
    """The request's outlet/category/date filters as one test on a document number."""
    tests = []
    if request.outlet:
        outlets, outlet = global_column(opened, "outlet", True), request.outlet
        tests.append(lambda d: outlets[d] == outlet)
    if request.category:
        categories, category = global_column(opened, "category", True), request.category
        tests.append(lambda d: categories[d] == category)
    if request.date_from or request.date_to:
        days = global_days(opened)
        low = int(request.date_from.strftime("%Y%m%d")) if request.date_from else 0
        high = int(request.date_to.strftime("%Y%m%d")) if request.date_to else 99_999_999
        tests.append(lambda d: days[d] is not None and low <= days[d] <= high)
    if not tests:
        return None
    return tests[0] if len(tests) == 1 else lambda d: all(t(d) for t in tests)


def global_column(opened: OpenIndex, name: str, translate: bool) -> list:
    """A column over the whole generation (segments end to end), indexed by global docnum."""
    key = ("global-column", name, translate)
    values = opened.cache.get(key)
    if values is None:
        values = []
        for subsearcher, offset in opened.searcher.leaf_searchers():
            assert offset == len(values)
            values.extend(subsearcher.reader().column_reader(name, translate=translate))
        opened.cache[key] = values
    return values


def global_days(opened: OpenIndex) -> list[int | None]:
    """Each story's printed day as YYYYMMDD (the `day` field's value), from the day_label column."""
    values = opened.cache.get("global-days")
    if values is None:
        labels = global_column(opened, "day_label", True)
        values = [int(v.lstrip("~").replace("-", "")) if v else None for v in labels]
        opened.cache["global-days"] = values
    return values


def count_facets(opened: OpenIndex, docnums: list[int]) -> dict[str, Counter]:
    """Each facet's values counted over the matches (global document numbers)."""
    groups: dict[str, Counter] = {}
    for name in FACETS:
        if name not in opened.searcher.schema:
            continue  # a generation built before this facet field existed
        if not docnums:
            groups[name] = Counter()
            continue
        values = global_column(opened, name, True)
        picked = itemgetter(*docnums)(values)
        groups[name] = Counter(picked if len(docnums) > 1 else (picked,))
    return groups


def matched_docnums(
    searcher: Searcher, q: wq.Query, deadline: float | None = None
) -> tuple[list[int], bool]:
    """Every matching document (global numbers, in order), without scoring (deleted documents
    excluded).

    The flag is False when the deadline (time.monotonic()) passed first: the matches are then
    the ones found so far, and the caller reports the search as timed out.
    """
    matched: list[int] = []
    for subsearcher, offset in searcher.leaf_searchers():
        ids = q.matcher(subsearcher, _walking(subsearcher, scored=False)).all_ids()
        while chunk := list(islice(ids, DEADLINE_CHECK_EVERY)):
            matched.extend(offset + docnum for docnum in chunk)
            more_may_follow = len(chunk) == DEADLINE_CHECK_EVERY
            if more_may_follow and deadline is not None and time.monotonic() > deadline:
                return matched, False
    return matched, True


def _walking(searcher: Searcher, scored: bool = True) -> SearchContext:
    """A context asking for matchers that walk the postings. Without needs_current, an OR in a
    segment under 5,000 documents first preloads every posting into arrays, which measured 2-3x
    slower on the benchmark's queries (segments are that small at 10k documents)."""
    context = searcher.context() if scored else searcher.boolean_context()
    return context.set(needs_current=True)


def sorted_by_date(
    opened: OpenIndex,
    q: wq.Query,
    matched: list[int],
    sort: str,
    limit: int,
    collapse: Collapse | None = None,
) -> Results:
    """The first `limit` matches (global numbers, in order) by date, as Whoosh's sorting
    collector orders and scores them (with `collapse`, only each cluster's first)."""
    keys = global_column(opened, "newest" if sort == "newest" else "oldest", False)
    if collapse is None:
        return Results(opened.searcher, q, first_by_key(keys, matched, limit, sort == "newest"))
    keyed = collapse.best_per_cluster(((keys[d], d) for d in matched), highest=sort == "newest")
    pick = heapq.nlargest if sort == "newest" else heapq.nsmallest
    return Results(opened.searcher, q, pick(limit, keyed))


def attach_matched_terms(results: Results, docnums: list[int]) -> None:
    """What TermsCollector records, for the shown hits only: the query's term matchers that sit
    on each hit when the whole query's matcher is moved to it."""
    docterms: dict[int, list] = {}
    termdocs: dict[tuple, list[int]] = {}
    searcher = results.searcher
    for subsearcher, offset in searcher.leaf_searchers():
        size = subsearcher.doc_count_all()
        local = sorted(d - offset for d in docnums if offset <= d < offset + size)
        if not local:
            continue
        matcher = results.q.matcher(subsearcher, subsearcher.context(needs_current=True))
        for docnum in local:
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if not matcher.is_active() or matcher.id() != docnum:
                continue
            for term_matcher in matcher.term_matchers():
                if term_matcher.is_active() and term_matcher.id() == docnum:
                    term = term_matcher.term()
                    termdocs.setdefault(term, []).append(offset + docnum)
                    docterms.setdefault(offset + docnum, []).append(term)
    results.docterms, results.termdocs = docterms, termdocs


def facet_counts(groups_by_facet: dict[str, Counter]) -> dict[str, list[dict]]:
    counts = {}
    for name in FACETS:
        groups = groups_by_facet.get(name, {})
        values = [{"value": value, "count": count} for value, count in groups.items() if value]
        if name == "month":
            values.sort(key=lambda v: v["value"], reverse=True)
        else:
            values.sort(key=lambda v: (-v["count"], v["value"]))
        counts[name] = values
    return counts


def make_hit(results, n: int, explain: bool = False) -> Hit:
    hit = results[n]
    story = story_from_stored(hit.fields())
    return Hit(
        id=story.id,
        title=story.title,
        outlet=story.outlet,
        published=story.published.isoformat() if story.published else None,
        published_approximate=story.published_approximate,
        category=story.category,
        score=round(hit.score, 4) if hit.score is not None else None,
        snippet=snippet(hit, story.text, story.caption),
        source_files=source_files(story),
        source_url=story.url,
        copies=copies_for_readers(story),
        matched=matched_words(
            hit, {"title": story.title or "", "body": story.text, "caption": story.caption or ""}
        ),
        explain=score_parts(hit) if explain else None,
    )
