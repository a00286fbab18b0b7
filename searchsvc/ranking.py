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

from collections.abc import Sequence
from dataclasses import dataclass, field

from searchsvc.analysis import fold, query_words, stem

# Query-language field names → index fields. Searching `outlet:asahi` needs a tokenised copy
# of the outlet; facets and filters need the exact label, so each label is indexed twice.
QUERY_FIELDS = {"title": "title", "outlet": "outlet_text", "category": "category_text"}
# Field weights for free text: a match in the title counts more than one in the body, and a
# match only in a photo caption less.
FIELD_BOOSTS = {"title": 2.5, "body": 1.0, "caption": 0.3}
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
    # search (FIELD_BOOSTS, 2.5) lets those words drown the body's evidence. Measured on
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


DEFAULT_RANKING = RankingSettings()

# Function words a sentence is full of ("what happened after the summit"): the index keeps them
# (they are not analysis.STOP_WORDS, so phrases and keyword searches still find them), but in a
# sentence they say nothing about its topic and, as matches, lift every title holding them.
# Stemmed as the query's words are.
SENTENCE_STOP_WORDS = frozenset(
    stem(fold(word))
    for word in [
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "among",
        "any",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "further",
        "had",
        "have",
        "having",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "into",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "nor",
        "now",
        "off",
        "once",
        "only",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "then",
        "there",
        "these",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "those",
        "through",
        "too",
        "under",
        "until",
        "up",
        "very",
        "we",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "would",
        "you",
        "your",
        "yours",
    ]
)


def searchable_words(text: str) -> list[str]:
    """The query's words as the index holds them (folded, stop words dropped, stemmed)."""
    return list(query_words(text))


def is_natural(words: Sequence[str], settings: RankingSettings) -> bool:
    return len(words) >= settings.natural_min_words
