"""The bridge from a web request to the search core, shared by the JSON API and the HTML pages.

Both blueprints call these functions and render the very same values, so the page and the API
can never disagree.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote_to_bytes

from flask import current_app, url_for
from flask import request as http_request
from werkzeug.datastructures import MultiDict

from searchsvc import synonyms
from searchsvc.analysis import query_words
from searchsvc.config import Settings, seeds_to_compare
from searchsvc.engines.base import Engine, Generation
from searchsvc.errors import (
    ArticleNotFound,
    EngineUnavailable,
    GenerationGone,
    IndexDamaged,
    InvalidParameter,
)
from searchsvc.export import Export, collect_export, render_lines
from searchsvc.model import SearchRequest, SearchResult
from searchsvc.permalinks import PARAMETER as PERMALINK_PARAMETER
from searchsvc.permalinks import parse_generation
from searchsvc.provenance import story_for_readers
from searchsvc.query import literal_words
from searchsvc.search import search
from searchsvc.seeds import freshness
from searchsvc.stories import get_story
from searchsvc.timeline import INTERVALS, build_timeline, describe
from searchsvc.web.addresses import public_url

RELATED_COUNT = 5
MAX_LABEL_CHARS = 200
MAX_LABELS = 20  # values of one facet parameter (outlet=a&outlet=b …)
# Facet parameters may repeat: several values of one facet are ORed (any of these outlets).
REPEATABLE = frozenset({"outlet", "category"})
# ASCII digits only: \d would also accept "١٢" or "１２" (and int() would read them as 12).
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Story ids are short hex digests; anything else (slashes, dots, NULs) cannot name a story.
STORY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def settings() -> Settings:
    return current_app.extensions["searchsvc.settings"]


def engine() -> Engine:
    """This process's engine (opened once per process by create_app)."""
    return current_app.extensions["searchsvc.engine"]


def current_index() -> Generation:
    """The live generation for this process (raises IndexMissing when none is built yet)."""
    return engine().live()


def index_for(request: SearchRequest) -> Generation:
    """The request's pinned generation (raises GenerationGone once deleted), else the live one."""
    if request.generation is None:
        return current_index()
    return engine().pinned(request.generation)


def resolve_generation(
    request: SearchRequest,
) -> tuple[SearchRequest, Generation, GenerationGone | None]:
    """For pages: a pinned generation that is gone falls back to the live one, and says so."""
    try:
        return request, index_for(request), None
    except GenerationGone as gone:
        return replace(request, generation=None), current_index(), gone


def parse_search_args(args: MultiDict) -> SearchRequest:
    """Query-string → a validated SearchRequest; InvalidParameter names the first bad one."""
    reject_broken_percent_encoding(http_request.query_string)
    for name, value in args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise InvalidParameter(name.replace("\x00", "") or "q", "contains a NUL character")
        if len(args.getlist(name)) > 1 and name not in REPEATABLE:
            # only the first would be used, silently; say so instead
            raise InvalidParameter(name, "is given more than once")
    limits = settings()
    request = SearchRequest(
        q=args.get("q", ""),
        page=_whole_number(args, "page", 1),
        per_page=_whole_number(args, "per_page", limits.default_per_page),
        sort=args.get("sort") or "relevance",
        outlet=_labels(args, "outlet"),
        category=_labels(args, "category"),
        date_from=_iso_date(args, "from"),
        date_to=_iso_date(args, "to"),
        explain=_flag(args, "explain"),
        generation=parse_generation(args.get(PERMALINK_PARAMETER)),
        collapse=_flag(args, "collapse"),
    )
    if request.page > limits.max_page:
        raise InvalidParameter("page", f"must be at most {limits.max_page}")
    return request.validate(limits.max_query_chars, limits.max_per_page)


def reject_broken_percent_encoding(query_string: bytes) -> None:
    """Escapes that do not decode to UTF-8 would otherwise be searched as mangled text."""
    for pair in query_string.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name).decode("utf-8", "replace").replace("\x00", "") or "q"
        try:
            unquote_to_bytes(raw_name).decode("utf-8")
            unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParameter(name, "is not valid percent-encoded UTF-8") from None


# Only an empty value (what an HTML form sends for a blank field) means "the default"; anything
# else, whitespace included, must be valid as it stands.


def _whole_number(args: MultiDict, name: str, default: int) -> int:
    text = args.get(name) or ""
    if not text:
        return default
    if not _WHOLE_NUMBER.fullmatch(text):
        raise InvalidParameter(name, "must be a whole number")
    return int(text)


def _flag(args: MultiDict, name: str) -> bool:
    text = (args.get(name) or "").lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise InvalidParameter(name, "must be 1 or 0")


def _labels(args: MultiDict, name: str) -> tuple[str, ...]:
    """Every non-empty value of a repeatable facet parameter, in order, once each."""
    values = [value for value in args.getlist(name) if value]
    if len(values) > MAX_LABELS:
        raise InvalidParameter(name, f"may be given at most {MAX_LABELS} times")
    for value in values:
        if len(value) > MAX_LABEL_CHARS:
            raise InvalidParameter(name, f"must be at most {MAX_LABEL_CHARS} characters")
    return tuple(dict.fromkeys(values))


def _iso_date(args: MultiDict, name: str) -> date | None:
    text = args.get(name) or ""
    if not text:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(name, "must be a date written YYYY-MM-DD") from None


def search_options() -> dict[str, object]:
    """The settings every search() call takes, from the one Settings table."""
    limits = settings()
    return {
        "max_expansion": limits.max_expansion,
        "max_total_expansion": limits.max_total_expansion,
        "time_limit_s": limits.search_time_limit_s,
        "max_query_depth": limits.max_query_depth,
        "synonym_table": synonyms.load(limits.synonyms_file or None),
    }


def run_search(request: SearchRequest, opened: Generation | None = None) -> SearchResult:
    """Search `opened` (a pinned generation, or the live one when None)."""
    return search(opened or index_for(request), request, **search_options())


def request_args(request: SearchRequest, **changes: object) -> dict[str, str | list[str]]:
    """The query-string form of a request (defaults left out), with some parameters changed.
    Repeatable facet parameters are lists (url_for repeats them: outlet=a&outlet=b)."""
    values: dict[str, object] = {
        "q": request.q,
        "page": request.page,
        "per_page": request.per_page,
        "sort": request.sort,
        "outlet": request.outlet,
        "category": request.category,
        "from": request.date_from,
        "to": request.date_to,
        "explain": 1 if request.explain else None,
        PERMALINK_PARAMETER: request.generation,
        "collapse": 1 if request.collapse else None,
    }
    values.update(changes)
    defaults = {"page": 1, "per_page": settings().default_per_page, "sort": "relevance"}
    return {
        name: [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
        for name, value in values.items()
        if value not in (None, "", (), []) and defaults.get(name) != value
    }


def search_json(result: SearchResult) -> dict:
    """The result value as the API serves it: the core's dict plus page count and article URLs."""
    data = result.to_dict()
    data["pages"] = result.pages
    for hit in data["hits"]:
        hit["url"] = url_for("pages.article", story_id=hit["id"])
        if hit["explain"] is None:
            del hit["explain"]  # score parts only when asked for (explain=1)
        if hit["cluster"] is None:
            del hit["cluster"]  # only with collapse=1, for a story with other coverage
        else:
            for other in hit["cluster"]["others"]:
                other["url"] = url_for("pages.article", story_id=other["id"])
    return data


def page_links(request: SearchRequest, result: SearchResult, endpoint: str) -> dict[str, str]:
    """URLs of the previous and next result pages, where they exist."""
    links = {}
    if request.page > 1:
        previous = min(request.page - 1, result.pages)
        links["prev"] = url_for(endpoint, **request_args(request, page=previous))
    if request.page < result.pages:
        links["next"] = url_for(endpoint, **request_args(request, page=request.page + 1))
    return links


def parse_interval(args: MultiDict) -> str:
    interval = (args.get("interval") or "auto").strip()
    if interval not in INTERVALS:
        raise InvalidParameter("interval", f"must be one of {', '.join(INTERVALS)}")
    return interval


def timeline_view(request: SearchRequest, result: SearchResult, interval: str = "auto") -> dict:
    """The result's timeline as one JSON-ready value; each bar links to its dates' results."""
    days = index_for(request).collected_days()
    made = build_timeline(result, days, interval, request.date_from, request.date_to)
    data = {"query": result.query["text"], "generation": result.generation, **made.to_dict()}
    data["description"] = describe(made)
    for bucket in data["buckets"]:
        changes = {"from": bucket["start"], "to": bucket["end"], "page": 1}
        bucket["url"] = url_for("pages.search", **request_args(request, **changes))
    return data


def export_lines(request: SearchRequest, fmt: str) -> tuple[Export, Iterator[str]]:
    """The export's rows, decided within settings.export_time_limit_s before anything is sent,
    and its text chunks; article URLs are under settings.public_url, or relative."""
    limits = settings()
    export = collect_export(
        index_for(request),
        request,
        limits.export_max_hits,
        limits.export_time_limit_s,
        **search_options(),
    )

    def url_of(story_id: str) -> str:
        return public_url(url_for("pages.article", story_id=story_id))

    return export, render_lines(fmt, export, url_of)


def article_view(story_id: str) -> dict:
    """The full story as one JSON-ready value: fields, body paragraphs, copies, related."""
    if not STORY_ID.fullmatch(story_id):
        raise ArticleNotFound(f"no story with id {story_id!r}")
    generation = current_index()
    story = get_story(generation, story_id)
    record = story_for_readers(story)
    record["url"] = url_for("pages.article", story_id=story.id)
    record["related"] = related_stories(generation, story.id, story.text)
    record["coverage"] = other_coverage(generation, story.id)
    return record


def other_coverage(generation: Generation, story_id: str) -> list[dict]:
    """The other stories of the story's cluster (clusters.py), earliest first."""
    cluster = generation.cluster_of(story_id)
    if cluster is None:
        return []
    return [
        {**story, "url": url_for("pages.article", story_id=story["id"])}
        for story in cluster.stories
        if story["id"] != story_id
    ]


def related_stories(generation: Generation, story_id: str, body: str) -> list[dict]:
    """'More like this': the stories sharing the body's most telling words (never the story)."""
    if not body:
        return []
    return [
        {
            "id": story.id,
            "title": story.title,
            "outlet": story.outlet,
            "published": story.published.isoformat() if story.published else None,
            "published_approximate": story.published_approximate,
            "url": url_for("pages.article", story_id=story.id),
        }
        for story in generation.related(story_id, RELATED_COUNT)
    ]


def similar_query(title: str, most: int = 6) -> str:
    """A 'search for similar' query: the title's searchable words, any of them."""
    words: list[str] = []
    for word in literal_words(title).split():
        if len(word) > 2 and word not in words and any(query_words(word)):
            words.append(word)
    return " OR ".join(words[:most])


# /api/health lists at most this many changed and removed seed files (the counts are exact).
HEALTH_LIST_MAX = 20
# How long a freshness answer is reused while the seed folder itself is unchanged: a file added
# or removed changes the folder's mtime and is seen at once, an edit in place within this long
# (or within 5x the listing's own time, for folders so big that listing takes seconds).
FRESHNESS_TTL_S = 3.0
# (seeds, generation folder) → (reuse until, seed folder mtime, answer)
_freshness_cache: dict[tuple[str, str], tuple[float, int | None, dict]] = {}


def _seeds_mtime(seeds: Path) -> int | None:
    try:
        return seeds.stat().st_mtime_ns
    except OSError:
        return None


def cached_freshness(seeds: Path, generation: Generation) -> dict:
    """freshness() for the live generation, listing every seed file only every few seconds."""
    key = (str(seeds), generation.name)
    started = time.monotonic()
    mtime = _seeds_mtime(seeds)
    cached = _freshness_cache.get(key)
    if cached is not None and cached[1] == mtime and started < cached[0]:
        return cached[2]
    fresh = freshness(seeds, generation)
    done = time.monotonic()
    changed, removed = fresh["changed"], fresh["removed"]
    answer = {
        "stale": fresh["stale"],
        "changed": changed[:HEALTH_LIST_MAX],
        "changed_count": len(changed),
        "removed": removed[:HEALTH_LIST_MAX],
        "removed_count": len(removed),
    }
    if len(_freshness_cache) > 16:
        _freshness_cache.clear()
    _freshness_cache[key] = (done + max(FRESHNESS_TTL_S, 5 * (done - started)), mtime, answer)
    return answer


def health() -> dict:
    """The live generation, its size and age, and which seed files it does not reflect yet."""
    answer = engine().health()
    if answer["status"] == "unavailable":  # e.g. a red cluster: a 503 problem, as a search gets
        raise EngineUnavailable("; ".join(answer["problems"]) or "the engine cannot answer")
    try:
        generation = current_index()
    except IndexDamaged:  # said in the answer; the seeds are compared with a readable one
        return answer
    seeds = seeds_to_compare(settings(), generation.info.seeds or None)
    fresh = cached_freshness(seeds, generation)
    # The folder's name only: the absolute path would tell every visitor the server's layout.
    return {**answer, "seeds": {"path": seeds.name, **fresh}}


def form_choices(generation: Generation) -> dict[str, list[str]]:
    """Outlet and category names for the form's selects (the generation keeps them)."""
    return {name: generation.labels(name) for name in ("outlet", "category")}
