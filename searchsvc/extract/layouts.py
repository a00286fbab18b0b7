"""Site rules as data: how each plain-text scrape layout prints its header, dates and boilerplate.

Adding a site means adding a `PageLayout` (one article per file) or a `ListingLayout` (many
entries per file) to `PAGE_LAYOUTS` / `LISTING_LAYOUTS`; `searchsvc.extract.text` only
interprets these tables. Rules are line shapes and regexes, never a site's headline strings.

Named groups in any pattern carry values out of the matched text:
`date`, `time`, `zone` → `published`; `title`, `caption`, `category`, `outlet`, `byline`,
`dateline` → the Article field of that name; `credit` → appended to the caption as "(credit)";
`url` → the story's address; `value` → the field named by the rule's `keep`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Zone abbreviations a page prints next to a time; a time without one is not given a zone.
ZONES: dict[str, str] = {"JST": "Asia/Tokyo", "KST": "Asia/Seoul", "UTC": "UTC", "GMT": "UTC"}

_MONTH_DAY_YEAR = r"(?P<date>[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4})"
_CLOCK = r"(?P<time>\d{1,2}:\d{2})"
_ZONE = r"(?P<zone>[A-Z]{2,4})"

# Date lines as pages print them; each is tried where a layout expects a date.
DATE_LINE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^{_CLOCK} {_ZONE}, {_MONTH_DAY_YEAR}$"),  # 15:33 JST, June 5, 2025
    re.compile(rf"^{_MONTH_DAY_YEAR} at {_CLOCK} {_ZONE}$"),  # June 9, 2025 at 18:37 JST
    re.compile(r"^date (?P<date>\d{4}-\d{2}-\d{2})\b.*$"),  # date 2025-06-04  Japan Today
    re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[ T]" + _CLOCK + r")?$"),
)

# Photo-credit names that lead a caption glued to the start of a listing entry's text.
CREDIT_NAMES: tuple[str, ...] = (
    "The Associated Press",
    "Associated Press",
    "The Yomiuri Shimbun",
    "The Asahi Shimbun",
    "The Mainichi",
    "Kyodo",
    "Jiji Press",
    "Reuters",
    "AFP-Jiji",
    "AFP",
    "AP",
    "Yonhap",
    "Bloomberg",
    "Getty Images",
    "EPA",
)
_CREDIT = "(?P<credit>" + "|".join(re.escape(name) for name in CREDIT_NAMES) + ")"
# A sentence ends at a period after a lowercase letter or digit ("U.S." and "Mr." do not end one).
_FIRST_SENTENCE = r"(?P<caption>[A-Z][^\n]{10,400}?(?<![A-Z])(?<!\bMr)(?<!\bMs)(?<!\bDr)\.)"

# "<credit> <caption sentence>. <story…>": the credit names an agency, the caption follows.
CREDIT_CAPTION = re.compile(rf"^{_CREDIT}\s+{_FIRST_SENTENCE}\s+(?=[A-Z'\"‘“])")
# "<caption sentence>. (Photographer Name) <story…>": a credit in parentheses closes it.
# The caption may not contain ". " so it never swallows a second sentence.
PAREN_CREDIT_CAPTION = re.compile(
    r"^(?P<caption>[A-Z](?:(?!\.\s)[^()\n]){10,400}\.\s*\([A-Z][\w.'-]*(?: [A-Z][\w.'-]*){1,3}\))"
    r"\s+"
)

# Captions glued to the front of story text, tried in this order (listing entries, dedup).
CAPTION_PREFIXES: tuple[re.Pattern[str], ...] = (CREDIT_CAPTION, PAREN_CREDIT_CAPTION)

# Separator lines ("-" between headlines) carry no text; readers skip them without a record.
SEPARATOR = re.compile(r"^[-–—•*_=·]+$")
COMMENT_COUNT = re.compile(r"^(?:\d+|no) comments?$", re.IGNORECASE)
COPYRIGHT_LINE = re.compile(r"^(?:©|\(c\)\s|copyright\b)", re.IGNORECASE)
_BYLINE_NOTE = r"\(This (?:article|story) was (?:written|compiled|reported) by (?P<{}>[^()]+?)\.?\)"
BYLINE_NOTE = re.compile("^" + _BYLINE_NOTE.format("value") + "$")
# A line giving the story's address, bare or labelled ("Source: https://…"): kept as its `url`.
SOURCE_URL_LINE = re.compile(
    r"^(?:(?:source|url|link|original(?: article| story)?|canonical|read (?:it |more )?at)"
    r"\s*:?\s*)?<?(?P<value>https?://[^\s<>/]+\.[^\s<>]+?)>?$",
    re.IGNORECASE,
)
RELATIVE_AGE = re.compile(
    r"^(?P<count>an?|\d+) (?P<unit>second|minute|hour|day|week|month|year)s? ago$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Slot:
    """One header line of a page layout, consumed in order from the top of the file.

    `keep` names the Article field that takes the line; `rule` names the removal recorded
    when the line is dropped. `pattern` None accepts any line. An optional slot whose
    pattern does not match is skipped without consuming the line; a required one that does
    not match means the file is not in this layout after all.
    """

    keep: str | None = None
    rule: str | None = None
    pattern: re.Pattern[str] | None = None
    optional: bool = False


@dataclass(frozen=True)
class LineRule:
    """A line shape that is boilerplate (or a field) rather than story text.

    As a tail marker it starts a block: the line and every line after it (until the next
    marker) are removed, the following lines under `following` (default: `rule`). As a body
    rule it removes just the matching line. `keep` moves the line's `value` into a field
    instead of removing it.
    """

    rule: str
    pattern: re.Pattern[str]
    keep: str | None = None
    following: str | None = None


@dataclass(frozen=True)
class PageLayout:
    """A scrape holding one article: header slots, then paragraphs, then boilerplate blocks."""

    name: str
    detect: re.Pattern[str]  # searched in the first lines of the file (MULTILINE)
    outlet: str | None
    header: tuple[Slot, ...]
    tail_markers: tuple[LineRule, ...]
    body_rules: tuple[LineRule, ...]


@dataclass(frozen=True)
class InlineRule:
    """A pattern at the start (`^`) or end (`$`) of a listing entry's text, cut out of it.

    `rule` None means the match only moves values into fields (a dateline, a caption);
    otherwise the cut text is recorded as removed under `rule`.
    """

    rule: str | None
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class ListingLayout:
    """A page listing many stories: entries are found by their relative-age lines.

    An entry is: optional outlet line, age line, facet lines ("- Politics", "- Outlet"),
    title line, text. The first facet is the category, the second the outlet.
    """

    name: str
    detect: re.Pattern[str]
    header_rule: str
    age: re.Pattern[str]
    facet: re.Pattern[str]
    prefix_rules: tuple[InlineRule, ...]
    suffix_rules: tuple[InlineRule, ...]
    caption_rules: tuple[re.Pattern[str], ...]


COMMON_BODY_RULES: tuple[LineRule, ...] = (
    LineRule("source_url", SOURCE_URL_LINE, keep="url"),
    LineRule("comment_count", COMMENT_COUNT),
    LineRule("copyright", COPYRIGHT_LINE),
)

# The Japan News prints Yomiuri Shimbun stories. The outlet is "Yomiuri Shimbun" because
# listing pages name the same stories that way, and one story must carry one outlet name.
JAPAN_NEWS = PageLayout(
    name="japan_news",
    detect=re.compile(DATE_LINE_PATTERNS[0].pattern, re.MULTILINE),
    outlet="Yomiuri Shimbun",
    header=(
        Slot(keep="title"),
        Slot(
            keep="caption", pattern=re.compile(r"^(?!\d{1,2}:\d{2} [A-Z]{2,4}, ).+$"), optional=True
        ),
        Slot(rule="date_header", pattern=DATE_LINE_PATTERNS[0]),
    ),
    tail_markers=(
        LineRule("related_tags", re.compile(r"^Related Tags?$")),
        LineRule("popular_articles", re.compile(r'^"(?P<category>[^"]+)" POPULAR ARTICLES?$')),
        LineRule("access_ranking", re.compile(r"^[A-Z]{2,4} ACCESS RANKING$")),
    ),
    body_rules=COMMON_BODY_RULES,
)

JAPAN_TODAY = PageLayout(
    name="japan_today",
    detect=re.compile(r"\A\s*date \d{4}-\d{2}-\d{2}\s+Japan Today\s*$", re.MULTILINE),
    outlet="Japan Today",
    header=(
        Slot(rule="date_header", pattern=DATE_LINE_PATTERNS[2]),
        # Image alt text: a short label with no sentence punctuation, before the caption.
        Slot(
            rule="image_alt",
            pattern=re.compile(r"^(?!.*\bImage:)[A-Z][^.!?]{0,59}$"),
            optional=True,
        ),
        Slot(keep="caption", pattern=re.compile(r"^.+\bImage: \S.*$"), optional=True),
        Slot(keep="category", pattern=re.compile(r"^[a-z][a-z &/-]{1,30}$"), optional=True),
        Slot(keep="title"),
        Slot(rule="comment_count", pattern=COMMENT_COUNT, optional=True),
        Slot(keep="dateline", pattern=re.compile(r"^[A-Z][A-Z .,'/-]{1,40}$"), optional=True),
    ),
    tail_markers=(LineRule("copyright", COPYRIGHT_LINE),),
    body_rules=COMMON_BODY_RULES,
)

ASAHI = PageLayout(
    name="asahi",
    detect=re.compile(r"\A\s*THE ASAHI SHIMBUN\s*$", re.MULTILINE),
    outlet="Asahi Shimbun",
    header=(
        Slot(rule="masthead", pattern=re.compile(r"^THE ASAHI SHIMBUN$")),
        Slot(rule="date_header", pattern=DATE_LINE_PATTERNS[1]),
        # A photo caption closes with the photographer's name in parentheses.
        Slot(keep="caption", pattern=re.compile(r"^.+\([A-Z][^()]{2,60}\)$"), optional=True),
    ),
    # The byline note ends the story; every line after it is a promotional blurb.
    tail_markers=(LineRule("byline_note", BYLINE_NOTE, keep="byline", following="promo"),),
    body_rules=COMMON_BODY_RULES,
)

PAGE_LAYOUTS: tuple[PageLayout, ...] = (JAPAN_NEWS, JAPAN_TODAY, ASAHI)

LATEST_NEWS_LISTING = ListingLayout(
    name="latest_news_listing",
    detect=re.compile(r"\A\s*Latest news with #\S+\s*$", re.MULTILINE),
    header_rule="listing_header",
    age=RELATIVE_AGE,
    facet=re.compile(r"^- (?P<value>\S.*)$"),
    prefix_rules=(
        InlineRule(
            "date_header",
            re.compile(rf"^News from Japan {_MONTH_DAY_YEAR} {_CLOCK} \({_ZONE}\)\s*"),
        ),
        # "Tokyo, June 9 (Jiji Press)--": dateline and outlet, moved into fields.
        InlineRule(
            None,
            re.compile(
                r"^(?P<dateline>[A-Z][a-z]+(?: [A-Z][a-z]+)?), [A-Z][a-z]+\.? \d{1,2} "
                r"\((?P<outlet>[A-Z][\w ]+)\)\s*(?:--|—|–)\s*"
            ),
        ),
    ),
    suffix_rules=(
        InlineRule(
            "copyright",
            re.compile(
                r"\s*END\s*\[Copyright (?:The )?(?P<outlet>[A-Z][\w ]+?)(?:,? (?:Ltd|Inc|Co)\.?)?\]"
                r"[\w .]*$"
            ),
        ),
        InlineRule(None, re.compile(r"\s*" + _BYLINE_NOTE.format("byline") + "$")),
    ),
    caption_rules=CAPTION_PREFIXES,
)

LISTING_LAYOUTS: tuple[ListingLayout, ...] = (LATEST_NEWS_LISTING,)

# The generic fallback for layouts nobody has described yet.
HEAD_LINES = 6  # how many leading lines layout detection and generic date search look at
HEADLINE_MAX_WORDS = 25
PARAGRAPH_MIN_WORDS = 12  # fewer words and no closing punctuation: a list item, not prose
SENTENCE_MIN_WORDS = 6
GENERIC_RELATED = LineRule(
    "related",
    re.compile(
        r"^(?:Related(?: \w+){0,3}|More (?:from|on|in|stories|news)\b.{0,30}|Read more|See also)"
        r"\s*:?$",
        re.IGNORECASE,
    ),
)
GENERIC_BODY_RULES: tuple[LineRule, ...] = (
    *COMMON_BODY_RULES,
    LineRule("byline_note", BYLINE_NOTE, keep="byline"),
)


# The generic reader's header block: the short lines above the first paragraph of a file in no
# known layout (extract/text_header.py). Only unambiguous lines are read; the rest stay text.
HEADER_LABEL_DATE = re.compile(
    r"^(?:(?:first )?published|posted|dated?|filed)(?: on| at)?\s*:?\s*(?P<value>.+)$", re.I
)
HEADER_LABEL_UPDATED = re.compile(r"^(?:last )?(?:updated|modified)(?: on| at)?\s*:?\s*.+$", re.I)
HEADER_LABEL_OUTLET = re.compile(
    r"^(?:source|outlet|publisher|publication)\s*:\s*(?P<value>.+)$", re.I
)
HEADER_BYLINE = re.compile(r"^(?:by|author|written by)\s*:?\s+(?P<value>[A-Z].*)$", re.I)
# "Outlet · date", "By Name | Outlet | date": parts of one header line.
HEADER_PART_SEPARATOR = re.compile(r"\s+(?:[·|•—–]|-)\s+")
# A name: 1-6 capitalised words (particles allowed), no digits, no sentence punctuation.
HEADER_NAME = re.compile(
    r"^(?:[A-Z][\w.'&-]*|of|the|and|de|van|von|la|al)(?: (?:[A-Z][\w.'&-]*|of|the|and|de|van|"
    r"von|la|al)){0,5}$"
)
HEADER_NAME_LIST_SEPARATOR = re.compile(r",? (?:and|&) |, ")
# A date line must name a year; dateutil fills in whatever a line leaves out, which is never kept.
HEADER_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
HEADER_MAX_WORDS = 12
# 03/04/2025, 3.4.25: day and month in an order the line does not say (ISO starts with the year).
HEADER_NUMERIC_DATE = re.compile(r"^(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})[/.-]\d{2,4}\b")
