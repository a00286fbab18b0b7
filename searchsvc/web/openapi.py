"""The OpenAPI 3.1 description of the JSON API (its schemas are JSON Schema 2020-12)."""

from __future__ import annotations

from typing import Any

from searchsvc import __version__
from searchsvc.export import COLUMNS as EXPORT_COLUMNS
from searchsvc.model import FACETS, SORTS
from searchsvc.timeline import INTERVALS

JSON = "application/json"
PROBLEM = "application/problem+json"

NULLABLE_STRING = {"type": ["string", "null"]}
SOURCE_URL = {
    "type": ["string", "null"],
    "description": "the story's address at its outlet, as its file states it (canonical link, "
    "og:url, or an address line); `url` is the story's page on this service",
}
SOURCE_FILES = {
    "type": "array",
    "items": {"type": "string"},
    "description": "for operators: the files the story was read from, its own first "
    "(listing entries as file#n); never shown on a page",
}
COPIES = {
    "type": "array",
    "description": "other copies of the story merged into it, oldest first",
    "items": {
        "type": "object",
        "required": ["title", "outlet", "published", "published_approximate", "source_url"],
        "additionalProperties": False,
        "properties": {
            "title": NULLABLE_STRING,
            "outlet": NULLABLE_STRING,
            "published": {"type": ["string", "null"], "description": "ISO 8601"},
            "published_approximate": {"type": "boolean"},
            "source_url": SOURCE_URL,
        },
    },
}


def _story_reference(url_required: bool) -> dict:
    """A short reference to another story (related or other coverage of the same event)."""
    required = ["id", "title", "outlet", "published", "published_approximate"]
    return {
        "type": "object",
        "required": required + (["url"] if url_required else []),
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "title": NULLABLE_STRING,
            "outlet": NULLABLE_STRING,
            "published": NULLABLE_STRING,
            "published_approximate": {"type": "boolean"},
            "url": {"type": "string"},
        },
    }


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "An RFC 9457 problem detail.",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "position": {
                "type": "integer",
                "minimum": 0,
                "description": "query_syntax: 0-based character offset of the problem",
            },
            "query": {"type": "string"},
            "parameter": {
                "type": "string",
                "description": "invalid_parameter: the request parameter at fault",
            },
            "generation": {
                "type": "string",
                "description": "generation_gone: the pinned generation that is no longer kept",
            },
            "current_generation": {
                "type": ["string", "null"],
                "description": "generation_gone: the live generation (leave out gen= for it)",
            },
        },
    },
    "Hit": {
        "type": "object",
        "required": [
            "id",
            "title",
            "outlet",
            "published",
            "published_approximate",
            "category",
            "score",
            "snippet",
            "source_files",
            "source_url",
            "copies",
            "matched",
            "url",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "title": NULLABLE_STRING,
            "outlet": NULLABLE_STRING,
            "published": {
                "type": ["string", "null"],
                "description": "ISO 8601 date or date-time",
            },
            "published_approximate": {"type": "boolean"},
            "category": NULLABLE_STRING,
            "score": {"type": ["number", "null"]},
            "snippet": {
                "type": "string",
                "description": "HTML-escaped text; matched words wrapped in <mark>",
            },
            "source_files": SOURCE_FILES,
            "source_url": SOURCE_URL,
            "copies": COPIES,
            "matched": {
                "type": "object",
                "description": "query words found in each field, as printed there",
                "required": ["title", "body"],
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "explain": {"$ref": "#/components/schemas/ScoreParts"},
            "cluster": {"$ref": "#/components/schemas/HitCluster"},
            "url": {"type": "string", "description": "the article's web page"},
        },
    },
    "ScoreParts": {
        "type": "object",
        "description": "explain=1 only: the score as per-term parts; sum(parts) + rest = score",
        "required": ["model", "score", "parts", "rest"],
        "additionalProperties": False,
        "properties": {
            "model": {"type": "string"},
            "score": {"type": "number"},
            "rest": {"type": "number", "description": "phrases, filters, feedback words"},
            "parts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "term", "occurrences", "field_weight", "score"],
                    "additionalProperties": False,
                    "properties": {
                        "field": {"type": "string"},
                        "term": {"type": "string", "description": "the indexed (stemmed) term"},
                        "occurrences": {"type": "number"},
                        "field_weight": {"type": "number"},
                        "score": {"type": "number"},
                    },
                },
            },
        },
    },
    "HitCluster": {
        "type": "object",
        "description": (
            "collapse=1 only, for a story with other coverage: its cluster (wire copies and "
            "rewrites of one event) and the cluster's other stories that also match"
        ),
        "required": ["id", "size", "more", "others"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "description": "the cluster's earliest story's id"},
            "size": {"type": "integer", "minimum": 2, "description": "stories in the cluster"},
            "more": {"type": "integer", "minimum": 0, "description": "other matching stories"},
            "others": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ClusterStory"},
            },
        },
    },
    "ClusterStory": _story_reference(url_required=False),
    "FacetValue": {
        "type": "object",
        "required": ["value", "count"],
        "additionalProperties": False,
        "properties": {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 1},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": [
            "query",
            "total",
            "page",
            "per_page",
            "pages",
            "took_ms",
            "hits",
            "facets",
            "suggestion",
            "mode",
            "timed_out",
            "generation",
            "clusters",
        ],
        "additionalProperties": False,
        "properties": {
            "query": {
                "type": "object",
                "required": ["text", "parsed", "warnings"],
                "additionalProperties": False,
                "properties": {
                    "text": {"type": "string"},
                    "parsed": {"type": "string"},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                },
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "pages": {"type": "integer", "minimum": 1},
            "took_ms": {"type": "number", "minimum": 0},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "required": list(FACETS),
                "additionalProperties": False,
                "properties": {
                    name: {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}
                    for name in FACETS
                },
            },
            "suggestion": NULLABLE_STRING,
            "mode": {
                "enum": ["all", "any", "browse", "natural"],
                "description": "natural: a sentence-like query, ranked by any of its words",
            },
            "timed_out": {"type": "boolean"},
            "generation": {"type": "string"},
            "clusters": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": (
                    "collapse=1: story clusters among the `total` matching stories (a story in "
                    "no cluster counts as one); pages then count clusters. Else null."
                ),
            },
        },
    },
    "Timeline": {
        "type": "object",
        "description": "Matching stories per bucket; estimated and missing dates are counted apart",
        "required": [
            "query",
            "generation",
            "interval",
            "from",
            "to",
            "total",
            "dated",
            "max_count",
            "buckets",
            "approximate",
            "undated",
            "notes",
            "description",
        ],
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string"},
            "generation": {"type": "string"},
            "interval": {"enum": [*INTERVALS]},
            "from": {"type": ["string", "null"], "format": "date"},
            "to": {"type": ["string", "null"], "format": "date"},
            "total": {"type": "integer", "minimum": 0},
            "dated": {"type": "integer", "minimum": 0, "description": "matches on the bars"},
            "max_count": {"type": "integer", "minimum": 0},
            "buckets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["start", "end", "label", "count", "collected", "state", "url"],
                    "additionalProperties": False,
                    "properties": {
                        "start": {"type": "string", "format": "date"},
                        "end": {"type": "string", "format": "date"},
                        "label": {"type": "string"},
                        "count": {"type": "integer", "minimum": 0},
                        "collected": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "stories with an exact date in the whole index",
                        },
                        "state": {"enum": ["matched", "unmatched", "uncollected"]},
                        "url": {"type": "string", "description": "results page for the bucket"},
                    },
                },
            },
            "approximate": {
                "type": "object",
                "required": ["count", "days"],
                "additionalProperties": False,
                "properties": {
                    "count": {"type": "integer", "minimum": 0},
                    "days": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["day", "count"],
                            "additionalProperties": False,
                            "properties": {
                                "day": {"type": "string", "format": "date"},
                                "count": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                },
            },
            "undated": {"type": "integer", "minimum": 0},
            "notes": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"},
        },
    },
    "ExportRow": {
        "type": "object",
        "description": "One line of /api/search.jsonl (the CSV has the same columns)",
        "required": list(EXPORT_COLUMNS),
        "additionalProperties": False,
        "properties": {
            "rank": {"type": "integer", "minimum": 1},
            "id": {"type": "string"},
            "title": NULLABLE_STRING,
            "outlet": NULLABLE_STRING,
            "published": NULLABLE_STRING,
            "published_approximate": {"type": "boolean"},
            "category": NULLABLE_STRING,
            "score": {"type": ["number", "null"]},
            "url": {
                "type": "string",
                "description": "the article page: under SEARCHSVC_PUBLIC_URL when it is set, "
                "else relative (never built from the request's Host)",
            },
            "source_url": SOURCE_URL,
            "source_files": SOURCE_FILES,
            "matched_title": {"type": "array", "items": {"type": "string"}},
            "matched_body": {"type": "array", "items": {"type": "string"}},
            "snippet": {"type": "string", "description": "plain text, no markup"},
        },
    },
    "ExportEnd": {
        "type": "object",
        "description": "The last line of /api/search.jsonl: whether the export is complete",
        "required": ["_export"],
        "additionalProperties": False,
        "properties": {
            "_export": {
                "type": "object",
                "required": ["complete", "rows", "total", "reason"],
                "additionalProperties": False,
                "properties": {
                    "complete": {"type": "boolean"},
                    "rows": {"type": "integer", "minimum": 0},
                    "total": {"type": "integer", "minimum": 0},
                    "reason": {"enum": ["row limit", "time limit", None]},
                },
            }
        },
    },
    "RelatedStory": _story_reference(url_required=True),
    "Article": {
        "type": "object",
        "required": [
            "id",
            "title",
            "outlet",
            "published",
            "published_approximate",
            "category",
            "body",
            "source_url",
            "copies",
            "source_files",
            "related",
            "coverage",
            "url",
        ],
        "properties": {
            "id": {"type": "string"},
            "title": NULLABLE_STRING,
            "outlet": NULLABLE_STRING,
            "published": NULLABLE_STRING,
            "published_approximate": {"type": "boolean"},
            "category": NULLABLE_STRING,
            "byline": NULLABLE_STRING,
            "dateline": NULLABLE_STRING,
            "caption": NULLABLE_STRING,
            "body": {
                "type": "array",
                "items": {"type": "string"},
                "description": "paragraphs in order",
            },
            "source_url": SOURCE_URL,
            "copies": COPIES,
            "source_files": SOURCE_FILES,
            "layout": {"type": "string"},
            "url": {"type": "string"},
            "related": {
                "type": "array",
                "maxItems": 5,
                "items": {"$ref": "#/components/schemas/RelatedStory"},
            },
            "coverage": {
                "type": "array",
                "description": "the other stories of this story's cluster, earliest first",
                "items": {"$ref": "#/components/schemas/ClusterStory"},
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "generation", "doc_count", "built_at", "seeds"],
        "additionalProperties": False,
        "properties": {
            "status": {
                "enum": ["ok", "degraded"],
                "description": "degraded: searches are answered, but the engine reports problems "
                "(OpenSearch: a yellow cluster, some shard copies unassigned)",
            },
            "problems": {"type": "array", "items": {"type": "string"}},
            "cluster": {"type": "string", "description": "OpenSearch: the cluster's name"},
            "nodes": {"type": "integer", "description": "OpenSearch: nodes in the cluster"},
            "generation": {"type": "string"},
            "doc_count": {"type": ["integer", "null"]},
            "built_at": NULLABLE_STRING,
            "seeds": {
                "type": "object",
                "required": [
                    "path",
                    "stale",
                    "changed",
                    "changed_count",
                    "removed",
                    "removed_count",
                ],
                "additionalProperties": False,
                "description": "Checked at most every few seconds while the seed folder's own "
                "mtime is unchanged (a file added or removed is seen at once).",
                "properties": {
                    "path": {
                        "type": "string",
                        "description": "the seeds folder's name (never its full path)",
                    },
                    "stale": {"type": "boolean"},
                    "changed": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": 20,
                        "description": "seed files new or changed since the index was built "
                        "(the first 20; changed_count has them all)",
                    },
                    "changed_count": {"type": "integer", "minimum": 0},
                    "removed": {
                        "type": "array",
                        "items": {"type": "string"},
                        "maxItems": 20,
                        "description": "seed files gone since the index was built (the first "
                        "20; removed_count has them all)",
                    },
                    "removed_count": {"type": "integer", "minimum": 0},
                },
            },
        },
    },
}


def _json(schema: str, description: str, headers: dict | None = None) -> dict:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# Sent by the fuzzers' explicit phase as well as shown to readers: deep nesting included.
QUERY_EXAMPLES = {
    "words": {"value": "ishiba summit"},
    "operators": {"value": '(korea OR japan) -trade title:"summit"'},
    "nested_deeply": {"value": "(" * 240 + "x" + ")" * 240, "summary": "400 query_syntax"},
    "unbalanced_deeply": {"value": "(" * 500, "summary": "400 query_syntax"},
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


INDEX_MISSING = _problem("No index has been built yet (the detail says how to build one)")
OTHER_ERROR = _problem("Any other failure, e.g. 405 for methods other than GET and HEAD")
GENERATION_GONE = _problem(
    "generation_gone: the generation pinned with gen= is no longer kept (or never was); the "
    "problem names the current one"
)

SEARCH_PARAMETERS = [
    {
        **_query(
            "q",
            {"type": "string"},
            "The query; empty browses every story. At most 500 characters (longer: 400 "
            "query_too_long) and 32 levels of nested parentheses (deeper: 400 query_syntax, "
            "'nested too deeply', at the first parenthesis past the limit). Prefixes standing "
            "for more than 2,048 index words together: 400 query_too_costly.",
        ),
        "examples": QUERY_EXAMPLES,
    },
    _query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
        "1-based result page (pages past the end are empty).",
    ),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        "Hits per page.",
    ),
    _query("sort", {"enum": list(SORTS), "default": "relevance"}, "Result order."),
    {
        **_query(
            "outlet",
            {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 20},
            "Only stories from these outlets (repeat the parameter: any of them). Names match "
            "whatever the case and accents; an unknown one finds nothing and a warning names "
            "the closest names.",
        ),
        "style": "form",
        "explode": True,
    },
    {
        **_query(
            "category",
            {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 20},
            "Only stories in these categories (repeat the parameter: any of them); matched "
            "as outlets are.",
        ),
        "style": "form",
        "explode": True,
    },
    _query("from", {"type": "string", "format": "date"}, "Published on or after (YYYY-MM-DD)."),
    _query("to", {"type": "string", "format": "date"}, "Published on or before (YYYY-MM-DD)."),
    _query(
        "explain",
        # the server also takes true/false and yes/no, as a hand-typed URL might say
        {"enum": ["0", "1", "true", "false", "yes", "no"], "default": "0"},
        "1: add each hit's score parts.",
    ),
    _query(
        "collapse",
        {"enum": ["0", "1", "true", "false", "yes", "no"], "default": "0"},
        "1: one hit per story cluster (wire copies and rewrites of one event across outlets), "
        "the cluster's other matches under `cluster`; `clusters` counts them over all matches.",
    ),
    _query(
        "gen",
        {"type": "string", "pattern": "^gen-[0-9]{6}$"},
        "Pinned permalink: search this index generation (the `generation` of an earlier "
        "result) instead of the live one, for the same results as then. The newest "
        "settings.generations_kept (3) generations are kept; an older one is a 410.",
    ),
]

EXPORT_PARAMETERS = [
    p for p in SEARCH_PARAMETERS if p["name"] not in ("page", "per_page", "explain")
]
EXPORT_HEADERS = {
    name: {"description": text, "schema": {"type": "string"}}
    for name, text in (
        ("X-Total-Count", "all matches of the search"),
        ("X-Export-Limit", "the most rows an export holds (settings.export_max_hits)"),
        ("X-Export-Rows", "the rows this export holds"),
        (
            "X-Export-Truncated",
            "false for a complete export; true when it was cut by the row limit or by the "
            "export's time limit (settings.export_time_limit_s)",
        ),
        ("X-Export-Truncated-Reason", "only on a cut export: `row limit` or `time limit`"),
    )
}

FEED_PARAMETERS = [
    p for p in SEARCH_PARAMETERS if p["name"] in ("q", "outlet", "category", "from", "to")
]
# Feeds are read by feed readers, not API clients: their errors are the HTML error page.
HTML_ERROR = {"description": "", "content": {"text/html": {"schema": {"type": "string"}}}}
FEED_VALIDATORS = {
    "ETag": {
        "description": "the live generation and the search: changes only when a rebuild goes live",
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "when the live generation was built",
        "schema": {"type": "string"},
    },
}

PATHS: dict[str, Any] = {
    "/api/search": {
        "get": {
            "operationId": "search",
            "summary": "Ranked full-text search with snippets, facets and paging",
            "parameters": SEARCH_PARAMETERS,
            "responses": {
                "200": _json(
                    "SearchResult",
                    "The result page (a page past the end has no hits and the true total)",
                    {
                        "Link": {
                            "description": 'rel="prev" and rel="next" result pages',
                            "schema": {"type": "string"},
                        }
                    },
                ),
                "400": _problem(
                    "query_syntax (with position) or invalid_parameter (with parameter)"
                ),
                "410": GENERATION_GONE,
                "503": INDEX_MISSING,
                "default": OTHER_ERROR,
            },
        }
    },
    "/api/timeline": {
        "get": {
            "operationId": "timeline",
            "summary": "Matching stories per day, week or month (the results page's timeline)",
            "parameters": [
                p for p in SEARCH_PARAMETERS if p["name"] not in ("page", "per_page", "sort")
            ]
            + [
                _query(
                    "interval",
                    {"enum": [*INTERVALS], "default": "auto"},
                    "Bucket size; auto: the finest of day, week, month, quarter, year that "
                    "draws at most 100 bars.",
                )
            ],
            "responses": {
                "200": _json("Timeline", "The buckets and the stories not placed on them"),
                "400": _problem("query_syntax or invalid_parameter"),
                "410": GENERATION_GONE,
                "503": INDEX_MISSING,
                "default": OTHER_ERROR,
            },
        }
    },
    "/api/search.csv": {
        "get": {
            "operationId": "exportCsv",
            "summary": "Every hit of a search as CSV (at most export_max_hits rows, within "
            "export_time_limit_s; the X-Export-* headers say whether it is complete)",
            "parameters": EXPORT_PARAMETERS,
            "responses": {
                "200": {
                    "description": "A header row, then one row per hit in result order",
                    "headers": EXPORT_HEADERS,
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "400": _problem("query_syntax or invalid_parameter"),
                "410": GENERATION_GONE,
                "503": INDEX_MISSING,
                "default": OTHER_ERROR,
            },
        }
    },
    "/api/search.jsonl": {
        "get": {
            "operationId": "exportJsonLines",
            "summary": "Every hit of a search as JSON Lines, then a line saying whether that is "
            "all (at most export_max_hits rows, within export_time_limit_s)",
            "parameters": EXPORT_PARAMETERS,
            "responses": {
                "200": {
                    "description": "One ExportRow object per line, in result order, then "
                    "always one ExportEnd line (a body without it was cut on the way)",
                    "headers": EXPORT_HEADERS,
                    "content": {
                        "application/x-ndjson": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/ExportRow"},
                                    {"$ref": "#/components/schemas/ExportEnd"},
                                ]
                            }
                        }
                    },
                },
                "400": _problem("query_syntax or invalid_parameter"),
                "410": GENERATION_GONE,
                "503": INDEX_MISSING,
                "default": OTHER_ERROR,
            },
        }
    },
    "/feeds/search.atom": {
        "get": {
            "operationId": "searchFeed",
            "summary": "The newest stories of a search as an Atom 1.0 feed",
            "description": (
                "The search's newest 20 matches (query and filters as /api/search; paging and "
                "order are ignored), the snippet as each entry's summary (type html), entry ids "
                "`tag:searchsvc,2025:story/<id>`, `updated` from the story's date (undated "
                "stories: the build time; the feed's own `updated`: the build time). Send the "
                "ETag back as If-None-Match, or Last-Modified as If-Modified-Since: the answer "
                "is 304 until a rebuild goes live."
            ),
            "parameters": FEED_PARAMETERS,
            "responses": {
                "200": {
                    "description": "The feed",
                    "headers": FEED_VALIDATORS,
                    "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                },
                "304": {
                    "description": "Nothing new was indexed since the reader's copy",
                    "headers": {"ETag": FEED_VALIDATORS["ETag"]},
                },
                "400": {**HTML_ERROR, "description": "The query or a filter is not valid"},
                "503": {**HTML_ERROR, "description": "No index has been built yet"},
                "default": {**HTML_ERROR, "description": "Any other failure, e.g. 405"},
            },
        }
    },
    "/api/articles/{id}": {
        "get": {
            "operationId": "getArticle",
            "summary": "One full story with related stories",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json("Article", "The story"),
                "404": _problem("No story has this id"),
                "503": INDEX_MISSING,
                "default": OTHER_ERROR,
            },
        }
    },
    "/api/health": {
        "get": {
            "operationId": "health",
            "summary": "The live index generation and whether the seeds folder is newer",
            "responses": {
                "200": _json("Health", "The index is serving"),
                "503": INDEX_MISSING,
                "default": OTHER_ERROR,
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {JSON: {"schema": {"type": "object"}}},
                }
            },
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "searchsvc",
            "version": __version__,
            "description": "Full-text search over news stories. Errors are RFC 9457 problems.",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
