"""Whole-story lookups (by id, all of them) shared by the CLI and the web layer."""

from __future__ import annotations

from searchsvc.errors import ArticleNotFound
from searchsvc.extract.article import Article
from searchsvc.schema import story_from_stored, story_record
from searchsvc.searcher import OpenIndex


def all_stories(opened: OpenIndex) -> list[dict]:
    """Every indexed story as a JSON-ready record, newest first (undated last)."""
    stories = [story_from_stored(fields) for fields in opened.searcher.all_stored_fields()]
    stories.sort(key=lambda s: (s.published is None, _sort_key(s)), reverse=False)
    return [story_record(s) for s in stories]


def _sort_key(story: Article) -> float:
    from searchsvc.schema import published_epoch

    epoch = published_epoch(story.published)
    return -(epoch or 0)


def get_story(opened: OpenIndex, story_id: str) -> Article:
    fields = opened.searcher.document(id=story_id)
    if fields is None:
        raise ArticleNotFound(f"no story with id {story_id!r}")
    return story_from_stored(fields)
