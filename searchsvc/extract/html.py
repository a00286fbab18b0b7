"""HTML news pages → Article records.

The flow: bytes → text (charsets that lie are common) → BeautifulSoup tree → metadata from meta
tags and JSON-LD → candidate bodies (our own DOM scoring, and trafilatura / readability when
installed) → the candidate `html_scoring.choose_body` trusts most → its edges trimmed of the
chrome all extractors keep (`html_trim`) → one Article. Pages nested
too deeply for a tree fall back to flat text so that they still index.
"""

from __future__ import annotations

import functools
import html as html_entities
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from bs4 import BeautifulSoup, Tag
from charset_normalizer import from_bytes
from dateutil import parser as date_parser

from searchsvc.extract.article import Article, Removed
from searchsvc.extract.decode import decode_bytes
from searchsvc.extract.html_rules import (
    ARTICLE_LD_TYPES,
    AUTHOR_META,
    CHARSET_ALIASES,
    OUTLET_META,
    PUBLISHED_META,
    SECTION_META,
    TITLE_META,
    TZ_OFFSETS_HOURS,
    URL_META,
)
from searchsvc.extract.html_scoring import (
    Candidate,
    choose_body,
    extract_dom_story,
    flatten_blocks,
    split_paragraphs,
)
from searchsvc.extract.html_trim import trim_body

try:  # optional extractors: each installed one adds a candidate body
    import trafilatura
except ImportError:  # pragma: no cover - depends on the environment
    trafilatura = None
try:
    from readability import Document as ReadabilityDocument
except ImportError:  # pragma: no cover - depends on the environment
    ReadabilityDocument = None
try:
    import justext
except ImportError:  # pragma: no cover - depends on the environment
    justext = None

__all__ = ["extract_html", "decode_html", "parse_published", "PageMetadata", "read_metadata"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_MULTIBYTE_FAMILIES = (
    "cp932",
    "shift_jis",
    "euc_jp",
    "iso2022_jp",
    "cp949",
    "euc_kr",
    "gb",
    "big5",
)
_FLAT_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.I | re.S)
_FLAT_BREAK = re.compile(r"<\s*(?:br|/?p|/?div|/?h\d|/?li|/?tr|/?blockquote)\b[^>]*>", re.I)
_TABLE_RULER = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*$")
_FLAT_TAG = re.compile(r"<[^>]*>")


def extract_html(data: bytes, source_file: str) -> list[Article]:
    """Extract the story of one HTML page; an unusable page gives an empty list, never an error."""
    text = decode_html(data)
    if not text.strip():
        return []
    try:
        return [_extract_tree(text, source_file)]
    except RecursionError:
        # Pathologically nested markup (thousands of levels) defeats tree walkers; the words
        # are still worth indexing, so fall back to tag-stripped text.
        return [_extract_flat(text, source_file)]


def decode_html(data: bytes) -> str:
    """Bytes → str: BOM, strict UTF-8, the declared charset, then detection.

    A declared single-byte charset is overruled when detection finds a CJK multi-byte
    encoding, because Shift_JIS or EUC-KR bytes decode "successfully" as cp1252 mojibake.
    The XML declaration is removed: lxml refuses str input that carries one.
    """
    declared = _declared_charset(data[:4096])
    text = decode_bytes(data, declared)
    if declared and _is_single_byte(declared) and not _is_utf8(data):
        text = _prefer_detected_multibyte(data, text)
    return _XML_DECLARATION.sub("", text, count=1)


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").strip().lower()
    return CHARSET_ALIASES.get(name, name)


def _is_single_byte(encoding: str) -> bool:
    return encoding.startswith(("cp125", "iso-8859", "iso8859", "windows-", "koi8", "mac"))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _prefer_detected_multibyte(data: bytes, decoded: str) -> str:
    best = from_bytes(data).best()
    if best is None or not best.encoding.lower().startswith(_MULTIBYTE_FAMILIES):
        return decoded
    return str(best)


def _extract_tree(text: str, source_file: str) -> Article:
    soup = BeautifulSoup(text, "lxml")
    metadata = read_metadata(soup)
    story = extract_dom_story(soup)
    candidates = [Candidate("dom", story.paragraphs)]
    candidates.extend(_library_candidates(text))
    if metadata.ld_body:
        candidates.append(Candidate("jsonld", split_paragraphs(metadata.ld_body)))
    body = trim_body(choose_body(candidates, _library_voters(text)), metadata.title)
    return Article(
        title=metadata.title,
        body=body,
        source_file=source_file,
        outlet=metadata.outlet,
        published=metadata.published,
        category=metadata.category,
        byline=metadata.byline,
        url=metadata.url,
        caption=story.caption,
        removed=story.removed,
        layout="html",
    )


def _extract_flat(text: str, source_file: str) -> Article:
    stripped = _FLAT_DROP.sub(" ", text)
    stripped = _FLAT_BREAK.sub("\n\n", stripped)
    stripped = html_entities.unescape(_FLAT_TAG.sub(" ", stripped))
    body = split_paragraphs(stripped)
    return Article(
        title=None,
        body=body,
        source_file=source_file,
        removed=(Removed.of("flat-fallback", "markup nested too deeply for a tree"),),
        layout="html-flat",
    )


def _library_candidates(text: str) -> list[Candidate]:
    """Bodies from the extraction libraries that are installed; each is one more opinion."""
    found = []
    if trafilatura is not None:
        extracted = trafilatura.extract(text, include_comments=False, favor_precision=True)
        if extracted:
            found.append(Candidate("trafilatura", _without_table_rules(extracted)))
    if ReadabilityDocument is not None:
        summary = ReadabilityDocument(text).summary(html_partial=True)
        if summary.strip():
            found.append(Candidate("readability", tuple(_summary_paragraphs(summary))))
    return found


# trafilatura's other settings: each keeps a different margin around the story, so they vote on
# paragraphs; they are too alike to the main trafilatura candidate to be chosen among.
_TRAFILATURA_VOTERS: tuple[dict[str, bool], ...] = ({}, {"favor_recall": True})


def _library_voters(text: str) -> list[Candidate]:
    """Extra opinions for paragraph voting: trafilatura's other settings and jusText."""
    found = []
    if trafilatura is not None:
        for settings in _TRAFILATURA_VOTERS:
            extracted = trafilatura.extract(text, include_comments=False, **settings)
            if extracted:
                found.append(Candidate("trafilatura-vote", _without_table_rules(extracted)))
    if justext is not None:
        found.append(Candidate("justext", _justext_paragraphs(text)))
    return found


def _justext_paragraphs(text: str) -> tuple[str, ...]:
    """jusText's good paragraphs, judged with every language's stop words (pages are mixed)."""
    try:
        paragraphs = justext.justext(text.encode("utf-8"), _all_stoplists(), encoding="utf-8")
    except Exception:  # noqa: BLE001 - jusText raises bare errors on odd markup; one vote less
        return ()
    return tuple(" ".join(p.text.split()) for p in paragraphs if not p.is_boilerplate)


@functools.cache
def _all_stoplists() -> frozenset[str]:
    return frozenset().union(*(justext.get_stoplist(name) for name in justext.get_stoplists()))


def _without_table_rules(text: str) -> tuple[str, ...]:
    """trafilatura renders tables as `| a | b |` rows; keep the cell text, drop the rulers."""
    lines = (_TABLE_RULER.sub("", line).strip(" |") for line in text.splitlines())
    return split_paragraphs("\n".join(line for line in lines if line.strip(" -|:")))


def _summary_paragraphs(summary_html: str) -> list[str]:
    soup = BeautifulSoup(summary_html, "lxml")
    for caption in soup.find_all("figcaption"):
        caption.decompose()
    return [block.text for block in flatten_blocks(soup.body or soup)]


@dataclass(frozen=True)
class PageMetadata:
    """What the page says about its story; every field is None when the page does not say."""

    title: str | None = None
    published: datetime | date | None = None
    outlet: str | None = None
    category: str | None = None
    byline: str | None = None
    ld_body: str | None = None  # JSON-LD articleBody, used when the DOM yields little
    url: str | None = None  # the story's address: canonical link, og:url, JSON-LD url


def read_metadata(soup: BeautifulSoup) -> PageMetadata:
    """Collect title, date, outlet, section, author and JSON-LD body from one parsed page."""
    meta = _meta_values(soup)
    story = _article_ld(soup)
    return PageMetadata(
        title=_first(meta, TITLE_META) or _text(story.get("headline")) or _title_tag(soup),
        published=_first_date(
            [meta.get(key) for key in PUBLISHED_META] + [_text(story.get("datePublished"))]
        ),
        outlet=_first(meta, OUTLET_META) or _name(story.get("publisher")),
        category=_first(meta, SECTION_META) or _text(story.get("articleSection")),
        byline=_author_meta(meta) or _name(story.get("author")),
        ld_body=_text(story.get("articleBody")),
        url=_canonical_link(soup)
        or _web_address(_first(meta, URL_META))
        or _web_address(_text(story.get("url")) or _text(story.get("mainEntityOfPage"))),
    )


_WEB_ADDRESS = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)


def _web_address(value: str | None) -> str | None:
    """An absolute http(s) address, or None (relative or odd values are not guessed at)."""
    value = (value or "").strip()
    return value if _WEB_ADDRESS.match(value) else None


def _canonical_link(soup: BeautifulSoup) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        rels = rel if isinstance(rel, list) else str(rel).split()
        if "canonical" in (r.lower() for r in rels):
            return _web_address(link["href"])
    return None


_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}\s*$|^\s*\d{8}\s*$")
_TZINFOS = {name: int(hours * 3600) for name, hours in TZ_OFFSETS_HOURS.items()}
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_URL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


def parse_published(value: str | None) -> datetime | date | None:
    """A tz-aware datetime when the value has a time and zone, a `date` when it has only a day.

    A time without a zone is reduced to its day: the day is what the page states, while a
    zone would be invented.
    """
    if not value or not value.strip():
        return None
    try:
        with warnings.catch_warnings():
            # An unknown zone name leaves the time naive, which is handled below.
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)
            parsed = date_parser.parse(value.strip(), tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError):
        return None
    if _DATE_ONLY.match(value) or not _HAS_TIME.search(value):
        return parsed.date()
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return parsed.date()
    return parsed


def _meta_values(soup: BeautifulSoup) -> dict[str, str]:
    values: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            values.setdefault(key.strip().lower(), " ".join(content.split()))
    return values


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((meta[key] for key in keys if meta.get(key)), None)


def _author_meta(meta: dict[str, str]) -> str | None:
    # article:author is often a profile URL, which is not a byline.
    names = (meta.get(key) for key in AUTHOR_META)
    return next((name for name in names if name and not _URL.match(name)), None)


def _first_date(values: list[str | None]) -> datetime | date | None:
    return next((d for d in (parse_published(v) for v in values) if d is not None), None)


def _title_tag(soup: BeautifulSoup) -> str | None:
    title = soup.find("title")
    text = " ".join(title.get_text(" ").split()) if isinstance(title, Tag) else ""
    return text or None


def _article_ld(soup: BeautifulSoup) -> dict[str, object]:
    """The first JSON-LD object typed as an article, or an empty dict."""
    for script in soup.find_all("script", attrs={"type": re.compile("ld\\+json", re.I)}):
        try:
            data = json.loads(script.get_text(), strict=False)
        except ValueError:
            continue  # broken JSON-LD is common; the meta tags still speak
        for item in _ld_items(data):
            if _ld_types(item) & ARTICLE_LD_TYPES:
                return item
    return {}


def _ld_items(data: object) -> Iterator[dict[str, object]]:
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)


def _ld_types(item: dict[str, object]) -> set[str]:
    kind = item.get("@type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _text(value: object) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _name(value: object) -> str | None:
    """schema.org Person/Organization (or a list of them, or a bare string) → display name."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip() and not _URL.match(name):
            names.append(" ".join(name.split()))
    return ", ".join(names) or None
