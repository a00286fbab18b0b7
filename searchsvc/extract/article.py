"""The one record type that flows from the extractors through dedup into the index."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from searchsvc.analysis import strip_accents


@dataclass(frozen=True)
class Removed:
    """A piece of a page that was dropped as boilerplate, kept so users can audit the rule."""

    rule: str
    text: str  # the first words of what was removed

    @classmethod
    def of(cls, rule: str, text: str, words: int = 8) -> Removed:
        first = " ".join(text.split()[:words])
        return cls(rule=rule, text=first)


@dataclass(frozen=True)
class Copy:
    """Another file's copy of a story, as dedup found it: what a reader needs to find it
    (outlet, date, title, address) and the file it came from (for operators only)."""

    source_file: str
    title: str | None = None
    outlet: str | None = None
    published: datetime | date | None = None
    published_approximate: bool = False
    url: str | None = None

    @classmethod
    def of(cls, article: Article) -> Copy:
        return cls(
            source_file=article.source_file,
            title=article.title,
            outlet=article.outlet,
            published=article.published,
            published_approximate=article.published_approximate,
            url=article.url,
        )


@dataclass(frozen=True)
class Article:
    """One story as extracted from one file (or one entry of a listing page).

    `published` is a timezone-aware datetime when the page gives a time, a plain `date` when it
    gives only a day, and None when it gives nothing. `published_approximate` marks a date that
    was estimated (e.g. from "14 hours ago" on a listing page) rather than read. `url` is the
    story's address at its outlet, when the file states one (never guessed). `also_in` names
    every file dedup found the story in; `copies` describes the other files' copies.
    """

    title: str | None
    body: tuple[str, ...]
    source_file: str
    outlet: str | None = None
    published: datetime | date | None = None
    published_approximate: bool = False
    category: str | None = None
    byline: str | None = None
    dateline: str | None = None
    caption: str | None = None
    removed: tuple[Removed, ...] = ()
    also_in: tuple[str, ...] = ()
    copies: tuple[Copy, ...] = ()
    url: str | None = None
    layout: str = "generic"
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", content_id(self.title, self.body))

    @property
    def text(self) -> str:
        """The body as one string, paragraphs separated by blank lines."""
        return "\n\n".join(self.body)

    def with_changes(self, **changes: object) -> Article:
        return replace(self, **changes)


# Terminal escape sequences whole (CSI: ESC [ ... letter; OSC: ESC ] ... BEL or ESC \), then any
# other C0 or C1 control character but tab and newline: they mean nothing in a story, and would
# reach pages, JSON, CSV and terminals.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control_characters(text: str) -> str:
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def without_control_characters(article: Article) -> Article:
    """The article with control characters removed from every text field (tab and newline kept);
    the same object when it had none, as nearly every article has none."""
    texts = (article.title, article.outlet, article.category, article.byline, article.dateline)
    texts += (article.caption, *article.body, *article.also_in, *(r.text for r in article.removed))
    if not any(_CONTROL.search(text) for text in texts if text):
        return article

    def clean(text: str | None) -> str | None:
        return strip_control_characters(text) if text else text

    body = tuple(p for p in (strip_control_characters(p) for p in article.body) if p.strip())
    cleaned = article.with_changes(
        title=clean(article.title),
        body=body,
        outlet=clean(article.outlet),
        category=clean(article.category),
        byline=clean(article.byline),
        dateline=clean(article.dateline),
        caption=clean(article.caption),
        also_in=tuple(strip_control_characters(name) for name in article.also_in),
        removed=tuple(Removed(r.rule, strip_control_characters(r.text)) for r in article.removed),
    )
    if article.id == content_id(article.title, article.body):  # an id made from the words
        return cleaned.with_changes(id=content_id(cleaned.title, cleaned.body))
    return cleaned


_NON_WORD = re.compile(r"[\W_]+")


def normalise_for_identity(text: str) -> str:
    """Fold case, accents, quotes and punctuation so trivial re-encodings keep the same identity."""
    return _NON_WORD.sub(" ", strip_accents(text).lower()).strip()


def content_id(title: str | None, body: tuple[str, ...]) -> str:
    """A stable id from the story's words, independent of file names and file order."""
    basis = normalise_for_identity(" ".join(body)) or normalise_for_identity(title or "")
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def published_to_json(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def published_from_json(value: str | None) -> datetime | date | None:
    """ISO text back to a datetime (when it carries a time) or a date (when it does not)."""
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def article_to_dict(article: Article) -> dict[str, object]:
    """A JSON-ready dict; `published` as ISO text, tuples as lists."""
    return {
        "id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "published": published_to_json(article.published),
        "published_approximate": article.published_approximate,
        "category": article.category,
        "byline": article.byline,
        "dateline": article.dateline,
        "caption": article.caption,
        "body": list(article.body),
        "source_file": article.source_file,
        "also_in": list(article.also_in),
        "copies": [copy_to_dict(copy) for copy in article.copies],
        "url": article.url,
        "layout": article.layout,
        "removed": [{"rule": r.rule, "text": r.text} for r in article.removed],
    }


def article_from_dict(data: dict) -> Article:
    return Article(
        id=data["id"],
        title=data.get("title"),
        outlet=data.get("outlet"),
        published=published_from_json(data.get("published")),
        published_approximate=bool(data.get("published_approximate")),
        category=data.get("category"),
        byline=data.get("byline"),
        dateline=data.get("dateline"),
        caption=data.get("caption"),
        body=tuple(data.get("body") or ()),
        source_file=data["source_file"],
        also_in=tuple(data.get("also_in") or ()),
        copies=tuple(copy_from_dict(c) for c in data.get("copies") or ()),
        url=data.get("url"),
        layout=data.get("layout", "generic"),
        removed=tuple(Removed(**r) for r in data.get("removed") or ()),
    )


def copy_to_dict(copy: Copy) -> dict[str, object]:
    return {
        "source_file": copy.source_file,
        "title": copy.title,
        "outlet": copy.outlet,
        "published": published_to_json(copy.published),
        "published_approximate": copy.published_approximate,
        "url": copy.url,
    }


def copy_from_dict(data: dict) -> Copy:
    return Copy(
        source_file=data["source_file"],
        title=data.get("title"),
        outlet=data.get("outlet"),
        published=published_from_json(data.get("published")),
        published_approximate=bool(data.get("published_approximate")),
        url=data.get("url"),
    )
