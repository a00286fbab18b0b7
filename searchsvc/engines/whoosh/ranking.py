"""Whoosh's side of ranking (searchsvc.ranking holds the engine-neutral settings): the BM25F
models, the natural-language query with its pseudo-relevance feedback, and HeadFirst, which
keeps the first round's best stories on top.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Sequence

from whoosh import query as wq
from whoosh import scoring
from whoosh.collectors import Collector, TopCollector
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.searching import Results, Searcher, TimeLimit

from searchsvc.engines.whoosh.deadlines import TimeLimited, passed
from searchsvc.ranking import RankingSettings, searchable_words


def weighting(settings: RankingSettings, mode: str = "all") -> scoring.WeightingModel:
    """The scoring model for a search mode ("natural" gets its own; see above)."""
    if mode != "natural":
        return scoring.BM25F(B=settings.b, K1=settings.k1)
    if settings.natural_idf == "probabilistic":
        return ProbabilisticIdfBM25F(B=settings.natural_b, K1=settings.natural_k1)
    return scoring.BM25F(B=settings.natural_b, K1=settings.natural_k1)


class ProbabilisticIdfBM25F(scoring.BM25F):
    """Whoosh's BM25F with the idf Lucene and Anserini use: log(1 + (N - df + 0.5) / (df + 0.5)).

    The idf is computed in the scorer, not through `Searcher.idf`, because the searcher caches
    idf per term without regard to the model, and keyword searches share that searcher.
    """

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: float = 1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        b = self._field_B.get(fieldname, self.B)
        return _ProbabilisticIdfScorer(searcher, fieldname, text, b, self.K1, qf=qf)


class _ProbabilisticIdfScorer(scoring.BM25FScorer):
    def __init__(  # noqa: PLR0913 - Whoosh's scorer signature
        self, searcher: Searcher, fieldname: str, text: bytes, B: float, K1: float, qf: float = 1
    ) -> None:
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        stories = parent.doc_count_all()
        self.idf = math.log(1 + (stories - df + 0.5) / (df + 0.5))
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.B = B
        self.K1 = K1
        self.qf = qf
        self.setup(searcher, fieldname, text)


def natural_query(
    words: Sequence[str],
    settings: RankingSettings,
    searcher: Searcher | None = None,
    depth: int | None = None,
    deadline: float | None = None,
) -> wq.Query:
    """Any word may match; BM25 over the weighted fields, then feedback below the head.

    `searcher` is needed only for pseudo-relevance feedback (a first round is run with it), and
    feedback only runs when `depth` (the last rank the caller shows; None: unknown) goes past
    the kept head. The first round counts against `deadline` (time.monotonic()): when it
    cannot finish in time, the words are searched without feedback.
    """
    weights = _query_weights(words, settings)
    base = _weighted_terms(weights, settings)
    wanted = depth is None or depth > settings.feedback_head
    if settings.feedback_docs and searcher is not None and wanted:
        return _with_feedback(base, weights, settings, searcher, deadline)
    return base


def _query_weights(words: Sequence[str], settings: RankingSettings) -> dict[str, float]:
    """Each distinct word once (weight 1, or its count when repeats count as BM25's query tf)."""
    counts = Counter(words)
    return {word: float(n) if settings.count_repeated_words else 1.0 for word, n in counts.items()}


def _weighted_terms(weights: dict[str, float], settings: RankingSettings) -> wq.Query:
    terms = [
        wq.Term(field_name, word, boost=weight * boost)
        for word, weight in weights.items()
        for field_name, boost in settings.field_boosts.items()
        if boost > 0
    ]
    return wq.Or(terms)


def _with_feedback(
    first_round: wq.Query,
    weights: dict[str, float],
    settings: RankingSettings,
    searcher: Searcher,
    deadline: float | None = None,
) -> wq.Query:
    """RM3: mix the query's words with the words most typical of its best stories.

    `searcher` scores with weighting(settings, "natural") (the first round is run with it)."""
    top = _first_round(first_round, searcher, settings, deadline)
    if not top or passed(deadline):
        return first_round
    chosen = _feedback_words(searcher, list(top)[: settings.feedback_docs], settings)
    query_total = sum(weights.values())
    feedback_total = sum(chosen.values()) or 1.0
    # RM3's mix: (1 - w) x the query + w x the feedback words, scaled back to the query's size.
    share = settings.feedback_weight
    feedback = {word: share * query_total * x / feedback_total for word, x in chosen.items()}
    head = {hit.docnum: hit.score for hit in list(top)[: settings.feedback_head]}
    return HeadFirst(first_round, _weighted_terms(feedback, settings), 1 - share, head, searcher)


def _first_round(
    first_round: wq.Query, searcher: Searcher, settings: RankingSettings, deadline: float | None
) -> Results | None:
    """The first round's best stories, or None when the deadline passes before it ends."""
    collector: Collector = TopCollector(limit=max(settings.feedback_docs, settings.feedback_head))
    if deadline is not None:
        collector = TimeLimited(collector, max(deadline - time.monotonic(), 0.0))
    try:
        searcher.search_with_collector(first_round, collector)
    except TimeLimit:
        return None
    return collector.results()


def _feedback_words(searcher: Searcher, hits: list, settings: RankingSettings) -> dict[str, float]:
    """The words most typical of these hits: share of each story's words, by the hit's score."""
    expansion: Counter[str] = Counter()
    total_score = sum(hit.score for hit in hits) or 1.0
    for hit in hits:
        story = json.loads(hit["story"])
        words = searchable_words(f"{story.get('title') or ''} {' '.join(story.get('body', []))}")
        if not words:
            continue
        share = hit.score / total_score / len(words)
        for word, n in Counter(words).items():
            expansion[word] += n * share * (_idf(searcher, word) if settings.feedback_by_idf else 1)
    return dict(expansion.most_common(settings.feedback_terms))


def _idf(searcher: Searcher, word: str) -> float:
    df = searcher.doc_frequency("body", word)
    return math.log(1 + (searcher.doc_count_all() - df + 0.5) / (df + 0.5))


# A head whose lowest score is 0 would squash every other story to 0: the floor is at least this.
MIN_HEAD_FLOOR = 1e-9


class HeadFirst(wq.WrappingQuery):
    """The first round's best stories first, with their first-round scores; then the rest.

    Matches what `child` (the query's words) matches. `head` maps the parent searcher's
    document numbers to scores; every other match is scored `child_share` x its child score
    plus its `feedback` score, squashed monotonically below the lowest head score.
    """

    def __init__(  # noqa: PLR0913 - one value per part of the mix
        self,
        child: wq.Query,
        feedback: wq.Query,
        child_share: float,
        head: dict[int, float],
        parent: Searcher,
    ) -> None:
        super().__init__(child)
        self.feedback = feedback
        self.child_share = child_share
        self.head = head
        self.parent = parent
        lowest = min(head.values(), default=None)
        # The head's lowest score (None: no head, the mix ranks every story).
        self.floor = None if lowest is None else max(lowest, MIN_HEAD_FLOOR)

    def mixed(self, child_score: float, feedback_score: float | None) -> float:
        """A story outside the head: its share of the child's score plus its feedback score,
        squashed monotonically below the head's lowest score. The one rule for both paths
        (this query's matcher and postings.evaluate)."""
        score = self.child_share * child_score
        if feedback_score is not None:
            score += feedback_score
        floor = self.floor
        return score if floor is None else floor * score / (score + floor)

    def _rewrap(self, child: wq.Query) -> HeadFirst:
        return HeadFirst(child, self.feedback, self.child_share, self.head, self.parent)

    def matcher(self, searcher: Searcher, context=None) -> Matcher:  # noqa: ANN001 - Whoosh's
        child = self.child.matcher(searcher, context)
        offset = self._offset_of(searcher)
        if offset is None or (context is not None and not context.weighting):
            return child
        size = searcher.doc_count_all()
        local = {d - offset: s for d, s in self.head.items() if offset <= d < offset + size}
        return _HeadFirstMatcher(child, local, self, self.feedback.matcher(searcher, context))

    def _offset_of(self, searcher: Searcher) -> int | None:
        for leaf, offset in self.parent.leaf_searchers():
            if leaf is searcher or leaf.reader() is searcher.reader():
                return offset
        return None


class _HeadFirstMatcher(WrappingMatcher):
    def __init__(
        self, child: Matcher, head: dict[int, float], query: HeadFirst, feedback: Matcher
    ) -> None:
        super().__init__(child)
        self._head = head
        self._query = query
        self._feedback = feedback  # moved forward only: scores are asked for in document order

    def _replacement(self, newchild: Matcher) -> _HeadFirstMatcher:
        return _HeadFirstMatcher(newchild, self._head, self._query, self._feedback)

    def copy(self) -> _HeadFirstMatcher:
        return _HeadFirstMatcher(self.child.copy(), self._head, self._query, self._feedback.copy())

    def supports_block_quality(self) -> bool:
        return False  # scores are not the child's, so its block bounds do not hold

    def score(self) -> float:
        docnum = self.child.id()
        head_score = self._head.get(docnum)
        if head_score is not None:
            return head_score
        feedback = self._feedback
        if feedback.is_active() and feedback.id() < docnum:
            feedback.skip_to(docnum)
        on_doc = feedback.is_active() and feedback.id() == docnum
        return self._query.mixed(self.child.score(), feedback.score() if on_doc else None)
