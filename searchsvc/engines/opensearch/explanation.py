"""A hit's score split into parts, from OpenSearch's own explanation (`explain: true`).

The same shape as the Whoosh engine's explain.score_parts: one part per matched (field, term)
— its BM25 score in that field times the field's weight — and `rest` for what the query's
structure adds beyond single terms, so `sum(parts) + rest == score` always holds. A phrase is
one part whose term is the quoted phrase.
"""

from __future__ import annotations

import re

_WEIGHT = re.compile(r"^weight\((?P<field>[^:]+):(?P<term>.+?) in \d+\)")
TEXT_FIELDS = ("title", "body", "caption", "outlet_text", "category_text")
MODEL = "BM25"


def score_parts(raw_hit: dict, k1: float, score: float | None = None) -> dict:
    """`k1`: BM25's, which Lucene folds into the boost it reports ((k1 + 1) x the weight);
    `score`: the hit's score as shown, when it is not the raw one (the feedback round's)."""
    explanation = raw_hit["_explanation"]
    parts = []
    for node in _weights(explanation):
        match = _WEIGHT.match(node["description"])
        assert match is not None
        field_name = match.group("field")
        if field_name not in TEXT_FIELDS:
            continue
        parts.append(
            {
                "field": field_name,
                "term": match.group("term").strip('"'),
                "occurrences": round(_detail(node, "freq") or 0.0, 4),
                "field_weight": round((_detail(node, "boost") or k1 + 1) / (k1 + 1), 4),
                "score": round(node["value"], 4),
            }
        )
    parts.sort(key=lambda part: -part["score"])
    total = score if score is not None else raw_hit.get("_score") or explanation["value"]
    rest = total - sum(part["score"] for part in parts)
    return {"model": MODEL, "score": round(total, 4), "parts": parts, "rest": round(rest, 4)}


def _weights(node: dict) -> list[dict]:
    if _WEIGHT.match(node.get("description", "")):
        return [node]
    return [found for child in node.get("details", []) for found in _weights(child)]


def _detail(node: dict, name: str) -> float | None:
    """A named value under a term's explanation: "boost", or "freq" (occurrences)."""
    for child in node.get("details", []):
        description = child.get("description", "")
        if description == name or description.startswith(name + ","):
            return float(child["value"])
        found = _detail(child, name)
        if found is not None:
            return found
    return None
