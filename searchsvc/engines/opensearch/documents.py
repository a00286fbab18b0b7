"""A story (Article) as an index document and back: the fields Whoosh's schema.story_document
indexes, the whole record kept in `story`, and the story's cluster beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from searchsvc.engines.opensearch.mapping import NO_DATE_NEWEST, NO_DATE_OLDEST
from searchsvc.extract.article import Article, article_from_dict, article_to_dict
from searchsvc.model import Cluster


def published_day(published: datetime | date | None) -> date | None:
    """The calendar day as the outlet printed it (its own timezone), for filters and facets."""
    if published is None:
        return None
    return published.date() if isinstance(published, datetime) else published


def published_epoch(published: datetime | date | None) -> int | None:
    if published is None:
        return None
    if isinstance(published, datetime):
        return int(published.timestamp())
    return int(datetime(published.year, published.month, published.day, tzinfo=UTC).timestamp())


def day_label(day: date | None, approximate: bool) -> str:
    """ "2025-06-18", or "~2025-06-11" for an estimated date (the timeline keeps them apart)."""
    if day is None:
        return ""
    return ("~" if approximate else "") + day.isoformat()


def indexed_body(story: Article) -> str:
    """The headline and the text: `body` is searched as the whole story (schema.indexed_body)."""
    title = story.title or ""
    return f"{title}\n\n{story.text}" if title else story.text


def story_record(story: Article) -> dict[str, object]:
    """The stored form of a story (without the extraction audit trail)."""
    record = article_to_dict(story)
    record.pop("removed", None)
    return record


def story_document(story: Article, ordinal: int, cluster: Cluster | None) -> dict[str, object]:
    day = published_day(story.published)
    epoch = published_epoch(story.published)
    doc: dict[str, object] = {
        "id": story.id,
        "body": indexed_body(story),
        "text": story.text,
        "outlet_text": story.outlet or "",
        "category_text": story.category or "",
        "newest": epoch if epoch is not None else NO_DATE_NEWEST,
        "oldest": epoch if epoch is not None else NO_DATE_OLDEST,
        "ordinal": ordinal,
        "cluster": cluster.id if cluster is not None else f"story:{story.id}",
        "clustered": cluster is not None,
        "story": story_record(story),
    }
    # Empty fields are left out: facets count only stories that have the label, and a text
    # field's story count is then Lucene's (idf.py).
    optional = {
        "title": story.title or "",
        "caption": story.caption or "",
        "outlet": story.outlet or "",
        "category": story.category or "",
        "month": day.strftime("%Y-%m") if day else "",
        "day_label": day_label(day, story.published_approximate),
    }
    doc.update({name: value for name, value in optional.items() if value})
    if day:
        doc["day"] = day.isoformat()
    if cluster is not None:
        doc["cluster_stories"] = list(cluster.stories)
    return doc


def story_from_source(source: dict) -> Article:
    return article_from_dict(source["story"])


def cluster_from_source(source: dict) -> Cluster | None:
    if not source.get("clustered"):
        return None
    return Cluster(source["cluster"], tuple(source.get("cluster_stories") or ()))
