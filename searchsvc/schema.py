"""The Whoosh schema and the mapping from a story (Article) to an index document."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from searchsvc.analysis import english_analyzer, plain_analyzer
from searchsvc.extract.article import Article, article_from_dict, published_to_json

# Query-language field names → index fields. Searching `outlet:asahi` needs a tokenised copy
# of the outlet; facets and filters need the exact label, so each label is indexed twice.
QUERY_FIELDS = {"title": "title", "outlet": "outlet_text", "category": "category_text"}
# Field weights for free text: a match in the title counts more than one in the body, and a
# match only in a photo caption less.
FIELD_BOOSTS = {"title": 2.5, "body": 1.0, "caption": 0.3}
NO_DATE_NEWEST = 0
NO_DATE_OLDEST = 2**62


def build_schema() -> Schema:
    text = english_analyzer()
    plain = plain_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=text, multitoken_query="phrase"),
        body=TEXT(analyzer=text, multitoken_query="phrase"),
        caption=TEXT(analyzer=text, multitoken_query="phrase"),
        outlet=ID(stored=True, sortable=True),
        outlet_text=TEXT(analyzer=plain, multitoken_query="phrase"),
        category=ID(stored=True, sortable=True),
        category_text=TEXT(analyzer=plain, multitoken_query="phrase"),
        month=ID(stored=True, sortable=True),
        # The printed day ("2025-06-18"), or "~2025-06-11" when the date is only an estimate,
        # so the timeline counts both kinds per day with one facet and never mixes them.
        day_label=ID(stored=False, sortable=True),
        day=NUMERIC(int, bits=32, stored=False, sortable=False),
        newest=NUMERIC(int, bits=64, sortable=True),
        oldest=NUMERIC(int, bits=64, sortable=True),
        story=STORED,
    )


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


def story_document(story: Article) -> dict[str, object]:
    """The fields Whoosh indexes for one story; the whole record is kept as JSON in `story`."""
    day = published_day(story.published)
    epoch = published_epoch(story.published)
    doc: dict[str, object] = {
        "id": story.id,
        "title": story.title or "",
        "body": indexed_body(story),
        "caption": story.caption or "",
        "outlet": story.outlet or "",
        "outlet_text": story.outlet or "",
        "category": story.category or "",
        "category_text": story.category or "",
        "month": day.strftime("%Y-%m") if day else "",
        "day_label": day_label(day, story.published_approximate),
        "newest": epoch if epoch is not None else NO_DATE_NEWEST,
        "oldest": epoch if epoch is not None else NO_DATE_OLDEST,
        "story": json.dumps(story_record(story), ensure_ascii=False),
    }
    if day:
        doc["day"] = int(day.strftime("%Y%m%d"))
    return doc


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
    from searchsvc.extract.article import article_to_dict

    record = article_to_dict(story)
    record.pop("removed", None)
    record["published"] = published_to_json(story.published)
    return record


def story_from_stored(fields: dict) -> Article:
    return article_from_dict(json.loads(fields["story"]))
