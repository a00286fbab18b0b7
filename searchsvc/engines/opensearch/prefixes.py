"""Whether a capped prefix search (`word*`) left matches out, for its warning.

A `prefix` query rewritten with `top_terms_N` searches the N alphabetically first index terms
starting with the prefix (Lucene keeps the lowest terms among equal boosts), as Whoosh's
`expand_prefix` does. OpenSearch does not say whether more terms existed, so the capped
expansion's matches are counted against the uncapped one's: when the cap made a difference,
the search warns as on Whoosh. (Expansions dropped without losing a story, because each story
also holds a kept term, do not warn; they changed only scores.)
"""

from __future__ import annotations

from opensearchpy import OpenSearch

from searchsvc.model import SearchPlan


def dropped_expansions(
    client: OpenSearch,
    index: str,
    prefixes: list[tuple[str, str, str]],
    plan: SearchPlan,
    known: dict[tuple[str, str, int], bool],
) -> list[str]:
    """Warnings for the prefixes whose cap dropped matching stories (each prefix once)."""
    cap = plan.max_expansion
    asked = list(dict.fromkeys(prefixes))
    unknown = list(dict.fromkeys((f, s) for f, s, _ in asked if (f, s, cap) not in known))
    if unknown:
        searches: list[dict] = []
        for field, stem in unknown:
            for rewrite in (f"top_terms_{cap}", "constant_score"):
                searches.append({"index": index})
                searches.append(
                    {
                        "size": 0,
                        "track_total_hits": True,
                        "query": {"prefix": {field: {"value": stem, "rewrite": rewrite}}},
                    }
                )
        answers = client.msearch(body=searches)["responses"]
        for n, (field, stem) in enumerate(unknown):
            capped, every = answers[2 * n], answers[2 * n + 1]
            known[(field, stem, cap)] = _total(capped) < _total(every)
    warned = dict.fromkeys(typed for field, stem, typed in asked if known[(field, stem, cap)])
    return [
        f"'{typed}*' matches too many words; only the first {cap} were searched" for typed in warned
    ]


def _total(answer: dict) -> int:
    return int(answer.get("hits", {}).get("total", {}).get("value", 0))
