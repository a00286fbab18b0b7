"""How free text is ranked: BM25 settings, field weights, and the handling of long queries.

A short keyword query ("tokyo summit") means "stories about all of these": every word must
match (search.py falls back to any word when that finds nothing). A long query written as a
sentence ("vitamin D supplements lower the risk of fractures in older women") almost never has
all of its words in one story, so requiring them all finds nothing, and the AND-then-OR fallback
ranks as plain OR. Such a query is run as *natural* language instead: any word may match, scored
by BM25 (probabilistic idf) over the fields. Below the first round's best 20 stories, the order
comes from the query widened by words typical of its best stories (pseudo-relevance feedback,
RM3-style), which finds more of the relevant stories without touching the first pages.

The index's `body` holds the headline too (schema.indexed_body, Lucene's "flat" field), so a
sentence's words are counted once over the whole story and the title adds a small bonus.

Measured and left out (SciFact train, nDCG@10 0.7006 before the flat body, without them): a bonus
for query word pairs found close together, as Phrase/Near queries beside the words (0.622: they
count the same words again) or as a rerank of the top 100 by idf-weighted pairs within 2–5
positions (0.6996–0.7013, noise); dropping query words found in over 20 % of stories (0.688); with
the flat body, weighting each query word by its idf once more (idf^0.5: 0.7079 → 0.7033, idf^1
0.692).

Every figure here was chosen on SciFact's training queries; `benchmarks/ranking.py` prints the
measurements (test queries) for each setting beside the published Lucene BM25 figures.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh import scoring
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.searching import Searcher

from searchsvc.analysis import english_analyzer
from searchsvc.schema import FIELD_BOOSTS

NATURAL_TITLE_BOOST = 0.2
NATURAL_NOTE = (
    "This reads like a sentence, so stories are ranked by how many of its words they contain "
    "and how well they match; not every story contains every word."
)


@dataclass(frozen=True)
class RankingSettings:
    """Scoring knobs for free-text search (one frozen value: a variant is a `replace()`)."""

    k1: float = 1.2
    b: float = 0.75
    # Natural-language queries have their own BM25 settings; keyword queries keep the above.
    # SciFact train, nDCG@10 (title 0.4, body without the headline): Whoosh idf 0.6922 →
    # probabilistic idf 0.6954, and with k1 0.9 0.6982; counting each distinct word once 0.7006.
    # k1 0.9 / b 0.4 (Anserini) 0.6998, b 0.5 0.6949; title B 0.3–1.0 within ±0.002.
    # With the headline in the body (title 0.2, natural from 5 words): k1 0.6 0.7011, 0.9 0.7030,
    # 1.2 0.7069, 1.6 0.7031; at k1 1.2, b 0.5 0.7026, 0.75 0.7069, 0.9 0.7050.
    natural_k1: float = 1.2
    natural_b: float = 0.75
    # "probabilistic": Lucene/Robertson idf log(1 + (N - df + 0.5) / (df + 0.5)), which lets a
    # word found in most stories count for almost nothing; "whoosh": log(N / (df + 1)) + 1,
    # whose +1 gives every everyday word of a sentence a full point.
    natural_idf: str = "probabilistic"
    # A word the sentence repeats counts once: BM25's query tf rewards wordiness, not intent.
    count_repeated_words: bool = False
    # A sentence shares many everyday words with titles, so the title's weight that suits keyword
    # search (schema.FIELD_BOOSTS, 2.5) lets those words drown the body's evidence. Measured on
    # SciFact train, nDCG@10, body without the headline: title 2.5 → 0.603, 1.0 → 0.671, 0.4 →
    # 0.692, 0 → 0.673. With the headline in the body (k1 1.2), the title is only a bonus:
    # 0 → 0.7013, 0.1 → 0.7044, 0.2 → 0.7069, 0.3 → 0.7033, 0.4 → 0.6989, 1.0 → 0.6699.
    field_boosts: dict[str, float] = field(
        default_factory=lambda: {**FIELD_BOOSTS, "title": NATURAL_TITLE_BOOST}
    )
    # Queries with at least this many searchable words (after stop words) are natural language;
    # up to three words stay keyword searches (every word must match). SciFact train, nDCG@10:
    # from 5 words 0.7069, from 4 words 0.7079 (16 of 809 queries have exactly 4 words).
    natural_min_words: int = 4
    # Pseudo-relevance feedback (RM3-style), for recall below the first pages: the first round's
    # best `feedback_head` stories keep their places and scores, and the other stories that
    # contain a query word are ordered by the query widened with the words most typical of the
    # first `feedback_docs` of them (weighted by idf), given `feedback_weight` of the widened
    # query. Letting the widened query reorder the head too costs nDCG@10 on SciFact train
    # (0.701 → 0.63–0.69 over 3–10 docs, 10–40 words, weight 0.15–0.5); keeping a head of 20
    # leaves it at 0.7006 and lifts Recall@100 0.926 → 0.942 (10 docs, 20 words, weight 0.5).
    # A search that shows no story past the head skips it (same hits, same total).
    # 0 documents switches it off.
    feedback_docs: int = 10
    feedback_terms: int = 20
    feedback_weight: float = 0.5
    feedback_head: int = 20
    feedback_by_idf: bool = True

    def weighting(self, mode: str = "all") -> scoring.WeightingModel:
        """The scoring model for a search mode ("natural" gets its own; see above)."""
        if mode != "natural":
            return scoring.BM25F(B=self.b, K1=self.k1)
        if self.natural_idf == "probabilistic":
            return ProbabilisticIdfBM25F(B=self.natural_b, K1=self.natural_k1)
        return scoring.BM25F(B=self.natural_b, K1=self.natural_k1)


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


DEFAULT_RANKING = RankingSettings()


def searchable_words(text: str) -> list[str]:
    """The query's words as the index holds them (folded, stop words dropped, stemmed)."""
    return [t.text for t in english_analyzer()(text, mode="query")]


def is_natural(words: Sequence[str], settings: RankingSettings) -> bool:
    return len(words) >= settings.natural_min_words


def natural_query(
    words: Sequence[str],
    settings: RankingSettings,
    searcher: Searcher | None = None,
    depth: int | None = None,
) -> wq.Query:
    """Any word may match; BM25 over the weighted fields, then feedback below the head.

    `searcher` is needed only for pseudo-relevance feedback (a first round is run with it), and
    feedback only runs when `depth` (the last rank the caller shows; None: unknown) goes past
    the kept head.
    """
    weights = _query_weights(words, settings)
    base = _weighted_terms(weights, settings)
    wanted = depth is None or depth > settings.feedback_head
    if settings.feedback_docs and searcher is not None and wanted:
        return _with_feedback(base, weights, settings, searcher)
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
) -> wq.Query:
    """RM3: mix the query's words with the words most typical of its best stories."""
    searcher.weighting = settings.weighting("natural")
    top = searcher.search(first_round, limit=max(settings.feedback_docs, settings.feedback_head))
    if not top:
        return first_round
    chosen = _feedback_words(searcher, list(top)[: settings.feedback_docs], settings)
    query_total = sum(weights.values())
    feedback_total = sum(chosen.values()) or 1.0
    # RM3's mix: (1 - w) x the query + w x the feedback words, scaled back to the query's size.
    share = settings.feedback_weight
    feedback = {word: share * query_total * x / feedback_total for word, x in chosen.items()}
    head = {hit.docnum: hit.score for hit in list(top)[: settings.feedback_head]}
    return HeadFirst(first_round, _weighted_terms(feedback, settings), 1 - share, head, searcher)


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

    def _rewrap(self, child: wq.Query) -> HeadFirst:
        return HeadFirst(child, self.feedback, self.child_share, self.head, self.parent)

    def matcher(self, searcher: Searcher, context=None) -> Matcher:  # noqa: ANN001 - Whoosh's
        child = self.child.matcher(searcher, context)
        offset = self._offset_of(searcher)
        if offset is None or (context is not None and not context.weighting):
            return child
        size = searcher.doc_count_all()
        local = {d - offset: s for d, s in self.head.items() if offset <= d < offset + size}
        feedback = self.feedback.matcher(searcher, context)
        mix = _Mix(feedback, self.child_share, min(self.head.values(), default=None))
        return _HeadFirstMatcher(child, local, mix)

    def _offset_of(self, searcher: Searcher) -> int | None:
        for leaf, offset in self.parent.leaf_searchers():
            if leaf is searcher or leaf.reader() is searcher.reader():
                return offset
        return None


@dataclass
class _Mix:
    feedback: Matcher  # moved forward only: the collector asks for scores in document order
    child_share: float
    floor: float | None  # None: no head, the mix ranks every story


class _HeadFirstMatcher(WrappingMatcher):
    def __init__(self, child: Matcher, head: dict[int, float], mix: _Mix) -> None:
        super().__init__(child)
        self._head = head
        self._mix = mix

    def _replacement(self, newchild: Matcher) -> _HeadFirstMatcher:
        return _HeadFirstMatcher(newchild, self._head, self._mix)

    def copy(self) -> _HeadFirstMatcher:
        mix = _Mix(self._mix.feedback.copy(), self._mix.child_share, self._mix.floor)
        return _HeadFirstMatcher(self.child.copy(), self._head, mix)

    def supports_block_quality(self) -> bool:
        return False  # scores are not the child's, so its block bounds do not hold

    def score(self) -> float:
        docnum = self.child.id()
        head_score = self._head.get(docnum)
        if head_score is not None:
            return head_score
        mix = self._mix
        score = mix.child_share * self.child.score()
        feedback = mix.feedback
        if feedback.is_active() and feedback.id() < docnum:
            feedback.skip_to(docnum)
        if feedback.is_active() and feedback.id() == docnum:
            score += feedback.score()
        if mix.floor is None:
            return score
        floor = max(mix.floor, 1e-9)
        return floor * score / (score + floor)
