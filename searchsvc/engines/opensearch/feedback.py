"""The natural-language feedback round (pseudo-relevance feedback, RM3-style), as on Whoosh.

The rule is ranking.py's (RankingSettings.feedback_*): a first round of the sentence's words
over the whole generation picks its best `feedback_head` stories, which keep their places and
first-round scores; every other story the words match is scored `(1 - feedback_weight)` x its
first-round score plus its score for the words most typical of the first `feedback_docs`
stories, squashed below the head's lowest score. It runs only when the plan's window goes past
the head (a first page is the first round's, unchanged).

The feedback words are chosen from the stored text of the top stories exactly as the Whoosh
engine chooses them (the same analysis, each story's share of its words weighted by its score,
times the word's idf over the whole generation), so both engines widen a sentence with the same
words. Document frequencies come from TermStatistics (exact, global); only the candidates that
could still be among the best words are looked up.

OpenSearch has no script engine on every cluster (the local launcher loads none), so the mix is
written in plain query DSL: the head as constant scores above any other story's possible score,
in the first round's order, and the rest as `bool(must: words x (1 - w), should: feedback)`;
`displayed_score` turns both back into the scores Whoosh reports (monotonic, so the order holds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from searchsvc.engines.opensearch.compile import natural
from searchsvc.engines.opensearch.idf import TermStatistics, lucene_idf
from searchsvc.model import SearchPlan
from searchsvc.ranking import RankingSettings, searchable_words

# A head whose lowest score is 0 would squash every other story to 0 (ranking.HeadFirst).
MIN_FLOOR = 1e-9
# Document frequencies looked up per request while choosing the feedback words.
DF_BATCH = 64
FEEDBACK_FIELD = "body"  # the Whoosh engine weighs feedback words by their idf in the body


def wanted(plan: SearchPlan, ranking: RankingSettings) -> bool:
    """Natural mode, feedback on, and a relevance-ordered window that goes past the head."""
    depth = plan.offset + plan.limit if plan.sort == "relevance" else 0
    return plan.mode == "natural" and ranking.feedback_docs > 0 and depth > ranking.feedback_head


def query_weights(words: tuple[str, ...], ranking: RankingSettings) -> dict[str, float]:
    """Each distinct word once (weight 1, or its count when repeats count), as on Whoosh."""
    counts = Counter(words)
    return {w: float(n) if ranking.count_repeated_words else 1.0 for w, n in counts.items()}


def first_round_body(query: dict, ranking: RankingSettings) -> dict:
    """The first round: the sentence's words over every story, no filters, no aggregations."""
    return {
        "query": query,
        "size": max(ranking.feedback_docs, ranking.feedback_head),
        "sort": [{"_score": "desc"}, {"ordinal": "asc"}],
        "track_total_hits": False,
        "_source": ["story.title", "story.body"],
    }


@dataclass(frozen=True)
class FirstRound:
    """The first round's best stories: (id, score, title and body text), best first."""

    hits: list[tuple[str, float, str]]

    @classmethod
    def of(cls, response: dict) -> FirstRound:
        found = []
        for raw in response["hits"]["hits"]:
            story = raw["_source"].get("story", {})
            text = f"{story.get('title') or ''} {' '.join(story.get('body') or [])}"
            found.append((raw["_id"], float(raw["_score"]), text))
        return cls(found)


@dataclass(frozen=True)
class HeadFirst:
    """The mixed ranking's query, and how its raw scores read as the Whoosh engine's."""

    query: dict
    head: dict[str, float]  # story id → first-round score
    floor: float

    def displayed_score(self, story_id: str, raw: float) -> float:
        kept = self.head.get(story_id)
        if kept is not None:
            return kept
        return self.floor * raw / (raw + self.floor)


def feedback_words(
    hits: list[tuple[str, float, str]], ranking: RankingSettings, statistics: TermStatistics
) -> dict[str, float]:
    """The words most typical of these stories: each story's share of its words, by its score,
    times the word's idf (ranking._feedback_words); the best `feedback_terms`, best first."""
    expansion: Counter[str] = Counter()
    in_stories: Counter[str] = Counter()
    total_score = sum(score for _, score, _ in hits) or 1.0
    for _, score, text in hits:
        words = searchable_words(text)
        if not words:
            continue
        share = score / total_score / len(words)
        counts = Counter(words)
        in_stories.update(counts.keys())
        for word, n in counts.items():
            expansion[word] += n * share
    if not ranking.feedback_by_idf:
        return dict(expansion.most_common(ranking.feedback_terms))
    weighted = _times_idf(expansion, in_stories, ranking.feedback_terms, statistics)
    order = {word: n for n, word in enumerate(expansion)}  # ties: first seen first
    best = sorted(weighted.items(), key=lambda item: (-item[1], order[item[0]]))
    return dict(best[: ranking.feedback_terms])


def _times_idf(
    expansion: Counter[str], in_stories: Counter[str], wanted_terms: int, statistics: TermStatistics
) -> dict[str, float]:
    """expansion x idf for every word that can still be among the best `wanted_terms`.

    A word is in at least as many stories as the top stories that contain it, so
    idf(in_stories) bounds its idf from above: once the best words so far beat every remaining
    word's bound, the rest need no lookup.
    """
    stories = statistics.story_count()
    bound = {w: x * lucene_idf(stories, in_stories[w]) for w, x in expansion.items()}
    candidates = sorted(expansion, key=lambda w: -bound[w])
    exact: dict[str, float] = {}
    for start in range(0, len(candidates), DF_BATCH):
        if len(exact) >= wanted_terms:
            threshold = sorted(exact.values(), reverse=True)[wanted_terms - 1]
            if bound[candidates[start]] < threshold:
                break
        batch = candidates[start : start + DF_BATCH]
        frequencies = statistics.frequencies(FEEDBACK_FIELD, batch)
        for word in batch:
            df = frequencies.get(word, 0)
            exact[word] = expansion[word] * lucene_idf(stories, df) if df else 0.0
    return exact


def head_first(
    plan: SearchPlan,
    first: FirstRound,
    boosts: dict[str, float],
    ranking: RankingSettings,
    statistics: TermStatistics,
    child: dict,
    ratios_for: Callable[[set[tuple[str, str]]], dict[tuple[str, str], float]],
) -> HeadFirst | None:
    """The query ranking the head first and the rest by the widened query (None: no head)."""
    if not first.hits:
        return None
    weights = query_weights(plan.words, ranking)
    chosen = feedback_words(first.hits[: ranking.feedback_docs], ranking, statistics)
    share = ranking.feedback_weight
    query_total = sum(weights.values())
    feedback_total = sum(chosen.values()) or 1.0
    feedback = {w: share * query_total * x / feedback_total for w, x in chosen.items()}
    ratios = ratios_for({(name, word) for word in feedback for name in boosts})
    head = {story_id: score for story_id, score, _ in first.hits[: ranking.feedback_head]}
    floor = max(min(head.values()), MIN_FLOOR)
    rest = {
        "bool": {
            "must": [{"bool": {"must": [child], "boost": 1 - share}}],
            "should": [natural(tuple(feedback), boosts, {}, ratios, feedback)] if feedback else [],
            "must_not": [{"ids": {"values": list(head)}}],
        }
    }
    above = _above_any_other(first, feedback, boosts, ranking, statistics.story_count(), share)
    ordered_head = [
        {
            "constant_score": {
                "filter": {"ids": {"values": [story_id]}},
                "boost": above * (2 - r / len(head)),
            }
        }
        for r, story_id in enumerate(head)
    ]
    query = {"bool": {"should": [rest, *ordered_head], "minimum_should_match": 1}}
    return HeadFirst(query, head, floor)


def _above_any_other(
    first: FirstRound,
    feedback: dict[str, float],
    boosts: dict[str, float],
    ranking: RankingSettings,
    stories: int,
    share: float,
) -> float:
    """A score no story outside the head can reach in the mix: the first round's best score
    bounds the words' part, and a BM25 clause never exceeds boost x idf x (k1 + 1)."""
    best_idf = lucene_idf(stories, 1)
    saturation = max(ranking.k1, ranking.natural_k1) + 1
    field_weight = sum(b for b in boosts.values() if b > 0)
    feedback_bound = sum(feedback.values()) * field_weight * best_idf * saturation
    words_bound = (1 - share) * max(score for _, score, _ in first.hits)
    return 2 * (words_bound + feedback_bound) + 1
