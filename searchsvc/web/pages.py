"""The HTML pages: search form, results, article, syntax help. No JavaScript anywhere."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta
from flask import Blueprint, Response, current_app, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from searchsvc.engines.base import Generation
from searchsvc.errors import GenerationGone, IndexMissing, InvalidParameter, QuerySyntaxError
from searchsvc.model import SORTS, SearchRequest, SearchResult
from searchsvc.query import OPERATORS, literal_words
from searchsvc.search import resolve_labels
from searchsvc.web import core
from searchsvc.web.feeds import feed_url

blueprint = Blueprint("pages", __name__)

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
PAGE_WINDOW = 2
PER_PAGE_CHOICES = (10, 25, 50, 100)
# How the error page names a request parameter: the form's label for it.
PARAMETER_LABELS = {
    "q": "Search",
    "from": "Published from",
    "to": "Published to",
    "outlet": "Outlet",
    "category": "Category",
    "sort": "Order",
    "page": "Page",
    "per_page": "Results per page",
    "gen": "Index generation",
    "interval": "Timeline interval",
    "explain": "Explain",
    "collapse": "Group coverage",
}
ECHO_CHARS = 80


@dataclass(frozen=True)
class FacetLink:
    value: str
    label: str
    count: int
    url: str
    active: bool


@dataclass(frozen=True)
class SyntaxProblem:
    """A malformed query split around the character the parser stopped at."""

    message: str
    before: str
    spot: str
    after: str

    @classmethod
    def of(cls, exc: QuerySyntaxError, query: str) -> SyntaxProblem:
        at = max(0, min(exc.position, len(query)))
        return cls(exc.message, query[:at], query[at : at + 1] or " ", query[at + 1 :])


# Names for the UTC offsets stories are stored with. The sources are Japanese, so +09:00 reads
# as JST (Korea's KST shares the offset); any other offset is shown as "UTC+5:30".
ZONE_NAMES = {timedelta(hours=9): "JST", timedelta(0): "UTC"}


@blueprint.app_template_filter("human_date")
def human_date(published: str | None, approximate: bool = False) -> str:
    """'18 Jun 2025, 15:46 JST' for a date-time, '5 Jun 2025' for a day, '≈ 11 Jun 2025' if
    guessed (an estimated date never shows a time)."""
    if not published:
        return "date unknown"
    if "T" in published:
        moment = datetime.fromisoformat(published)
        text = f"{moment.day} {moment:%b %Y}"
        if not approximate:
            text += f", {moment:%H:%M}{zone_suffix(moment)}"
    else:
        day = date.fromisoformat(published)
        text = f"{day.day} {day:%b %Y}"
    return f"≈ {text}" if approximate else text


def zone_suffix(moment: datetime) -> str:
    """' JST', ' UTC+5:30', or '' for a time stored without its zone."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    if offset in ZONE_NAMES:
        return f" {ZONE_NAMES[offset]}"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f" UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@blueprint.app_template_filter("thousands")
def thousands(number: int) -> str:
    """'1,997' for 1997: counts read at a glance."""
    return f"{number:,}"


@blueprint.app_template_filter("web_host")
def web_host(address: str) -> str:
    """'www.asahi.com' for 'https://www.asahi.com/…': a link's name when the outlet is unknown."""
    return urlsplit(address).hostname or address


blueprint.add_app_template_global(SORT_LABELS, "sort_labels")


@blueprint.app_template_global("error_form")
def error_form(parameter: str) -> dict:
    """What an error page about one parameter shows: the search form refilled with the request's
    valid values (the query always), the parameter's label and the value given."""
    args = request.args
    kept = SearchRequest(
        q=args.get("q", "")[: core.settings().max_query_chars],
        sort=args.get("sort") if args.get("sort") in SORTS else "relevance",
        outlet=_valid(core._labels, args, "outlet") or (),
        category=_valid(core._labels, args, "category") or (),
        date_from=_valid(core._iso_date, args, "from"),
        date_to=_valid(core._iso_date, args, "to"),
    )
    try:
        choices = core.form_choices(core.current_index())
    except IndexMissing:
        choices = {"outlet": [], "category": []}
    value = args.get(parameter, "")
    return {
        "req": kept,
        "choices": choices,
        "label": PARAMETER_LABELS.get(parameter, parameter),
        "value": value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…",
        "in_filters": parameter in ("from", "to", "outlet", "category", "sort"),
    }


def _valid(read: Callable[[MultiDict, str], object], args: MultiDict, name: str) -> object:
    try:
        return read(args, name)
    except InvalidParameter:
        return None


@blueprint.get("/")
def home() -> str:
    opened = core.current_index()
    return render_template(
        "home.html",
        req=SearchRequest(),
        choices=core.form_choices(opened),
        doc_count=opened.info.doc_count,
    )


@blueprint.get("/search")
def search() -> str:
    search_request, opened, gone = core.resolve_generation(core.parse_search_args(request.args))
    # Facet values as the index names them ("jiji press" → "Jiji Press"), so the chips, the
    # ticked boxes and the facet list agree with what was searched.
    search_request, _ = resolve_labels(opened, search_request)
    problem = None
    try:
        result: SearchResult | None = core.run_search(search_request, opened)
    except QuerySyntaxError as exc:
        # Never a dead end: say what is wrong, and search the words taken literally meanwhile.
        problem = SyntaxProblem.of(exc, search_request.q)
        words = literal_words(search_request.q)
        result = core.run_search(replace(search_request, q=words), opened) if words else None
    shown = replace(search_request, q=result.query["text"]) if problem and result else None
    newest = newest_day(opened)
    return render_template(
        "search.html",
        req=search_request,
        result=result,
        problem=problem,
        choices=core.form_choices(opened),
        facets=facet_links(shown or search_request, result) if result else {},
        sorts=sort_links(search_request),
        pager=pager(shown or search_request, result) if result else None,
        filters=active_filters(search_request),
        suggestion_url=suggestion_url(search_request, result),
        any_words_url=any_words_url(search_request, result),
        timeline=core.timeline_view(shown or search_request, result) if result else None,
        export_args=core.request_args(shown or search_request, page=None, per_page=None),
        export_limit=core.settings().export_max_hits,
        feed_url=feed_url(shown or search_request) if result else None,
        pin=pin_view(shown or search_request, opened, gone),
        collapse_url=search_url(
            shown or search_request, collapse=None if search_request.collapse else 1, page=1
        ),
        grouping_available=opened.cluster_count() > 0,
        coverage=same_story_coverage(opened, result) if result else {},
        per_page_links=per_page_links(shown or search_request),
        quick_ranges=quick_ranges(shown or search_request, newest),
        newest=newest,
    )


def newest_day(generation: Generation) -> date | None:
    """The day of the newest story with an exact date in the index."""
    return max(generation.collected_days(), default=None)


def per_page_links(search_request: SearchRequest) -> list[tuple[int, str, bool]]:
    """(size, URL, current) for each results-per-page choice the service allows."""
    limit = core.settings().max_per_page
    sizes = sorted({size for size in PER_PAGE_CHOICES if size <= limit} | {search_request.per_page})
    return [
        (size, search_url(search_request, per_page=size, page=1), size == search_request.per_page)
        for size in sizes
    ]


def same_story_coverage(generation: Generation, result: SearchResult) -> dict[str, list[dict]]:
    """Per shown hit, the other stories of its cluster (other outlets' coverage of the same
    story), so grouping is visible on every results page and not only when collapsed."""
    coverage = {}
    for hit in result.hits:
        cluster = generation.cluster_of(hit.id)
        if cluster is not None and hit.cluster is None:
            coverage[hit.id] = [story for story in cluster.stories if story["id"] != hit.id]
    return coverage


def pin_view(
    search_request: SearchRequest, opened: Generation, gone: GenerationGone | None
) -> dict:
    """The permalink of these results (pinned to their generation), and what a pinned view or a
    pin to a deleted generation needs to say."""
    live = core.current_index().name
    return {
        "permalink": search_url(search_request, gen=opened.name),
        "pinned": search_request.generation,
        "is_live": opened.name == live,
        "built_at": opened.info.built_at,
        "current_url": search_url(search_request, gen=None),
        "gone": gone.generation if gone else None,
        "never_existed": gone is not None and newer_than(gone.generation, live),
        "kept": core.settings().generations_kept,
        "live": live,
    }


def newer_than(name: str, live: str) -> bool:
    """Generations are numbered in build order (gen-000042), so one numbered above the live
    generation has never been built here (as opposed to built, then deleted)."""
    return int(name.rpartition("-")[2]) > int(live.rpartition("-")[2])


def search_url(search_request: SearchRequest, **changes: object) -> str:
    return url_for("pages.search", **core.request_args(search_request, **changes))


def toggled(chosen: tuple[str, ...], value: str) -> tuple[str, ...]:
    """The facet's choice with `value` added, or taken out when it was in."""
    return tuple(v for v in chosen if v != value) if value in chosen else (*chosen, value)


def facet_links(search_request: SearchRequest, result: SearchResult) -> dict[str, list[FacetLink]]:
    links: dict[str, list[FacetLink]] = {}
    for name in ("outlet", "category"):
        chosen = getattr(search_request, name)
        links[name] = [
            FacetLink(
                value=f["value"],
                label=f["value"],
                count=f["count"],
                # A value adds itself to the facet's choice (any of them), or leaves it again.
                url=search_url(search_request, **{name: toggled(chosen, f["value"]), "page": 1}),
                active=f["value"] in chosen,
            )
            for f in result.facets.get(name, [])
        ]
    months = result.facets["month"]
    years = Counter()
    for f in months:
        years[int(f["value"][:4])] += f["count"]
    # Over several years a month list runs to hundreds of lines: years then, months within one.
    newest_first = sorted(years.items(), reverse=True)
    links["year"] = [year_link(search_request, year, count) for year, count in newest_first]
    if len(years) > 1:
        links["month"] = []
    else:
        links["year"] = []
        links["month"] = [month_link(search_request, f["value"], f["count"]) for f in months]
    return links


def year_link(search_request: SearchRequest, year: int, count: int) -> FacetLink:
    first, last = date(year, 1, 1), date(year, 12, 31)
    active = search_request.date_from == first and search_request.date_to == last
    url = search_url(search_request, **{"from": first, "to": last, "page": 1})
    return FacetLink(str(year), str(year), count, url, active)


QUICK_RANGES = (("Past week", relativedelta(weeks=1)), ("Past month", relativedelta(months=1)),
                ("Past year", relativedelta(years=1)))  # fmt: skip


def quick_ranges(search_request: SearchRequest, newest: date | None) -> list[FacetLink]:
    """The last week, month and year up to the newest story in the index (not today: an archive
    may end years ago), each a link setting from/to."""
    if newest is None:
        return []
    links = []
    for label, span in QUICK_RANGES:
        first = newest - span + timedelta(days=1)
        active = search_request.date_from == first and search_request.date_to == newest
        url = search_url(search_request, **{"from": first, "to": newest, "page": 1})
        links.append(FacetLink(first.isoformat(), label, 0, url, active))
    return links


def month_link(search_request: SearchRequest, month: str, count: int) -> FacetLink:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    last = date(year, number, calendar.monthrange(year, number)[1])
    active = search_request.date_from == first and search_request.date_to == last
    url = search_url(search_request, **{"from": first, "to": last, "page": 1})
    return FacetLink(month, f"{first:%B %Y}", count, url, active)


def sort_links(search_request: SearchRequest) -> list[tuple[str, str, bool]]:
    """Browsing (no query) has no relevance to order by: it lists newest first by default."""
    sorts, current = SORTS, search_request.sort
    if not search_request.q.strip():
        sorts = tuple(sort for sort in SORTS if sort != "relevance")
        current = "newest" if current == "relevance" else current
    return [
        (SORT_LABELS[sort], search_url(search_request, sort=sort, page=1), sort == current)
        for sort in sorts
    ]


def active_filters(search_request: SearchRequest) -> list[tuple[str, str]]:
    """(description, URL without this filter) for each filter in force."""
    filters = []
    for name, title in (("outlet", "Outlet"), ("category", "Category")):
        chosen = getattr(search_request, name)
        for value in chosen:
            others = tuple(v for v in chosen if v != value)
            filters.append(
                (f"{title}: {value}", search_url(search_request, **{name: others, "page": 1}))
            )
    if search_request.date_from or search_request.date_to:
        low = search_request.date_from.isoformat() if search_request.date_from else "…"
        high = search_request.date_to.isoformat() if search_request.date_to else "…"
        url = search_url(search_request, **{"from": None, "to": None, "page": 1})
        filters.append((f"Dates: {low} to {high}", url))
    return filters


def pager(search_request: SearchRequest, result: SearchResult) -> dict | None:
    if result.pages <= 1 and result.page == 1:
        return None
    current = result.page
    numbers = sorted(
        {1, result.pages}
        | set(range(max(1, current - PAGE_WINDOW), min(result.pages, current + PAGE_WINDOW) + 1))
    )
    links = core.page_links(search_request, result, "pages.search")
    return {
        "current": current,
        "pages": result.pages,
        "prev": links.get("prev"),
        "next": links.get("next"),
        "numbers": [(n, search_url(search_request, page=n)) for n in numbers],
    }


def suggestion_url(search_request: SearchRequest, result: SearchResult | None) -> str | None:
    if result is None or not result.suggestion:
        return None
    return search_url(search_request, q=result.suggestion, page=1)


def any_words_url(search_request: SearchRequest, result: SearchResult | None) -> str | None:
    """For an empty result: the same words joined with OR, when that is a different search."""
    if result is None or result.total:
        return None
    words = [w for w in literal_words(search_request.q).split() if w not in OPERATORS]
    if len(words) < 2:
        return None
    return search_url(search_request, q=" OR ".join(words), page=1)


@blueprint.get("/articles/<path:story_id>")
def article(story_id: str) -> str:
    story = core.article_view(story_id)
    similar = core.similar_query(story.get("title") or "")
    return render_template(
        "article.html",
        story=story,
        req=SearchRequest(),
        similar_url=url_for("pages.search", q=similar) if similar else None,
    )


@blueprint.get("/help")
def help_page() -> str:
    return render_template("help.html", req=SearchRequest())


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")
