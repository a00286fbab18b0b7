"""Where a story comes from, as readers and operators need it: its address at the outlet, the
other copies dedup merged into it (outlet, date, title, address; never a file name), and the
files it was read from (for operators, under `source_files` in the API only)."""

from __future__ import annotations

from searchsvc.extract.article import Article, Copy, article_to_dict, published_to_json


def source_files(story: Article) -> list[str]:
    """Every file the story was read from, its own first (listing entries as `file#n`)."""
    return list(dict.fromkeys((story.source_file, *story.also_in)))


def copy_for_readers(copy: Copy) -> dict[str, object]:
    return {
        "title": copy.title,
        "outlet": copy.outlet,
        "published": published_to_json(copy.published),
        "published_approximate": copy.published_approximate,
        "source_url": copy.url,
    }


def copies_for_readers(story: Article) -> list[dict[str, object]]:
    """The other copies of the story, oldest first; one per (outlet, day, title, address)."""
    seen: dict[tuple, dict[str, object]] = {}
    for copy in story.copies:
        view = copy_for_readers(copy)
        seen.setdefault(tuple(view.values()), view)
    return sorted(seen.values(), key=lambda c: (c["published"] is None, c["published"] or ""))


def story_for_readers(story: Article) -> dict[str, object]:
    """The API's form of a whole story: `source_url` is its address at the outlet (`url` is
    left to the caller, for the story's own page here), `copies` the other copies, and
    `source_files` the files it was read from, for operators."""
    record = article_to_dict(story)
    for internal in ("removed", "also_in", "source_file", "url", "copies"):
        record.pop(internal)
    record["source_url"] = story.url
    record["copies"] = copies_for_readers(story)
    record["source_files"] = source_files(story)
    return record
