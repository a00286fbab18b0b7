"""The Whoosh schema and the mapping from a story (Article) to an index document."""

from __future__ import annotations

import json

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from searchsvc.engines.whoosh.analysis import english_analyzer, plain_analyzer
from searchsvc.extract.article import Article, article_from_dict
from searchsvc.ranking import FIELD_BOOSTS, QUERY_FIELDS  # noqa: F401 - re-exported
from searchsvc.stories import day_label, indexed_body, published_day, published_epoch, story_record

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


def story_from_stored(fields: dict) -> Article:
    return article_from_dict(json.loads(fields["story"]))
