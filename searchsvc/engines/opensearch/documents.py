"""A story (Article) as an index document and back: the fields Whoosh's schema.story_document
indexes, the whole record kept in `story`, and the story's cluster beside it."""

from __future__ import annotations

from searchsvc.engines.opensearch.mapping import NO_DATE_NEWEST, NO_DATE_OLDEST
from searchsvc.extract.article import Article, article_from_dict
from searchsvc.model import Cluster
from searchsvc.stories import (
    day_label,
    indexed_body,
    published_day,
    published_epoch,
    story_record,
)


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
