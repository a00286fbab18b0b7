"""What counts as boilerplate on an HTML news page, kept as data.

Every rule here is generic: it names a kind of block (navigation, "most read" ranking, comment
thread, share bar, newsletter box, copyright line), never a site. Adding knowledge about a new
kind of block means adding an entry to one of these tables, not an `if` in `html.py`.
"""

from __future__ import annotations

import re

# Elements whose content is never story text, whatever their class says.
DROP_TAGS: frozenset[str] = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "canvas",
        "iframe",
        "object",
        "embed",
        "form",
        "button",
        "select",
        "input",
        "textarea",
        "nav",
        "aside",
        "footer",
        "header",
        "menu",
        "dialog",
        "figcaption",  # captions are kept apart (Article.caption), never as body text
        "head",
        "link",
        "meta",
    }
)

# Dropped without an audit record: they never hold visible text a reader could miss.
SILENT_TAGS: frozenset[str] = frozenset(
    {"script", "style", "noscript", "template", "head", "link", "meta", "svg", "canvas"}
)

# ARIA landmarks that hold page chrome rather than the story.
DROP_ROLES: frozenset[str] = frozenset(
    {
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "search",
        "menu",
        "menubar",
        "dialog",
        "alertdialog",
        "toolbar",
        "tablist",
    }
)

# class/id tokens (split on non-alphanumerics, lowercased) that mark a boilerplate block.
# Matched against whole tokens and against token prefixes/suffixes joined by "-" or "_",
# so "related" matches "related-articles" and "c-related__list" but not "unrelatedness".
BOILERPLATE_TOKENS: dict[str, str] = {
    # rule name ← token
    "related": "related",
    "recommended": "related",
    "recommendations": "related",
    "recirc": "related",
    "more-stories": "related",
    "morestories": "related",
    "read-more": "related",
    "readmore": "related",
    "also-read": "related",
    "see-also": "related",
    "ranking": "ranking",
    "popular": "ranking",
    "most-read": "ranking",
    "mostread": "ranking",
    "most-popular": "ranking",
    "mostpopular": "ranking",
    "trending": "ranking",
    "top-stories": "ranking",
    "share": "share",
    "sharing": "share",
    "social": "share",
    "sharebar": "share",
    "share-bar": "share",
    "comment": "comments",
    "comments": "comments",
    "disqus": "comments",
    "discussion": "comments",
    "replies": "comments",
    "newsletter": "newsletter",
    "subscribe": "newsletter",
    "subscription": "newsletter",
    "signup": "newsletter",
    "sign-up": "newsletter",
    "paywall": "newsletter",
    "promo": "promo",
    "advert": "promo",
    "advertisement": "promo",
    "ad": "promo",
    "ads": "promo",
    "adslot": "promo",
    "ad-slot": "promo",
    "ad-container": "promo",
    "sponsored": "promo",
    "outbrain": "promo",
    "taboola": "promo",
    "sidebar": "sidebar",
    "widget": "sidebar",
    "breadcrumb": "navigation",
    "breadcrumbs": "navigation",
    "pagination": "navigation",
    "pager": "navigation",
    "menu": "navigation",
    "navbar": "navigation",
    "masthead": "navigation",
    "footer": "footer",
    "copyright": "footer",
    "cookie": "consent",
    "consent": "consent",
    "gdpr": "consent",
    "modal": "consent",
    "popup": "consent",
    "tags": "tags",
    "tag-list": "tags",
    "keywords": "tags",
    "byline": "byline",
    "author-bio": "byline",
    "caption": "caption",
    "figcaption": "caption",
    "credit": "caption",
    "hidden": "hidden",
    "visually-hidden": "hidden",
    "sr-only": "hidden",
}

# Tokens that mark the story container; a block carrying one is never dropped by token rules.
ARTICLE_TOKENS: frozenset[str] = frozenset(
    {
        "article-body",
        "articlebody",
        "article-content",
        "story-body",
        "storybody",
        "story-content",
        "entry-content",
        "post-content",
        "post-body",
        "content-body",
        "article-text",
        "body-text",
    }
)

# Short paragraphs that are chrome wherever they appear (heading of a related list, a prompt
# to share, a copyright line). Matched case-insensitively against a whole stripped paragraph.
BOILERPLATE_LINES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (rule, re.compile(pattern, re.IGNORECASE))
    for rule, pattern in (
        ("footer", r"^(?:©|\(c\)|copyright\b|all rights reserved).{0,200}$"),
        ("footer", r"^.{0,120}(?:all rights reserved|無断転載|저작권자).{0,80}$"),
        ("related", r"^(?:related|more from|read more|see also|also read|recommended)\b.{0,60}$"),
        ("ranking", r"^(?:most (?:read|popular|viewed|shared)|trending|access ranking).{0,40}$"),
        ("ranking", r"^.{0,20}(?:アクセスランキング|ランキング|많이 본 뉴스).{0,20}$"),
        ("share", r"^(?:share|tweet|email|print)(?: (?:this|on \w+|article|story))?[:.!]?$"),
        ("newsletter", r"^(?:sign up|subscribe)\b.{0,160}$"),
        ("comments", r"^(?:\d+\s+)?comments?\b.{0,40}$"),
        ("comments", r"^(?:leave a (?:comment|reply)|post a comment|add a comment).{0,40}$"),
        ("promo", r"^(?:advertisement|sponsored|ad)$"),
    )
)

# Meta tags read for metadata, in order of preference.
TITLE_META: tuple[str, ...] = ("og:title", "twitter:title", "title", "headline")
PUBLISHED_META: tuple[str, ...] = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date",
    "dc.date.issued",
    "sailthru.date",
    "parsely-pub-date",
)
OUTLET_META: tuple[str, ...] = ("og:site_name", "application-name", "publisher")
SECTION_META: tuple[str, ...] = ("article:section", "section", "parsely-section")
# The story's own address: <link rel="canonical"> first (read separately), then these.
URL_META: tuple[str, ...] = ("og:url", "twitter:url")
AUTHOR_META: tuple[str, ...] = ("author", "article:author", "byl", "dc.creator", "parsely-author")

# schema.org types whose JSON-LD describes the story itself.
ARTICLE_LD_TYPES: frozenset[str] = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNews",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
    }
)

# Elements that end a paragraph when text is flattened.
BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "figure",
        "figcaption",
        "address",
        "center",
        "body",
    }
)

# Declared charsets that browsers (WHATWG) read as a superset: "latin-1" means cp1252.
CHARSET_ALIASES: dict[str, str] = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}

# Zone abbreviations dateutil does not know, limited to unambiguous ones (IST is India, Israel
# and Ireland at once, so it stays unknown and such a time is reduced to its day).
TZ_OFFSETS_HOURS: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
}

# Lines that only stamp the story (a date with a time, a numeric date with a byline, an update
# note); `html_trim` drops them at the head and foot of a body when they are short.
TIMESTAMP_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(?:1[89]|20)\d\d\b.{0,40}\b\d{1,2}:\d{2}\b",  # "… 2018 às 0:13", "2019 - 11:28 AMT"
        r"^\s*\d{1,2}[/.-]\d{1,2}[/.-](?:1[89]|20)\d\d\b",  # "05/10/2018 - Published by: …"
        r"^(?:updated|published|posted)\b.{0,30}\d{1,2}:\d{2}",  # "Updated at 1:23 p.m."
    )
)

# A paragraph that only points at another story: "Read more: <headline>", "[Related: …]".
CROSS_LINK_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^[\[(]?\s*(?:related|read more|read also|also read|see more|see also|more)"
        r"\s*:\s*\S.{0,160}$",
    )
)

# The foot of a story: how to reach the reporter, follow the outlet, or get its newsletter.
# Only the trailing run of matching paragraphs is dropped (`html_trim`).
FOOT_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^.{0,200}\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b.{0,200}$",  # a reporter's e-mail address
        r"^(?:follow|like)\b.{0,120}\b(?:twitter|facebook|instagram|youtube|linkedin)\b.{0,80}$",
        r"^follow\b.{0,120}(?:@\w|https?://).{0,80}$",
        # a newsletter pitch: the newsletter or inbox named together with a call to get it
        r"^(?=.{0,240}$)(?=.*\b(?:sign up|subscribe|get|delivered|receive)\b).*"
        r"\b(?:newsletters?|inbox)\b",
        r"^(?:sign up|subscribe)\b.{0,200}$",
    )
)
