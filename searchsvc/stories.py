"""A story's engine-neutral forms: its JSON record, its printed day, its searchable body; and
the whole-story lookups (by id, all of them) shared by the CLI and the web layer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from searchsvc.engines.base import Generation
from searchsvc.extract.article import Article, article_to_dict, published_to_json


def published_day(published: datetime | date | None) -> date | None:
    """The calendar day as the outlet printed it (its own timezone), for filters and facets."""
    if published is None:
        return None
    return published.date() if isinstance(published, datetime) else published


def day_label(day: date | None, approximate: bool) -> str:
    if day is None:
        return ""
    return ("~" if approximate else "") + day.isoformat()


def published_epoch(published: datetime | date | None) -> int | None:
    if published is None:
        return None
    if isinstance(published, datetime):
        return int(published.timestamp())
    return int(datetime(published.year, published.month, published.day, tzinfo=UTC).timestamp())


def indexed_body(story: Article) -> str:
    """The headline and the text: `body` is searched as the whole story, as Lucene's "flat" field.

    Free text is scored per field, so a word only in the headline used to count in `title` alone,
    and a story that states its subject in the headline looked shorter on it than one that repeats
    it in the text. With the headline in `body` too, `title` keeps its weight as a bonus (small
    for sentences, see ranking.py). Only the index holds this: snippets and the matched words are
    taken from the stored story's text, so the reader never sees the headline twice.
    """
    title = story.title or ""
    return f"{title}\n\n{story.text}" if title else story.text


def story_record(story: Article) -> dict[str, object]:
    """The stored JSON form of a story (without the extraction audit trail)."""
    record = article_to_dict(story)
    record.pop("removed", None)
    record["published"] = published_to_json(story.published)
    return record


def all_stories(generation: Generation) -> list[dict]:
    """Every indexed story as a JSON-ready record, newest first (undated last)."""
    stories = list(generation.stories())
    stories.sort(key=lambda s: (s.published is None, _sort_key(s)), reverse=False)
    return [story_record(s) for s in stories]


def _sort_key(story: Article) -> float:
    epoch = published_epoch(story.published)
    return -(epoch or 0)


def get_story(generation: Generation, story_id: str) -> Article:
    """One story by id (raises ArticleNotFound)."""
    return generation.story(story_id)
