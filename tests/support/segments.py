"""Writing the same stories with Whoosh's segment writer and this project's, to compare bytes."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index

from searchsvc.engines.whoosh.schema import build_schema, story_document


def write_with(folder: Path, stories: list, writer_class: type) -> None:
    """One uncompounded segment of `stories` in a new index in `folder`, by `writer_class`."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = writer_class(ix, compound=False)
    for story in stories:
        writer.add_document(**story_document(story))
    writer.commit()


def segment_bytes(folder: Path) -> list[tuple[str, bytes]]:
    """The segment files' contents by suffix (the table of contents and names left out: they
    hold a random segment id)."""
    files = [p for p in folder.iterdir() if not p.name.startswith("_")]
    return sorted((p.suffix, p.read_bytes()) for p in files)
