"""Article files → Article records; `extract_file` is the entry point for the indexer and CLI."""

from __future__ import annotations

from pathlib import Path

from searchsvc.config import DEFAULTS
from searchsvc.errors import ArticleUnreadable
from searchsvc.extract.article import Article, Removed, without_control_characters
from searchsvc.extract.decode import NotText, decode_bytes

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
DEFAULT_MAX_BYTES = DEFAULTS.max_file_bytes

__all__ = ["Article", "Removed", "extract_file", "extract_bytes", "HTML_SUFFIXES"]


def read_article_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file, turning every way it can fail into one named, reportable error."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ArticleUnreadable(str(path), f"cannot stat: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise ArticleUnreadable(str(path), f"too large ({size:,} bytes > {max_bytes:,})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleUnreadable(str(path), f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise ArticleUnreadable(str(path), "empty file")
    return data


def extract_bytes(data: bytes, source_file: str, is_html: bool) -> list[Article]:
    """Extract articles from a file's bytes; raises ArticleUnreadable when nothing is usable."""
    from searchsvc.extract.html import extract_html
    from searchsvc.extract.text import extract_text

    if is_html:
        articles = extract_html(data, source_file)
    else:
        try:
            text = decode_bytes(data)
        except NotText as exc:
            raise ArticleUnreadable(source_file, str(exc)) from exc
        if _looks_like_html(text):
            articles = extract_html(data, source_file)
        else:
            articles = extract_text(text, source_file)
    # The one place every extracted article passes: control characters end here.
    articles = [without_control_characters(a) for a in articles]
    articles = [a for a in articles if a.body or a.title]
    if not articles:
        raise ArticleUnreadable(source_file, "no article text found")
    return articles


def extract_file(
    path: Path, source_name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Article]:
    """Extract every article in one file. `source_name` is how the file is named in records."""
    name = source_name or path.name
    data = read_article_bytes(path, max_bytes)
    return extract_bytes(data, name, path.suffix.lower() in HTML_SUFFIXES)


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text)
