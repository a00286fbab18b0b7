"""The HTML pages: search form, results, article, syntax help. No JavaScript anywhere."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime

from flask import Blueprint, Response, current_app, render_template, request, url_for

from searchsvc.engines.base import Generation
from searchsvc.errors import GenerationGone, QuerySyntaxError
from searchsvc.model import SORTS, SearchRequest, SearchResult
from searchsvc.query import OPERATORS, literal_words
from searchsvc.web import core
from searchsvc.web.feeds import feed_url

blueprint = Blueprint("pages", __name__)

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
PAGE_WINDOW = 2


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


@blueprint.app_template_filter("human_date")
def human_date(published: str | None, approximate: bool = False) -> str:
    """'18 Jun 2025, 15:46' for a date-time, '5 Jun 2025' for a day, '≈ 11 Jun 2025' if guessed."""
    if not published:
        return "date unknown"
    if "T" in published:
        moment = datetime.fromisoformat(published)
        text = f"{moment.day} {moment:%b %Y}" + ("" if approximate else f", {moment:%H:%M}")
    else:
        day = date.fromisoformat(published)
        text = f"{day.day} {day:%b %Y}"
    return f"≈ {text}" if approximate else text


blueprint.add_app_template_global(SORT_LABELS, "sort_labels")


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
    problem = None
    try:
        result: SearchResult | None = core.run_search(search_request, opened)
    except QuerySyntaxError as exc:
        # Never a dead end: say what is wrong, and search the words taken literally meanwhile.
        problem = SyntaxProblem.of(exc, search_request.q)
        words = literal_words(search_request.q)
        result = core.run_search(replace(search_request, q=words), opened) if words else None
    shown = replace(search_request, q=result.query["text"]) if problem and result else None
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
    )


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
        "kept": core.settings().generations_kept,
    }


def search_url(search_request: SearchRequest, **changes: object) -> str:
    return url_for("pages.search", **core.request_args(search_request, **changes))


def facet_links(search_request: SearchRequest, result: SearchResult) -> dict[str, list[FacetLink]]:
    links: dict[str, list[FacetLink]] = {}
    for name in ("outlet", "category"):
        current = getattr(search_request, name)
        links[name] = [
            FacetLink(
                value=f["value"],
                label=f["value"],
                count=f["count"],
                url=search_url(search_request, **{name: f["value"], "page": 1}),
                active=f["value"] == current,
            )
            for f in result.facets.get(name, [])
        ]
    links["month"] = [
        month_link(search_request, f["value"], f["count"]) for f in result.facets["month"]
    ]
    return links


def month_link(search_request: SearchRequest, month: str, count: int) -> FacetLink:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    last = date(year, number, calendar.monthrange(year, number)[1])
    active = search_request.date_from == first and search_request.date_to == last
    url = search_url(search_request, **{"from": first, "to": last, "page": 1})
    return FacetLink(month, f"{first:%B %Y}", count, url, active)


def sort_links(search_request: SearchRequest) -> list[tuple[str, str, bool]]:
    return [
        (
            SORT_LABELS[sort],
            search_url(search_request, sort=sort, page=1),
            sort == search_request.sort,
        )
        for sort in SORTS
    ]


def active_filters(search_request: SearchRequest) -> list[tuple[str, str]]:
    """(description, URL without this filter) for each filter in force."""
    filters = []
    if search_request.outlet:
        filters.append(
            (f"Outlet: {search_request.outlet}", search_url(search_request, outlet=None, page=1))
        )
    if search_request.category:
        filters.append(
            (
                f"Category: {search_request.category}",
                search_url(search_request, category=None, page=1),
            )
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
