"""Running one SearchPlan on a Whoosh generation: the page of hits, the exact total, facets.

Three execution paths, one set of rules. Word, AND and OR queries are answered from cached
postings (postings.py); phrases by one scored walk over their matches; everything else (and
collapsing) by an unscored pass for the exact total and facets plus a block-max pass for the
top hits. Every path applies the plan's filters through one FilterRule, slices the page with
`shown()`, attaches matched words, and keeps to the plan's deadline. Nothing here changes an
object another search shares: the weighting comes with each call (its own Searcher).
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.collectors import TimeLimitCollector, TopCollector
from whoosh.searching import Results, SearchContext, Searcher, TimeLimit

from searchsvc.engines.whoosh import columns
from searchsvc.engines.whoosh.collapsing import Collapse
from searchsvc.engines.whoosh.compiling import FilterRule, QueryCompiler, Unscored
from searchsvc.engines.whoosh.deadlines import bounded, passed
from searchsvc.engines.whoosh.explain import matched_words, score_parts
from searchsvc.engines.whoosh.postings import PostingsCache, Scored, evaluate, keep_only, top
from searchsvc.engines.whoosh.ranking import HeadFirst, natural_query, weighting
from searchsvc.engines.whoosh.reading import GenerationCaches
from searchsvc.engines.whoosh.schema import story_from_stored
from searchsvc.engines.whoosh.snippets import snippet
from searchsvc.hits import hit_of
from searchsvc.model import FACETS, Hit, Matches, SearchPlan
from searchsvc.ranking import DEFAULT_RANKING

# The time limit is checked after every this many matches of the unscored pass.
DEADLINE_CHECK_EVERY = 256
# A search cut off while counting still gets this long to rank what it found.
MIN_RANKING_S = 0.05


def run_plan(caches: GenerationCaches, plan: SearchPlan) -> Matches:
    """Execute one plan (see engines/base.py for the contract)."""
    settings = plan.ranking or DEFAULT_RANKING
    model = weighting(settings, plan.mode)
    searcher = caches.scoring(model)
    compiler = QueryCompiler(
        searcher.reader(), plan.max_expansion, plan.deadline, plan.max_total_expansion
    )
    if plan.mode == "browse" or plan.tree is None:
        main: wq.Query | None = wq.Every()
    elif plan.mode == "natural":
        depth = plan.offset + plan.limit if plan.sort == "relevance" else 0
        main = natural_query(plan.words, settings, searcher, depth, plan.deadline)
    else:
        main = compiler.compile(plan.tree, any_word=plan.mode == "any")
    if main is None and plan.mode == "any":
        return Matches(0, [], facet_counts({}), warnings=compiler.warnings, searched=False)
    matches = run(caches, searcher, main or wq.NullQuery, plan, model)
    matches.warnings = compiler.warnings
    return matches


def run(
    caches: GenerationCaches,
    searcher: Searcher,
    main: wq.Query,
    plan: SearchPlan,
    model: scoring.WeightingModel,
) -> Matches:
    """`main` (the query without the filters) run with `searcher`, which scores with `model`."""
    rule = FilterRule(plan.filters)
    q = main
    filt = rule.query()
    if filt is not None:
        # Filters narrow the matches without adding to the score. Whoosh 2.7.4's Require returns
        # the complement of the filter, so a zero-scored AND is used instead.
        scoreless = Unscored(filt)
        q = scoreless if isinstance(q, wq.Every) else wq.And([q, scoreless])
    deadline = plan.deadline
    fast = None if plan.collapse else fast_outcome(caches, searcher, main, q, plan, model, rule)
    if fast is not None:
        return fast
    if not plan.collapse and has_phrase(main):
        # A phrase is checked position by position; one scored pass over its matches costs
        # half of counting them and then ranking them in a second pass.
        scores, complete = scored_matches(searcher, q, deadline)
        return outcome_of(caches, searcher, q, plan, Scored.of(scores), timed_out=not complete)
    # The exact total and the facets come from one unscored pass over every match; only the
    # ranking needs scores, and block-max skipping finds the same top N without scoring them all.
    matched, complete = matched_docnums(searcher, q, deadline)
    timed_out = not complete
    collapse = Collapse(caches.clusters) if plan.collapse else None
    if plan.sort == "relevance":
        results, stopped = ranked(searcher, q, plan.offset + plan.limit, deadline, collapse)
        timed_out = timed_out or stopped
    else:
        results = sorted_by_date(caches, searcher, q, matched, plan, collapse)
    results.q = q  # the walk's deadline checks are not the query's (explanations read it)
    docnums = shown(plan, results)
    attach_matched_terms(results, docnums, deadline=deadline)
    hits, hits_cut = make_hits(results, plan)
    facets = facet_counts(count_facets(caches, matched, deadline))
    timed_out = timed_out or hits_cut or passed(deadline)
    if collapse is None:
        return Matches(len(matched), hits, facets, timed_out)
    clusters, every = collapse.count(matched)
    for docnum, hit in zip(docnums, hits, strict=True):
        hit.cluster = collapse.describe(docnum, every)
    return Matches(len(matched), hits, facets, timed_out, clusters=clusters)


def ranked(
    searcher: Searcher, q: wq.Query, limit: int, deadline: float | None, collapse: Collapse | None
) -> tuple[Results, bool]:
    """The best `limit` matches by score (block-max skipping), and whether time ran out."""
    collector = TopCollector(limit=limit)
    remaining = None if deadline is None else max(deadline - time.monotonic(), MIN_RANKING_S)
    if collapse is not None:
        collector = collapse.collector(collector, remaining)
    elif remaining is not None:
        collector = TimeLimitCollector(collector, timelimit=remaining, use_alarm=False)
    stopped = False
    walk = bounded(q, None if remaining is None else time.monotonic() + remaining)
    try:
        searcher.search_with_collector(walk, collector, context=_walking(searcher))
    except TimeLimit:
        stopped = True
    return collector.results(), stopped


def window(plan: SearchPlan, results: Results) -> range:
    """The page: positions of the plan's window in the ordered results (the one page slice)."""
    return range(plan.offset, min(plan.offset + plan.limit, results.scored_length()))


def shown(plan: SearchPlan, results: Results) -> list[int]:
    """Document numbers of the page's hits, in order."""
    return [results.docnum(n) for n in window(plan, results)]


def make_hits(results: Results, plan: SearchPlan) -> tuple[list[Hit], bool]:
    """The page's hits, and whether the deadline cut their details short: past it, a hit is
    shown with its opening lines instead of a highlighted passage, without matched words or
    a score explanation (the costly parts, per hit)."""
    hits = []
    cut = False
    for n in window(plan, results):
        if passed(plan.deadline):
            cut = True
            results.docterms.pop(results.docnum(n), None)  # snippet: the opening lines
        hits.append(make_hit(results, n, plan.explain and not cut))
    return hits, cut


def fast_outcome(  # noqa: PLR0913 - the parts of one search
    caches: GenerationCaches,
    searcher: Searcher,
    main: wq.Query,
    q: wq.Query,
    plan: SearchPlan,
    model: scoring.WeightingModel,
    rule: FilterRule,
) -> Matches | None:
    """The search answered from cached postings (postings.py), or None for the matcher path.

    `main` is the query without the plan's filters, which are applied here as the rule's test
    on the generation's columns; `q` (with them) is kept on the results for highlighting.
    """
    cache = caches.postings
    scores = evaluate(cache, main, model, plan.deadline)
    if scores is None:
        return None
    allowed = columns.filter_mask(rule, caches.label_codes, caches.day_array)
    if allowed is not None:
        scores = keep_only(scores, allowed)

    return outcome_of(caches, searcher, q, plan, scores, CachedTerms(cache, main, model))


def outcome_of(  # noqa: PLR0913 - the parts of one search
    caches: GenerationCaches,
    searcher: Searcher,
    q: wq.Query,
    plan: SearchPlan,
    scores: Scored,
    cached: CachedTerms | None = None,
    timed_out: bool = False,
) -> Matches:
    """The page of hits, the total and the facets, from every match and its score."""
    limit = plan.offset + plan.limit
    if plan.sort == "relevance":
        results = Results(searcher, q, top(scores, limit))
    else:
        newest = plan.sort == "newest"
        keys = caches.sort_array("newest" if newest else "oldest")
        results = Results(searcher, q, columns.first_by_key(keys, scores.docs, limit, newest))
    attach_matched_terms(results, shown(plan, results), cached, plan.deadline)
    hits, hits_cut = make_hits(results, plan)
    facets = facet_counts(count_facets(caches, scores.docs, plan.deadline))
    timed_out = timed_out or hits_cut or passed(plan.deadline)
    return Matches(len(scores), hits, facets, timed_out)


def count_facets(
    caches: GenerationCaches,
    docnums,
    deadline: float | None = None,  # noqa: ANN001
) -> dict[str, Counter]:
    """Each facet's values counted over the matches (global document numbers: a list or an
    array); the facets not yet counted when the deadline passes are left empty."""
    groups: dict[str, Counter] = {}
    for name in FACETS:
        if name not in caches.searcher.schema or passed(deadline):
            continue  # a generation built before this facet field existed, or no time left
        if not len(docnums):
            groups[name] = Counter()
            continue
        groups[name] = caches.label_codes(name).counts(np.asarray(docnums, dtype=np.int64))
    return groups


def sorted_by_date(  # noqa: PLR0913 - the parts of one search
    caches: GenerationCaches,
    searcher: Searcher,
    q: wq.Query,
    matched: list[int],
    plan: SearchPlan,
    collapse: Collapse | None = None,
) -> Results:
    """The first matches of the plan's window (global numbers, in order) by date, as Whoosh's
    sorting collector orders and scores them (with `collapse`, only each cluster's first)."""
    limit = plan.offset + plan.limit
    newest = plan.sort == "newest"
    keys = caches.sort_column("newest" if newest else "oldest")
    if collapse is None:
        return Results(searcher, q, first_by_key(keys, matched, limit, newest))
    keyed = collapse.best_per_cluster(((keys[d], d) for d in matched), highest=newest)
    pick = heapq.nlargest if newest else heapq.nsmallest
    return Results(searcher, q, pick(limit, keyed))


def scored_matches(
    searcher: Searcher, q: wq.Query, deadline: float | None
) -> tuple[dict[int, float], bool]:
    """Every match with its score, walking the matchers once (False: the deadline passed)."""
    scores: dict[int, float] = {}
    checked = 0
    walk = bounded(q, deadline)
    try:
        for subsearcher, offset in searcher.leaf_searchers():
            matcher = walk.matcher(subsearcher, _walking(subsearcher))
            while matcher.is_active():
                scores[offset + matcher.id()] = matcher.score()
                matcher.next()
                checked += 1
                due = deadline is not None and checked % DEADLINE_CHECK_EVERY == 0
                if due and time.monotonic() > deadline:
                    return scores, False
    except TimeLimit:  # between two matches (bounded)
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


@dataclass(frozen=True)
class CachedTerms:
    """The cached postings a query was answered from (the fast path), to read matched terms."""

    cache: PostingsCache
    query: wq.Query  # without the filters
    model: scoring.WeightingModel


def attach_matched_terms(
    results: Results,
    docnums: list[int],
    cached: CachedTerms | None = None,
    deadline: float | None = None,
) -> None:
    """What TermsCollector records, for the shown hits only: each hit's matching query terms
    (those outside an exclusion; feedback words are not the query's), each recorded once.

    Read from the cached postings when the query was answered from them, else by moving the
    query's matchers to each hit: the same answer (tests/test_whoosh_equivalence.py), the
    cached reading about 50x faster.
    """
    found = _cached_terms(docnums, cached) if cached else _walked_terms(results, docnums, deadline)
    docterms: dict[int, list] = {}
    termdocs: dict[tuple, list[int]] = {}
    for docnum, term in found:
        if term not in docterms.get(docnum, ()):
            termdocs.setdefault(term, []).append(docnum)
            docterms.setdefault(docnum, []).append(term)
    results.docterms, results.termdocs = docterms, termdocs


def _cached_terms(docnums: list[int], cached: CachedTerms) -> Iterator[tuple[int, tuple]]:
    wanted = np.array(docnums, dtype=np.int64)
    for leaf in wanted_terms(cached.query):
        term = (leaf.fieldname, leaf.text.encode("utf-8"))
        holding = cached.cache.term(leaf.fieldname, leaf.text, cached.model, leaf.boost)
        for docnum, held in zip(docnums, holding.holds(wanted).tolist(), strict=True):
            if held:
                yield docnum, term


def _walked_terms(
    results: Results, docnums: list[int], deadline: float | None = None
) -> Iterator[tuple[int, tuple]]:
    """Past the deadline, the remaining hits get no matched terms (make_hits shows them plain)."""
    for subsearcher, offset in results.searcher.leaf_searchers():
        size = subsearcher.doc_count_all()
        local = sorted(d - offset for d in docnums if offset <= d < offset + size)
        if not local:
            continue
        matcher = results.q.matcher(subsearcher, subsearcher.context(needs_current=True))
        for docnum in local:
            if not matcher.is_active() or passed(deadline):
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if not matcher.is_active() or matcher.id() != docnum:
                continue
            for term_matcher in matcher.term_matchers():
                if term_matcher.is_active() and term_matcher.id() == docnum:
                    yield offset + docnum, term_matcher.term()


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


def matched_docnums(
    searcher: Searcher, q: wq.Query, deadline: float | None = None
) -> tuple[list[int], bool]:
    """Every matching document (global numbers, in order), without scoring (deleted documents
    excluded).

    The flag is False when the deadline (time.monotonic()) passed first: the matches are then
    the ones found so far, and the caller reports the search as timed out.
    """
    matched: list[int] = []
    walk = bounded(q, deadline)
    try:
        for subsearcher, offset in searcher.leaf_searchers():
            ids = walk.matcher(subsearcher, _walking(subsearcher, scored=False)).all_ids()
            for count, docnum in enumerate(ids, 1):
                matched.append(offset + docnum)
                if count % DEADLINE_CHECK_EVERY == 0 and passed(deadline):
                    return matched, False
    except TimeLimit:  # raised between two matches by the bounded walk
        return matched, False
    return matched, True


def _walking(searcher: Searcher, scored: bool = True) -> SearchContext:
    """A context asking for matchers that walk the postings. Without needs_current, an OR in a
    segment under 5,000 documents first preloads every posting into arrays, which measured 2-3x
    slower on the benchmark's queries (segments are that small at 10k documents)."""
    context = searcher.context() if scored else searcher.boolean_context()
    return context.set(needs_current=True)


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


def make_hit(results: Results, n: int, explain: bool = False) -> Hit:
    hit = results[n]
    story = story_from_stored(hit.fields())
    fields = {"title": story.title or "", "body": story.text, "caption": story.caption or ""}
    return hit_of(
        story,
        score=hit.score,
        snippet=snippet(hit, story.text, story.caption),
        matched=matched_words(hit, fields),
        explain=score_parts(hit) if explain else None,
    )
