"""The JSON API: /api/search, /api/articles/<id>, /api/health, /api/openapi.json."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, jsonify, request

from searchsvc.export import MEDIA_TYPES
from searchsvc.web import core
from searchsvc.web.openapi import openapi_document

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.get("/search")
def search() -> Response:
    search_request = core.parse_search_args(request.args)
    result = core.run_search(search_request)
    response = jsonify(core.search_json(result))
    links = core.page_links(search_request, result, "api.search")
    if links:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    return response


@blueprint.get("/timeline")
def timeline() -> Response:
    search_request = core.parse_search_args(request.args)
    interval = core.parse_interval(request.args)
    # Counts come from the facets, which cover every match: one hit is all the page needs.
    result = core.run_search(replace(search_request, page=1, per_page=1))
    return jsonify(core.timeline_view(search_request, result, interval))


@blueprint.get("/search.csv")
def search_csv() -> Response:
    return export("csv")


@blueprint.get("/search.jsonl")
def search_jsonl() -> Response:
    return export("jsonl")


def export(fmt: str) -> Response:
    """Every hit (up to settings.export_max_hits, within settings.export_time_limit_s), and
    headers that say whether that is all of them and, if not, why not."""
    search_request = core.parse_search_args(request.args)
    export, lines = core.export_lines(search_request, fmt)
    # The rows are already decided, so the body has a length: a transfer cut on the way shows.
    response = Response("".join(lines), content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="search.{fmt}"'
    response.headers["X-Total-Count"] = str(export.total)
    response.headers["X-Export-Limit"] = str(core.settings().export_max_hits)
    response.headers["X-Export-Rows"] = str(len(export.hits))
    response.headers["X-Export-Truncated"] = "false" if export.complete else "true"
    if export.cut_by:
        response.headers["X-Export-Truncated-Reason"] = export.cut_by
    # A one-off download made under a deadline: no cache should keep it and hand it out later.
    response.cache_control.no_store = True
    return response


@blueprint.get("/articles/<path:story_id>")
def article(story_id: str) -> Response:
    return jsonify(core.article_view(story_id))


@blueprint.get("/health")
def health() -> Response:
    response = jsonify(core.health())
    # A monitor must see the state of now, never a copy kept by some cache on the way.
    response.cache_control.no_store = True
    return response


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
