"""Plain-text scrapes → Article records, driven by the rule tables in `layouts`.

A file is tried as a listing page first (many stories), then as each known page layout (one
story), and falls back to generic rules so an unknown site still yields its story text.
Every dropped line is recorded in `Article.removed` under the rule that dropped it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from searchsvc.extract import layouts
from searchsvc.extract.article import Article, Removed
from searchsvc.extract.layouts import LineRule, ListingLayout, PageLayout, Slot
from searchsvc.extract.text_header import read_header_block

__all__ = ["extract_text"]

_TEXT_FIELDS = ("title", "caption", "category", "outlet", "byline", "dateline")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_ANY_LINE = re.compile(r"^.+$")


def extract_text(text: str, source_file: str) -> list[Article]:
    """Extract the articles in one plain-text scrape (several for a listing page)."""
    lines = _clean_lines(text)
    head = "\n".join([line for line in lines if line][: layouts.HEAD_LINES])
    for listing in layouts.LISTING_LAYOUTS:
        if listing.detect.search(head):
            return _extract_listing(lines, source_file, listing)
    for layout in layouts.PAGE_LAYOUTS:
        if layout.detect.search(head):
            article = _extract_page(_content(lines), source_file, layout)
            if article is not None:
                return [article]
    return [_extract_generic(_content(lines), source_file)]


@dataclass
class _Draft:
    """The fields of one article while its lines are being read (mutable, private)."""

    source_file: str
    layout: str
    fields: dict[str, str] = field(default_factory=dict)
    published: datetime | date | None = None
    approximate: bool = False
    body: list[str] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)

    def set(self, name: str, value: str | None) -> None:
        """Fill a field once: the first rule to find a value wins over later guesses."""
        value = _SPACES.sub(" ", value or "").strip()
        if value and not self.fields.get(name):
            self.fields[name] = _tidy_category(value) if name == "category" else value

    def take(self, match: re.Match[str], keep: str | None = None) -> None:
        """Move a match's named groups (dates, fields, `value`) into the draft."""
        groups = {name: value for name, value in match.groupdict().items() if value}
        if self.published is None:
            self.published = _published_from(groups)
        for name in _TEXT_FIELDS:
            if name == "caption" and "credit" in groups:
                self.set(name, f"{groups[name]} ({groups['credit']})")
            elif name in groups:
                self.set(name, groups[name])
        if keep:
            self.set(keep, groups.get("value", match.group(0)))

    def put(self, name: str, value: object) -> None:
        """One value read by the generic header reader (text_header.py)."""
        if name == "published":
            self.published = self.published or value  # type: ignore[assignment]
        else:
            self.set(name, str(value))

    def drop(self, rule: str, text: str) -> None:
        self.removed.append(Removed.of(rule, text))

    def build(self) -> Article:
        return Article(
            title=self.fields.get("title"),
            body=tuple(self.body),
            source_file=self.source_file,
            outlet=self.fields.get("outlet"),
            published=self.published,
            published_approximate=self.approximate,
            category=self.fields.get("category"),
            byline=self.fields.get("byline"),
            dateline=self.fields.get("dateline"),
            caption=self.fields.get("caption"),
            removed=tuple(self.removed),
            layout=self.layout,
            url=self.fields.get("url"),
        )


def _clean_lines(text: str) -> list[str]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def _content(lines: list[str]) -> list[str]:
    """Lines that carry text: blank lines and separators only shape the page."""
    return [line for line in lines if line and not layouts.SEPARATOR.match(line)]


def _tidy_category(value: str) -> str:
    return " ".join(word.capitalize() for word in value.split()) if value.islower() else value


def _published_from(groups: dict[str, str]) -> datetime | date | None:
    """A tz-aware datetime when the text gives a time and a known zone, else the day alone."""
    if "date" not in groups:
        return None
    try:
        day = date_parser.parse(groups["date"]).date()
    except (ValueError, OverflowError):
        return None
    zone = layouts.ZONES.get(groups.get("zone", ""))
    if "time" not in groups or zone is None:
        return day
    hour, minute = (int(part) for part in groups["time"].split(":"))
    if hour > 23 or minute > 59:
        return day
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def _word_count(line: str) -> int:
    return len(line.split())


def _is_prose(line: str) -> bool:
    """A real paragraph, as opposed to a headline, label or list item."""
    words = _word_count(line)
    if words >= layouts.PARAGRAPH_MIN_WORDS:
        return True
    return words >= layouts.SENTENCE_MIN_WORDS and line.rstrip("\"'”’)").endswith((".", "!", "?"))


def _looks_like_headline(line: str) -> bool:
    return (
        0 < _word_count(line) <= layouts.HEADLINE_MAX_WORDS
        and not line.endswith((".", ",", ";", ":"))
        and not any(rule.pattern.match(line) for rule in layouts.GENERIC_BODY_RULES)
    )


# Page layouts: header slots, body, tail blocks.


def _extract_page(content: list[str], source_file: str, layout: PageLayout) -> Article | None:
    """One article, or None when the header does not fit the layout after all."""
    draft = _Draft(source_file=source_file, layout=layout.name)
    draft.set("outlet", layout.outlet)
    position = _read_header(content, layout.header, draft)
    if position is None:
        return None
    rest = content[position:]
    tail_start = next(
        (i for i, line in enumerate(rest) if _first_match(layout.tail_markers, line)), len(rest)
    )
    _read_body(rest[:tail_start], layout.body_rules, draft)
    _read_tail(rest[tail_start:], layout.tail_markers, draft)
    return draft.build()


def _read_header(content: list[str], slots: tuple[Slot, ...], draft: _Draft) -> int | None:
    position = 0
    for slot in slots:
        line = content[position] if position < len(content) else ""
        match = (slot.pattern or _ANY_LINE).match(line)
        if match is None:
            if slot.optional:
                continue
            return None
        draft.take(match, slot.keep)
        if slot.rule:
            draft.drop(slot.rule, line)
        position += 1
    return position


def _first_match(rules: tuple[LineRule, ...], line: str) -> tuple[LineRule, re.Match[str]] | None:
    for rule in rules:
        match = rule.pattern.match(line)
        if match:
            return rule, match
    return None


def _apply_line_rule(rule: LineRule, match: re.Match[str], line: str, draft: _Draft) -> None:
    draft.take(match, rule.keep)
    if not rule.keep:
        draft.drop(rule.rule, line)


def _read_body(lines: list[str], rules: tuple[LineRule, ...], draft: _Draft) -> None:
    for line in lines:
        found = _first_match(rules, line)
        if found:
            _apply_line_rule(*found, line, draft)
        else:
            draft.body.append(line)


def _read_tail(lines: list[str], markers: tuple[LineRule, ...], draft: _Draft) -> None:
    """Each marker opens a block; lines up to the next marker belong to it and are dropped."""
    current: LineRule | None = None
    for line in lines:
        found = _first_match(markers, line)
        if found:
            current = found[0]
            _apply_line_rule(*found, line, draft)
        elif current is not None:
            draft.drop(current.following or current.rule, line)


# Listing pages: one article per entry, dates estimated from relative ages.


@dataclass(frozen=True)
class _Entry:
    draft: _Draft
    age: relativedelta | None


def _extract_listing(lines: list[str], source_file: str, listing: ListingLayout) -> list[Article]:
    heading = next(line for line in lines if line)
    starts = _entry_starts(lines, listing)
    if not starts:
        return []
    bounds = zip(starts, [*starts[1:], len(lines)], strict=True)
    entries = [
        _read_entry(_content(lines[start:end]), f"{source_file}#{number}", listing)
        for number, (start, end) in enumerate(bounds, start=1)
    ]
    _estimate_dates(entries)
    for entry in entries:
        entry.draft.removed.insert(0, Removed.of(listing.header_rule, heading))
    return [entry.draft.build() for entry in entries]


def _entry_starts(lines: list[str], listing: ListingLayout) -> list[int]:
    """An entry starts at its age line, or at the outlet label just above it."""
    starts = []
    for index, line in enumerate(lines):
        if not listing.age.match(line):
            continue
        above = lines[index - 1] if index > 0 else ""
        is_label = bool(above) and not _is_prose(above) and _word_count(above) <= 6
        start = index - 1 if is_label and not listing.age.match(above) else index
        if not starts or start > starts[-1]:
            starts.append(start)
    return starts


def _read_entry(content: list[str], source_file: str, listing: ListingLayout) -> _Entry:
    draft = _Draft(source_file=source_file, layout=listing.name)
    age_at = next(i for i, line in enumerate(content) if listing.age.match(line))
    age_line = content[age_at]
    draft.drop("relative_age", age_line)
    position = age_at + 1
    facets: list[str] = []
    while position < len(content) and (facet := listing.facet.match(content[position])):
        facets.append(facet["value"])
        position += 1
    draft.set("category", facets[0] if facets else None)
    draft.set("outlet", facets[1] if len(facets) > 1 else None)
    draft.set("outlet", content[0] if age_at > 0 else None)
    draft.set("title", content[position] if position < len(content) else None)
    draft.body = _cut_inline_rules(content[position + 1 :], listing, draft)
    return _Entry(draft=draft, age=_age(listing.age.match(age_line)))


def _cut_inline_rules(paragraphs: list[str], listing: ListingLayout, draft: _Draft) -> list[str]:
    """Cut prefixes, a leading caption and suffixes out of an entry's text."""
    if not paragraphs:
        return []
    first = paragraphs[0]
    for rule in listing.prefix_rules:
        first = _cut(rule.pattern, rule.rule, first, draft)
    for pattern in listing.caption_rules:
        cut = _cut(pattern, None, first, draft)
        if cut != first:
            first = cut
            break
    paragraphs = [first, *paragraphs[1:]]
    last = paragraphs[-1]
    for rule in listing.suffix_rules:
        last = _cut(rule.pattern, rule.rule, last, draft)
    paragraphs[-1] = last
    return [paragraph for paragraph in paragraphs if paragraph]


def _cut(pattern: re.Pattern[str], rule: str | None, text: str, draft: _Draft) -> str:
    match = pattern.search(text)
    if match is None:
        return text
    draft.take(match)
    if rule:
        draft.drop(rule, match.group(0))
    return (text[: match.start()] + text[match.end() :]).strip()


def _age(match: re.Match[str] | None) -> relativedelta | None:
    if match is None:
        return None
    count = match["count"].lower()
    amount = 1 if count in ("a", "an") else int(count)
    return relativedelta(**{f"{match['unit'].lower()}s": amount})


def _estimate_dates(entries: list[_Entry]) -> None:
    """Date entries that give only an age, from an entry that gives both a time and an age.

    That entry fixes when the page was scraped (its time + its age); another entry is then
    about (scrape time - its own age). Only the day is kept, flagged approximate. Without
    such an anchor, undated entries stay undated: an age alone is not a date.
    """
    anchor = next(
        (e for e in entries if isinstance(e.draft.published, datetime) and e.age is not None),
        None,
    )
    if anchor is None:
        return
    scraped_at = anchor.draft.published + anchor.age
    for entry in entries:
        if entry.draft.published is None and entry.age is not None:
            entry.draft.published = (scraped_at - entry.age).date()
            entry.draft.approximate = True


# Generic fallback for layouts nobody has described.


def _extract_generic(content: list[str], source_file: str) -> Article:
    draft = _Draft(source_file=source_file, layout="generic")
    content = _take_head_date(content, draft)
    content = read_header_block(content, draft.put, draft.drop, _is_prose)
    if len(content) > 1 and _looks_like_headline(content[0]):
        draft.set("title", content[0])
        content = content[1:]
    kept = _read_generic_body(content, draft)
    last_prose = max((i for i, line in enumerate(kept) if _is_prose(line)), default=None)
    if last_prose is None:
        draft.body = kept
        return draft.build()
    for line in kept[last_prose + 1 :]:
        draft.drop("trailing_list", line)
    draft.body = kept[: last_prose + 1]
    return draft.build()


def _take_head_date(content: list[str], draft: _Draft) -> list[str]:
    for index, line in enumerate(content[: layouts.HEAD_LINES]):
        for pattern in layouts.DATE_LINE_PATTERNS:
            match = pattern.match(line)
            if match:
                draft.take(match)
                draft.drop("date_header", line)
                return content[:index] + content[index + 1 :]
    return content


def _read_generic_body(content: list[str], draft: _Draft) -> list[str]:
    """Drop rule lines anywhere, and a "Related …" header with the list that follows it."""
    kept: list[str] = []
    in_related = False
    for line in content:
        found = _first_match(layouts.GENERIC_BODY_RULES, line)
        if found:
            _apply_line_rule(*found, line, draft)
        elif layouts.GENERIC_RELATED.pattern.match(line):
            in_related = True
            draft.drop(layouts.GENERIC_RELATED.rule, line)
        elif in_related and not _is_prose(line):
            draft.drop(layouts.GENERIC_RELATED.rule, line)
        else:
            in_related = False
            kept.append(line)
    return kept
