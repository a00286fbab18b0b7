"""/feeds/search.atom: a search as an Atom feed, answered with 304 while nothing new is indexed."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from werkzeug.http import is_resource_modified

from searchsvc.feeds import MEDIA_TYPE, FeedLinks, feed_args, feed_request, render_feed, validators
from searchsvc.model import SearchRequest
from searchsvc.web import core
from searchsvc.web.addresses import absolute_url

blueprint = Blueprint("feeds", __name__, url_prefix="/feeds")


@blueprint.get("/search.atom")
def search_feed() -> Response:
    search_request = core.parse_search_args(request.args)
    opened = core.current_index()
    checks = validators(opened, search_request)
    if is_resource_modified(request.environ, etag=checks.etag, last_modified=checks.last_modified):
        wanted = feed_request(search_request)
        result = core.run_search(wanted, opened)
        body = render_feed(result, wanted, feed_links(wanted), checks.last_modified)
        response = Response(body, content_type=MEDIA_TYPE)
    else:
        response = Response(status=304)
    response.set_etag(checks.etag)
    response.last_modified = checks.last_modified
    # Readers may keep a copy but must ask again each time: the answer is a cheap 304.
    response.cache_control.no_cache = True
    return response


def feed_url(search_request: SearchRequest, external: bool = False) -> str:
    """The feed of a search (its query and filters; paging and order do not matter)."""
    path = url_for("feeds.search_feed", **feed_args(search_request))
    return absolute_url(path) if external else path


def feed_links(search_request: SearchRequest) -> FeedLinks:
    """Atom needs absolute ids and links: from settings.public_url, never the request's Host."""

    def article(story_id: str) -> str:
        return absolute_url(url_for("pages.article", story_id=story_id))

    results = url_for("pages.search", **core.request_args(search_request, page=None, per_page=None))
    return FeedLinks(
        feed=feed_url(search_request, external=True),
        results=absolute_url(results),
        article=article,
    )
