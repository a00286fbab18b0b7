"""The header block of a plain-text file in no known layout: title, outlet, date and byline
lines above the first paragraph, read only where a line says unambiguously what it is.

Recognised lines (the patterns are data in `layouts`):
- a date alone, or after "Published:", "Posted", "Date:" (dateutil reads it; a line must give a
  year, month and day, and a time counts only with its zone: nothing is filled in or guessed);
  "Updated …" lines are header chrome, dropped without being taken as the publication date;
- "By Name", "Author: Name" (a byline: capitalised names only);
- "Source: Outlet", "Publisher: Outlet" (an outlet alone on a line is never guessed: it could as
  well be a section or a kicker);
- several of these on one line, separated by "·", "|" or " - ": "By Ann Lee | Harbour Times |
  3 July 2025". Every part must be recognised; an unlabelled name is taken as the outlet only
  beside a byline ("Politics · 3 July 2025" names a section as often as an outlet, so there only
  the date is read, and the whole line is recorded as removed).
- a numeric date that reads two ways (03/04/2025) is not a date: which is the month is unknown.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser

from searchsvc.extract import layouts

# Two defaults that differ in every field: what dateutil took from them was not in the text.
_DEFAULTS = (datetime(2001, 2, 3, 4, 5, 6), datetime(2010, 11, 12, 13, 14, 15))
_TZINFOS = {name: ZoneInfo(zone) for name, zone in layouts.ZONES.items()}


def read_header_block(
    content: list[str],
    take: Callable[[str, object], None],
    drop: Callable[[str, str], None],
    is_prose: Callable[[str], bool],
) -> list[str]:
    """The content without the header lines read; `take(field, value)` receives each value,
    `drop(rule, line)` each line removed."""
    kept: list[str] = []
    for index, line in enumerate(content):
        if index >= layouts.HEAD_LINES or is_prose(line):
            return kept + content[index:]
        found = header_line(line)
        if found is None:
            kept.append(line)
            continue
        rule, values = found
        for name, value in values.items():
            take(name, value)
        drop(rule, line)
    return kept


def header_line(line: str) -> tuple[str, dict[str, object]] | None:
    """(rule, {field: value}) for a recognised header line, else None."""
    if len(line.split()) > layouts.HEADER_MAX_WORDS:
        return None
    if layouts.HEADER_LABEL_UPDATED.match(line):
        return "updated_header", {}
    parts = layouts.HEADER_PART_SEPARATOR.split(line)
    if len(parts) == 1:
        return _single(line)
    return _combined(parts)


def _single(line: str) -> tuple[str, dict[str, object]] | None:
    if (labelled := layouts.HEADER_LABEL_OUTLET.match(line)) and _is_name(labelled["value"]):
        return "outlet_header", {"outlet": labelled["value"].strip()}
    if (byline := _byline(line)) is not None:
        return "byline_header", {"byline": byline}
    if (published := parse_header_date(line)) is not None:
        return "date_header", {"published": published}
    return None


def _combined(parts: list[str]) -> tuple[str, dict[str, object]] | None:
    values: dict[str, object] = {}
    names: list[str] = []
    for part in (p.strip() for p in parts):
        if (byline := _byline(part)) is not None and "byline" not in values:
            values["byline"] = byline
        elif (published := parse_header_date(part)) is not None and "published" not in values:
            values["published"] = published
        elif (labelled := layouts.HEADER_LABEL_OUTLET.match(part)) and _is_name(labelled["value"]):
            names.append(labelled["value"].strip())
        elif _is_name(part):
            names.append(part)
        else:
            return None  # a part nobody recognises: this is text, not a header
    if not values or len(names) > 1:
        return None
    if names and "byline" in values:
        values["outlet"] = names[0]
    return "header_line", values


def _byline(text: str) -> str | None:
    match = layouts.HEADER_BYLINE.match(text.strip())
    if match is None:
        return None
    names = layouts.HEADER_NAME_LIST_SEPARATOR.split(match["value"].strip())
    return match["value"].strip() if all(_is_name(name) for name in names) else None


def _is_name(text: str) -> bool:
    return bool(layouts.HEADER_NAME.match(text.strip()))


def parse_header_date(text: str) -> datetime | date | None:
    """A date the text states in full (year, month, day), with its time only when a zone is
    given; None for anything else, including text that only mentions a date."""
    labelled = layouts.HEADER_LABEL_DATE.match(text)
    value = (labelled["value"] if labelled else text).strip()
    if not layouts.HEADER_YEAR.search(value) or len(value.split()) > 8:
        return None
    if _reads_two_ways(value):
        return None
    parsed = [_parse(value, default) for default in _DEFAULTS]
    if None in parsed:
        return None
    first, second = parsed
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # some of the day was filled in from the defaults
    timed = (first.hour, first.minute) == (second.hour, second.minute)
    if not timed or first.tzinfo is None:
        return first.date()
    return datetime.combine(first.date(), time(first.hour, first.minute), tzinfo=first.tzinfo)


def _reads_two_ways(value: str) -> bool:
    numeric = layouts.HEADER_NUMERIC_DATE.match(value)
    if numeric is None:
        return False
    first, second = int(numeric["first"]), int(numeric["second"])
    return first != second and first <= 12 and second <= 12


def _parse(value: str, default: datetime) -> datetime | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)
            return date_parser.parse(value, default=default, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError):
        return None
