"""One search plan → one OpenSearch request → Matches.

The request asks for everything in one round trip: the page of hits in the plan's order, the
exact total (`track_total_hits`), the facets over every match (terms aggregations), snippets and
matched words (the highlighter), cluster collapsing with the other matches of each cluster
(inner hits) and their count (cardinality), explanations, and the deadline as `timeout`.
Scores use global term statistics (`dfs_query_then_fetch`), so they do not depend on how the
stories fall on shards.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

from searchsvc.engines.opensearch.compile import Compiler, filter_clauses, natural
from searchsvc.engines.opensearch.documents import story_from_source
from searchsvc.engines.opensearch.explanation import score_parts
from searchsvc.engines.opensearch.feedback import HeadFirst
from searchsvc.engines.opensearch.idf import TermStatistics, scored_terms
from searchsvc.engines.opensearch.mapping import FACET_FIELDS, QUERY_FIELDS, TEXT_FIELDS
from searchsvc.expansion import Expansion
from searchsvc.hits import hit_of as story_hit
from searchsvc.model import Hit, Matches, SearchPlan
from searchsvc.ranking import DEFAULT_RANKING, FIELD_BOOSTS, RankingSettings

SNIPPET_CHARS = 240  # snippets.SNIPPET_CHARS on Whoosh
MARK, UNMARK = "<mark>", "</mark>"
# Facets count every distinct value: the terms aggregations ask for this many buckets.
FACET_BUCKETS = 100_000
# Cluster counts are exact up to this many clusters among the matches (HyperLogLog++ above).
CLUSTER_COUNT_PRECISION = 40_000
CLUSTER_OTHERS_SHOWN = 100  # inner hits per collapsed hit (OpenSearch's default window)
SHOWN_FIELDS = ("title", "body", "caption")
ALWAYS_SHOWN = ("title", "body")
MAX_WORDS_PER_FIELD = 8
MIN_TIMEOUT_MS = 1
_MARKED = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Compiled:
    scored: dict  # what ranks the matches (the filters apart)
    highlight_query: dict | None
    warnings: list[str]
    prefixes: list[tuple[str, str, str]]
    filters: list[dict] = field(default_factory=list)
    boosts: dict[str, float] = field(default_factory=dict)  # free-text field → weight
    head_first: HeadFirst | None = None  # natural mode's feedback round (feedback.py)

    @property
    def query(self) -> dict:
        if not self.filters:
            return self.scored
        return {"bool": {"must": [self.scored], "filter": self.filters}}

    def displayed_score(self, story_id: str, raw: float) -> float:
        if self.head_first is None:
            return raw
        return self.head_first.displayed_score(story_id, raw)


def ranking_of(plan: SearchPlan) -> RankingSettings:
    return plan.ranking or DEFAULT_RANKING  # type: ignore[return-value]


def compile_plan(
    plan: SearchPlan,
    statistics: TermStatistics | None = None,
    expansions: dict[tuple[str, str], Expansion] | None = None,
) -> Compiled:
    """The plan's query (filters included) and the same query aimed at the snippet field.

    With `statistics`, single-term clauses are weighted as the Whoosh engine weighs them (idf.py).
    `expansions`: the words each (field, prefix) of the tree was expanded to (prefixes.py).
    """
    expansions = expansions or {}
    ranking = ranking_of(plan)
    boosts = dict(ranking.field_boosts) if plan.mode == "natural" else dict(FIELD_BOOSTS)
    ratios: dict[tuple[str, str], float] | None = None
    if statistics is not None and plan.mode != "browse":
        if plan.mode == "natural":
            pairs = {(name, word) for word in plan.words for name in boosts}
        else:
            pairs = scored_terms(plan.tree, boosts, QUERY_FIELDS)
            pairs |= expanded_terms(expansions, statistics)
        ratios = statistics.ratios(pairs, natural=plan.mode == "natural")
    compiler = Compiler(boosts, plan.max_expansion, idf_ratios=ratios, expansions=expansions)
    shown_compiler = Compiler(
        boosts, plan.max_expansion, renamed={"body": "text"}, expansions=expansions
    )
    if plan.mode == "browse" or plan.tree is None and not plan.words:
        main, shown = {"match_all": {}}, None
    elif plan.mode == "natural":
        main = natural(plan.words, boosts, {}, ratios or {})
        shown = natural(plan.words, boosts, {"body": "text"}, {})
    else:
        any_word = plan.mode == "any"
        main = compiler.compile(plan.tree, any_word=any_word) or {"match_none": {}}
        shown = shown_compiler.compile(plan.tree, any_word=any_word)
    return Compiled(
        main,
        shown,
        compiler.warnings,
        compiler.prefixes,
        filters=filter_clauses(plan.filters),
        boosts=boosts,
    )


def expanded_terms(
    expansions: dict[tuple[str, str], Expansion], statistics: TermStatistics
) -> set[tuple[str, str]]:
    """(field, word) of every free-text prefix expansion; their story counts are known already."""
    pairs = set()
    for (field_name, _), expansion in expansions.items():
        if field_name not in TEXT_FIELDS:
            continue
        statistics.remember(field_name, dict(expansion.kept))
        pairs.update((field_name, word) for word, _ in expansion.kept)
    return pairs


def sort_order(plan: SearchPlan) -> list:
    """The plan's order; ties as on Whoosh (document order: the order the stories were written)."""
    if plan.sort == "newest":
        return [{"newest": "desc"}, {"ordinal": "desc"}]
    if plan.sort == "oldest":
        return [{"oldest": "asc"}, {"ordinal": "asc"}]
    return [{"_score": "desc"}, {"ordinal": "asc"}]


def request_body(plan: SearchPlan, compiled: Compiled) -> dict:
    body: dict = {
        "query": compiled.query,
        "from": plan.offset,
        "size": plan.limit,
        "sort": sort_order(plan),
        "track_total_hits": True,
        "track_scores": plan.sort == "relevance",
        "_source": ["story", "cluster", "clustered", "cluster_stories"],
        "aggs": {name: {"terms": {"field": name, "size": FACET_BUCKETS}} for name in FACET_FIELDS},
        "explain": plan.explain,
    }
    if compiled.highlight_query is not None:
        body["highlight"] = highlight(compiled.highlight_query)
    if plan.deadline is not None:
        left_ms = int((plan.deadline - time.monotonic()) * 1000)
        body["timeout"] = f"{max(left_ms, MIN_TIMEOUT_MS)}ms"
    if plan.collapse:
        body["collapse"] = {
            "field": "cluster",
            "inner_hits": {
                "name": "cluster",
                "size": CLUSTER_OTHERS_SHOWN,
                "_source": False,
                "docvalue_fields": ["id"],
                "sort": [{"ordinal": "asc"}],
            },
        }
        body["aggs"]["clusters"] = {
            "cardinality": {"field": "cluster", "precision_threshold": CLUSTER_COUNT_PRECISION}
        }
    return body


def highlight(shown_query: dict) -> dict:
    """Whole fields for the matched words; the best passage of the text for the snippet."""
    whole = {"number_of_fragments": 0}
    return {
        "pre_tags": [MARK],
        "post_tags": [UNMARK],
        "encoder": "html",
        "type": "unified",
        "fields": {
            "title": whole,
            "body": whole,
            "caption": whole,
            "text": {
                "number_of_fragments": 1,
                "fragment_size": SNIPPET_CHARS,
                "highlight_query": shown_query,
            },
        },
    }


def matches_of(plan: SearchPlan, compiled: Compiled, response: dict) -> Matches:
    hits = [hit_of(plan, raw, compiled) for raw in response["hits"]["hits"]]
    aggregations = response.get("aggregations", {})
    facets = {name: facet(name, aggregations.get(name)) for name in FACET_FIELDS}
    clusters = None
    if plan.collapse:
        clusters = int(aggregations.get("clusters", {}).get("value", 0))
    return Matches(
        total=response["hits"]["total"]["value"],
        hits=hits,
        facets=facets,
        timed_out=bool(response.get("timed_out")),
        warnings=list(compiled.warnings),
        clusters=clusters,
    )


def facet(name: str, aggregation: dict | None) -> list[dict]:
    values = [
        {"value": bucket["key"], "count": bucket["doc_count"]}
        for bucket in (aggregation or {}).get("buckets", [])
        if bucket["key"]
    ]
    if name == "month":
        values.sort(key=lambda v: v["value"], reverse=True)
    else:
        values.sort(key=lambda v: (-v["count"], v["value"]))
    return values


def hit_of(plan: SearchPlan, raw: dict, compiled: Compiled | None = None) -> Hit:
    source = raw["_source"]
    story = story_from_source(source)
    highlights = raw.get("highlight", {})
    score = raw.get("_score")
    if score is not None and compiled is not None:
        score = compiled.displayed_score(story.id, score)
    explained = plan.explain and "_explanation" in raw
    return story_hit(
        story,
        score=score if plan.sort == "relevance" else None,
        snippet=snippet(highlights, story.text, story.caption),
        matched=matched_words(highlights, story.title),
        explain=score_parts(raw, ranking_of(plan).k1, score) if explained else None,
        cluster=cluster_of_hit(source, raw) if plan.collapse else None,
    )


def snippet(highlights: dict, text: str, caption: str | None) -> str:
    """The best passage of the text with matches marked; else the caption's; else the opening."""
    for fragment in highlights.get("text", []):
        if MARK in fragment:
            return with_ellipses(fragment, text)
    for fragment in highlights.get("caption", []):
        if MARK in fragment and caption:
            return fragment
    return html.escape(leading(text), quote=False)


def with_ellipses(fragment: str, text: str) -> str:
    """'… ' before a passage cut out of the middle, ' …' after one that stops early."""
    plain = html.unescape(fragment.replace(MARK, "").replace(UNMARK, "")).strip()
    start = text.find(plain)
    lead = "… " if start > 0 else ""
    tail = " …" if start < 0 or start + len(plain) < len(text.rstrip()) else ""
    return f"{lead}{fragment.strip()}{tail}"


def leading(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + " …"


def matched_words(highlights: dict, title: str | None) -> dict[str, list[str]]:
    """The query's words as printed in each field (first seen first), from the marked fields.

    `body` is searched with the headline in front (documents.indexed_body); words found only in
    the headline count for the title, as on Whoosh, which reads them from the story's text.
    """
    matched: dict[str, list[str]] = {name: [] for name in ALWAYS_SHOWN}
    for name in SHOWN_FIELDS:
        fragments = highlights.get(name, [])
        if name == "body" and fragments and title:
            fragments = [_after_headline(fragment, title) for fragment in fragments]
        words = _marked_words(fragments)
        if words or name in ALWAYS_SHOWN:
            matched[name] = words
    return matched


def _after_headline(fragment: str, title: str) -> str:
    head, separator, rest = fragment.partition("\n\n")
    if separator and html.unescape(head.replace(MARK, "").replace(UNMARK, "")) == title:
        return rest
    return fragment


def _marked_words(fragments: list[str]) -> list[str]:
    found: dict[str, None] = {}
    for fragment in fragments:
        for marked in _MARKED.findall(fragment):
            word = html.unescape(marked)
            word = _EDGE_PUNCTUATION.sub("", _POSSESSIVE.sub("", word)) or word
            found.setdefault(word, None)
            if len(found) >= MAX_WORDS_PER_FIELD:
                return list(found)
    return list(found)


def cluster_of_hit(source: dict, raw: dict) -> dict | None:
    """What a collapsed hit says about its cluster: the other matching stories ("+N more")."""
    if not source.get("clustered"):
        return None
    members = source.get("cluster_stories") or []
    inner = raw.get("inner_hits", {}).get("cluster", {}).get("hits", {}).get("hits", [])
    matched = {h["fields"]["id"][0] for h in inner if h.get("fields", {}).get("id")}
    own = source["story"]["id"]
    others = [story for story in members if story["id"] != own and story["id"] in matched]
    return {"id": source["cluster"], "size": len(members), "more": len(others), "others": others}
