"""Every hit of a search (not one page) as CSV or JSON Lines, for spreadsheets and scripts.

The rows come from the one `search()` function, page by page, so an export lists exactly the
hits the results page and the API show, in the same order. At most `max_hits` rows are written
(settings.export_max_hits, 10,000 by default); the caller is told when the search had more.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from searchsvc.engines.base import Generation
from searchsvc.model import Hit, SearchRequest
from searchsvc.search import search

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
# The columns a spreadsheet user wants, in order.
COLUMNS = (
    "rank",
    "id",
    "title",
    "outlet",
    "published",
    "published_approximate",
    "category",
    "score",
    "url",
    "also_in",
    "matched_title",
    "matched_body",
    "snippet",
)
PAGE_SIZE = 500
_TAG = re.compile(r"</?mark>")


def export_hits(
    generation: Generation, request: SearchRequest, max_hits: int, **search_options: object
) -> tuple[int, Iterator[Hit]]:
    """(total matches, an iterator over the first `max_hits` hits in the request's order)."""
    first = search(generation, replace(request, page=1, per_page=PAGE_SIZE), **search_options)

    def hits() -> Iterator[Hit]:
        result, page, sent = first, 1, 0
        while result.hits and sent < max_hits:
            for hit in result.hits[: max_hits - sent]:
                yield hit
                sent += 1
            page += 1
            if sent < max_hits and (page - 1) * PAGE_SIZE < first.total:
                result = search(
                    generation, replace(request, page=page, per_page=PAGE_SIZE), **search_options
                )
            else:
                break

    return first.total, hits()


def plain_snippet(snippet: str) -> str:
    return html.unescape(_TAG.sub("", snippet))


def row(rank: int, hit: Hit, url: str) -> dict[str, object]:
    return {
        "rank": rank,
        "id": hit.id,
        "title": hit.title,
        "outlet": hit.outlet,
        "published": hit.published,
        "published_approximate": hit.published_approximate,
        "category": hit.category,
        "score": hit.score,
        "url": url,
        "also_in": hit.also_in,
        "matched_title": hit.matched.get("title", []),
        "matched_body": hit.matched.get("body", []),
        "snippet": plain_snippet(hit.snippet),
    }


def render_lines(fmt: str, hits: Iterator[Hit], url_of: Callable[[str], str]) -> Iterator[str]:
    """The export as text chunks: a CSV header then one line per hit, or one JSON object a line."""
    if fmt == "csv":
        yield from _csv_lines(hits, url_of)
        return
    for rank, hit in enumerate(hits, 1):
        yield json.dumps(row(rank, hit, url_of(hit.id)), ensure_ascii=False) + "\n"


def _csv_lines(hits: Iterator[Hit], url_of: Callable[[str], str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for rank, hit in enumerate(hits, 1):
        values = row(rank, hit, url_of(hit.id))
        for name in ("also_in", "matched_title", "matched_body"):
            values[name] = "; ".join(values[name])  # type: ignore[arg-type]
        writer.writerow(values)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
