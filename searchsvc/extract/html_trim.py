"""Trim the chosen body's edges: the chrome every extractor keeps because it sits beside the story.

Extractors agree on where the story's container is, so what they all keep by mistake is the
chrome inside that container: the headline repeated as a first paragraph, a timestamp line, a
"Read more: …" cross-link, and at the foot the reporter's contact line or a newsletter pitch.
These are recognised by their shape (patterns in `html_rules`), and the foot rules only apply
to the trailing run of paragraphs, where such lines live, so a story that quotes a tweet or
mentions a newsletter in its middle keeps it.
"""

from __future__ import annotations

import re

from searchsvc.extract.html_rules import CROSS_LINK_LINES, FOOT_LINES, TIMESTAMP_LINES

__all__ = ["trim_body"]

_WORD = re.compile(r"\w+")
# Leading paragraphs that may repeat the headline or carry the timestamp.
_HEAD_PARAGRAPHS = 3
# A repeated headline is at least this share of the page title (the rest is " | Site name").
_TITLE_SHARE = 0.6
# Timestamp and byline lines are short; a longer paragraph with a date in it is story text.
_MAX_TIMESTAMP_WORDS = 16


def trim_body(paragraphs: tuple[str, ...], title: str | None) -> tuple[str, ...]:
    """The body without edge chrome; the body itself when trimming would leave nothing."""
    kept = list(paragraphs)
    kept = _trim_head(kept, _normalised(title or ""))
    kept = [p for p in kept if not _matches(p, CROSS_LINK_LINES)]
    kept = _trim_foot(kept)
    return tuple(kept) if kept else paragraphs


def _trim_head(paragraphs: list[str], title: str) -> list[str]:
    head = paragraphs[:_HEAD_PARAGRAPHS]
    kept = [p for p in head if not (_repeats_title(p, title) or _is_timestamp(p))]
    return kept + paragraphs[_HEAD_PARAGRAPHS:]


def _trim_foot(paragraphs: list[str]) -> list[str]:
    end = len(paragraphs)
    while end > 0 and (
        _matches(paragraphs[end - 1], FOOT_LINES) or _is_timestamp(paragraphs[end - 1])
    ):
        end -= 1
    return paragraphs[:end]


def _repeats_title(paragraph: str, title: str) -> bool:
    text = _normalised(paragraph)
    return bool(text and title) and text in title and len(text) >= _TITLE_SHARE * len(title)


def _is_timestamp(paragraph: str) -> bool:
    if len(paragraph.split()) > _MAX_TIMESTAMP_WORDS:
        return False
    return any(pattern.search(paragraph) for pattern in TIMESTAMP_LINES)


def _matches(paragraph: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(pattern.search(paragraph) for pattern in patterns)


def _normalised(text: str) -> str:
    """Word characters only, lowercased: extractors disagree on spaces around inline markup."""
    return "".join(_WORD.findall(text)).lower()
