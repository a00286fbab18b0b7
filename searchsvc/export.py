"""Every hit of a search (not one page) as CSV or JSON Lines, for spreadsheets and scripts.

The rows come from the one `search()` function, page by page, so an export lists exactly the
hits the results page and the API show, in the same order. The rows are decided before anything
is sent: at most `max_hits` (settings.export_max_hits, 10,000 by default), collected within one
deadline for the whole export (settings.export_time_limit_s, 10 s). An `Export` says whether it
is complete and, if not, why it was cut ("row limit" or "time limit"); the web layer puts that
in headers, and a JSON Lines export also ends with an explicit `{"_export": {...}}` line, so a
client can always tell a complete export from a cut one.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return) get a leading apostrophe (the OWASP rule for CSV injection).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

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
    "source_url",
    "source_files",
    "matched_title",
    "matched_body",
    "snippet",
)
PAGE_SIZE = 500
_TAG = re.compile(r"</?mark>")


ROW_LIMIT = "row limit"
MIN_SEARCH_S = 0.001
TIME_LIMIT = "time limit"


@dataclass(frozen=True)
class Export:
    """The rows of an export, decided before any is sent, and whether that is all of them."""

    hits: list[Hit]
    total: int  # matches of the search (a lower bound when a search ran out of time)
    cut_by: str | None = None  # ROW_LIMIT, TIME_LIMIT, or None for a complete export

    @property
    def complete(self) -> bool:
        return self.cut_by is None

    def summary(self) -> dict[str, object]:
        """What the JSON Lines export's last line says (and the headers and the CLI)."""
        return {
            "complete": self.complete,
            "rows": len(self.hits),
            "total": self.total,
            "reason": self.cut_by,
        }


def collect_export(
    generation: Generation,
    request: SearchRequest,
    max_hits: int,
    export_time_limit_s: float,
    **search_options: object,
) -> Export:
    """The first `max_hits` hits in the request's order, collected page by page until the rows
    are all there or `export_time_limit_s` has passed (each page's search gets at most its own
    `time_limit_s`, and never more than what is left of the export's)."""
    deadline = time.monotonic() + export_time_limit_s
    per_search_s = search_options.pop("time_limit_s", None) or math.inf
    hits: list[Hit] = []
    page, total = 1, 0
    while True:
        # The first search always runs (it knows the total); a search never gets 0 s, which
        # search() would read as "no limit".
        left_s = max(deadline - time.monotonic(), MIN_SEARCH_S)
        result = search(
            generation,
            replace(request, page=page, per_page=PAGE_SIZE),
            time_limit_s=min(per_search_s, left_s),
            **search_options,
        )
        total = max(total, result.total)
        hits.extend(result.hits[: max_hits - len(hits)])
        if result.timed_out:
            return Export(hits, total, TIME_LIMIT)
        # With collapse=1 the rows are story clusters, fewer than the matching stories.
        available = result.total if result.clusters is None else result.clusters
        if len(hits) >= available or not result.hits:
            return Export(hits, total)
        if len(hits) >= max_hits:
            return Export(hits, total, ROW_LIMIT)
        if time.monotonic() >= deadline:
            return Export(hits, total, TIME_LIMIT)
        page += 1


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
        "source_url": hit.source_url,
        "source_files": hit.source_files,
        "matched_title": hit.matched.get("title", []),
        "matched_body": hit.matched.get("body", []),
        "snippet": plain_snippet(hit.snippet),
    }


def render_lines(fmt: str, export: Export, url_of: Callable[[str], str]) -> Iterator[str]:
    """The export as text chunks: a CSV header then one line per hit; or one JSON object a
    line, then the `{"_export": {"complete": ..., "rows", "total", "reason"}}` line."""
    if fmt == "csv":
        yield from _csv_lines(export.hits, url_of)
        return
    for rank, hit in enumerate(export.hits, 1):
        yield json.dumps(row(rank, hit, url_of(hit.id)), ensure_ascii=False) + "\n"
    yield json.dumps({"_export": export.summary()}) + "\n"


def _csv_lines(hits: list[Hit], url_of: Callable[[str], str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for rank, hit in enumerate(hits, 1):
        values = row(rank, hit, url_of(hit.id))
        for name in ("source_files", "matched_title", "matched_body"):
            values[name] = "; ".join(values[name])  # type: ignore[arg-type]
        # Spreadsheets and scripts read true/false; Python's False/True is neither.
        values["published_approximate"] = "true" if hit.published_approximate else "false"
        writer.writerow({name: neutralise_formula(value) for name, value in values.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


# What Excel, LibreOffice and Google Sheets read as the start of a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """A text cell a spreadsheet would evaluate, prefixed with ' so it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
