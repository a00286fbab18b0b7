"""One story as a search hit: the fields every engine fills the same way.

Engines differ in how they score, highlight and explain; what a hit says about its story
(title, outlet, date, address, other copies, source files) must not. Both engines build their
hits here, so the page, the API and the exports cannot tell which engine answered.
"""

from __future__ import annotations

from searchsvc.extract.article import Article
from searchsvc.model import Hit
from searchsvc.provenance import copies_for_readers, source_files


def hit_of(  # noqa: PLR0913 - the engine-specific parts of one hit
    story: Article,
    *,
    score: float | None,
    snippet: str,
    matched: dict[str, list[str]],
    explain: dict | None = None,
    cluster: dict | None = None,
) -> Hit:
    return Hit(
        id=story.id,
        title=story.title,
        outlet=story.outlet,
        published=story.published.isoformat() if story.published else None,
        published_approximate=story.published_approximate,
        category=story.category,
        score=round(score, 4) if score is not None else None,
        snippet=snippet,
        source_files=source_files(story),
        source_url=story.url,
        copies=copies_for_readers(story),
        matched=matched,
        explain=explain,
        cluster=cluster,
    )
