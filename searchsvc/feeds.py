"""Atom 1.0 feeds of a search: its newest matching stories, for feed readers that poll.

A feed is the one `search()` run with the request's filters, newest first, rendered as Atom
(RFC 4287). Entry ids are `tag:` URIs (RFC 4151) built from story ids, which come from the
story's words, so an entry keeps its id across rebuilds and on any host name.

Feeds change only when a new index generation goes live, so a generation's name (plus the
search's parameters) is a sufficient entity tag, and the generation's build time its
Last-Modified: a reader polling with If-None-Match or If-Modified-Since gets a 304 without a
search being run until something new is indexed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode
from xml.etree import ElementTree

from searchsvc import __version__
from searchsvc.engines.base import Generation
from searchsvc.model import Hit, SearchRequest, SearchResult

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_ENTRIES = 20
# The tag: authority and date that make every id here globally unique (RFC 4151 §2.1). They are
# constants, not the request's host, so ids stay the same behind any proxy or domain name.
TAG_PREFIX = "tag:searchsvc,2025:"
# Characters XML 1.0 cannot carry at all (control characters other than tab and newlines).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Validators:
    """What a conditional GET compares: the entity tag and the Last-Modified time."""

    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class FeedLinks:
    """Absolute URLs the feed points to."""

    feed: str  # this feed (rel="self")
    results: str  # the results page of the same search (rel="alternate")
    article: Callable[[str], str]  # story id → its article page


def feed_request(request: SearchRequest, entries: int = FEED_ENTRIES) -> SearchRequest:
    """The search a feed runs: the request's query and filters, newest first, one page."""
    return replace(request, sort="newest", page=1, per_page=entries, explain=False, collapse=False)


def built_at(generation: Generation) -> datetime:
    """When the generation was built (UTC, whole seconds)."""
    moment = datetime.fromisoformat(generation.info.built_at)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).replace(microsecond=0)


def feed_args(request: SearchRequest) -> dict[str, str | list[str]]:
    """The parameters that make one feed differ from another (paging and order do not); facet
    values sorted, so choosing the same outlets in another order is the same feed."""
    values = {
        "q": request.q,
        "outlet": sorted(request.outlet),
        "category": sorted(request.category),
        "from": request.date_from.isoformat() if request.date_from else None,
        "to": request.date_to.isoformat() if request.date_to else None,
    }
    return {name: value for name, value in values.items() if value}


def validators(generation: Generation, request: SearchRequest) -> Validators:
    """ETag from the generation and the search's canonical parameters; Last-Modified = build."""
    canonical = urlencode(sorted(feed_args(request).items()), doseq=True)
    digest = hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]
    return Validators(f"{generation.name}-{digest}", built_at(generation))


def feed_id(request: SearchRequest) -> str:
    """The same search always has the same feed id."""
    return f"{TAG_PREFIX}search?{urlencode(sorted(feed_args(request).items()), doseq=True)}"


def entry_id(story_id: str) -> str:
    return f"{TAG_PREFIX}story/{story_id}"


def feed_title(request: SearchRequest) -> str:
    what = f"“{request.q}”" if request.q.strip() else "all stories"
    filters = [
        f"{name} {' or '.join(values)}"
        for name, values in (("outlet", request.outlet), ("category", request.category))
        if values
    ]
    if request.date_from or request.date_to:
        low = request.date_from.isoformat() if request.date_from else "…"
        high = request.date_to.isoformat() if request.date_to else "…"
        filters.append(f"{low} to {high}")
    suffix = f" ({', '.join(filters)})" if filters else ""
    return f"News search: {what}{suffix}"


def entry_updated(hit: Hit, fallback: datetime) -> datetime:
    """The story's own date (a bare day is taken as midnight UTC); undated: the build time."""
    if not hit.published:
        return fallback
    if "T" not in hit.published:
        return datetime.combine(date.fromisoformat(hit.published), time(), UTC)
    moment = datetime.fromisoformat(hit.published)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z")


def render_feed(
    result: SearchResult, request: SearchRequest, links: FeedLinks, updated: datetime
) -> bytes:
    """The result's hits as an Atom 1.0 document (UTF-8 bytes with an XML declaration).

    `updated` is the generation's build time: the feed as a whole changed then.
    """
    feed = ElementTree.Element("feed", xmlns=ATOM_NAMESPACE)
    _text(feed, "id", feed_id(request))
    _text(feed, "title", feed_title(request))
    _text(feed, "subtitle", f"The newest {len(result.hits)} of {result.total} matching stories")
    _text(feed, "updated", rfc3339(updated))
    _link(feed, "self", links.feed, "application/atom+xml")
    _link(feed, "alternate", links.results, "text/html")
    author = ElementTree.SubElement(feed, "author")
    _text(author, "name", "searchsvc")
    _text(feed, "generator", "searchsvc", version=__version__)
    for hit in result.hits:
        feed.append(_entry(hit, links, updated))
    body = ElementTree.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _entry(hit: Hit, links: FeedLinks, build_time: datetime) -> ElementTree.Element:
    entry = ElementTree.Element("entry")
    _text(entry, "id", entry_id(hit.id))
    _text(entry, "title", hit.title or "(untitled story)")
    updated = entry_updated(hit, build_time)
    _text(entry, "updated", rfc3339(updated))
    if hit.published and not hit.published_approximate:
        _text(entry, "published", rfc3339(updated))
    _link(entry, "alternate", links.article(hit.id), "text/html")
    if hit.source_url:
        # The story at its outlet, beside its page here (RFC 4287 §4.2.7.2: "related").
        _link(entry, "related", hit.source_url, "text/html")
    if hit.outlet:
        author = ElementTree.SubElement(entry, "author")
        _text(author, "name", hit.outlet)
    if hit.category:
        ElementTree.SubElement(entry, "category", term=_clean(hit.category))
    # The snippet is already HTML (escaped text, matched words in <mark>): say so.
    _text(entry, "summary", hit.snippet, type="html")
    return entry


def _text(parent: ElementTree.Element, tag: str, text: str, **attributes: str) -> None:
    child = ElementTree.SubElement(parent, tag, **attributes)
    child.text = _clean(text)


def _link(parent: ElementTree.Element, rel: str, href: str, media_type: str) -> None:
    ElementTree.SubElement(parent, "link", rel=rel, href=href, type=media_type)


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
