"""Writing Whoosh generations (the indexing side only; a serving process never imports this).

A new generation is written into a temporary folder beside the live ones: incrementally when a
previous generation with the same schema exists (its segment files, never modified once
written, are hard-linked and only the difference is written on top), else from scratch. It
goes live by the atomic pointer switch of generations.switch_to.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.util import random_name

from searchsvc.analysis import surface_word_set
from searchsvc.engines.base import (
    Clusters,
    GenerationInfo,
    GenerationWriter,
    Progress,
    resolve_clusters,
)
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh import integrity
from searchsvc.engines.whoosh.schema import build_schema, story_document, story_from_stored
from searchsvc.engines.whoosh.segments import FastSegmentWriter, commit_with, write_segments_with
from searchsvc.extract.article import Article
from searchsvc.model import Cluster

log = logging.getLogger("searchsvc")
# Side files a build keeps beside a generation, never hard-linked into the next one.
SIDE_FILES = (gens.CACHE, gens.VOCAB, gens.STAMPS, gens.DERIVED, gens.META, integrity.MANIFEST)
log = logging.getLogger("searchsvc")


class BuildStorage(FileStorage):
    """The folder a build writes, as Whoosh's FileStorage, without memory maps (through a map,
    Whoosh copies every segment file it opens into a BytesIO: the terms, postings and stored
    fields of the whole index, and the pages read through the map count too; a build reads only
    a few documents and terms of them), and without the error path of temp_storage.

    A segment writer asks for "MAIN.tmp", which usually exists: FileStorage.create catches the
    EEXIST with `e = sys.exc_info()[1]`, a local that holds its own traceback. That cycle keeps
    every frame up the stack alive, so every article and story of the build became garbage only
    the cyclic collector could free (1.6 million objects, 2 s at the end of a 100k build).
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), supports_mmap=False)

    def temp_storage(self, name: str | None = None) -> FileStorage:
        path = os.path.join(self.folder, name or f"{random_name()}.tmp")
        os.makedirs(path, exist_ok=True)
        return FileStorage(path)


def open_for_build(folder: Path) -> whoosh_index.Index:
    """whoosh.index.open_dir on a BuildStorage: the same files are written."""
    return BuildStorage(folder).open_index()


def same_schema(generation: gens.Generation) -> bool:
    """False when the schema gained or lost a field since `generation`: then rebuild fully."""
    try:
        ix = open_for_build(generation.path)
    except Exception as exc:  # noqa: BLE001 - a damaged index fails in many unpickling ways
        log.warning("%s cannot be opened (%r): writing every story afresh", generation.name, exc)
        return False
    try:
        return set(ix.schema.names()) == set(build_schema().names())
    finally:
        ix.close()


def write_generation(  # noqa: PLR0913 - the parts of one write
    target: Path,
    previous: gens.Generation | None,
    stories: list[Article],
    fingerprints: dict[str, str],
    progress: Progress | None,
    parallel_threshold: int,
) -> Written:
    """Write the Whoosh index for `stories` into `target`, incrementally when a base exists.
    `fingerprints` tells a changed story from a kept one.

    Whoosh segment files are never modified after they are written, so the previous generation's
    files can be hard-linked into the new folder and only the difference written on top. Written
    afresh on several cores, the workers also count the spelling vocabulary of their stories
    (it was a tenth of a full build, on one core after them).
    """
    ix, to_delete, to_add = _start_from(target, previous, stories, fingerprints)
    procs = 2 if len(to_add) >= parallel_threshold and (os.cpu_count() or 1) > 1 else 1
    afresh = len(to_add) == len(stories) and not to_delete
    writer = FastSegmentWriter(ix)
    counted = None
    try:
        _delete(writer, to_delete)
        if procs > 1:
            segments, counts = write_segments_with(
                ix, to_add, story_document, procs, word_counts if afresh else None
            )
            if afresh:
                counted = summed_vocabulary(counts)
            if progress:
                progress("index", len(to_add), len(to_add))
            commit_with(writer, segments)
        else:
            _add_one_by_one(writer, to_add, progress)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    ix.close()
    return Written(len(to_add), len(to_delete), counted)


@dataclass(frozen=True)
class Written:
    added: int
    deleted: int
    vocabulary: dict[str, int] | None  # vocabulary(stories), when the writers counted it


def _start_from(
    target: Path,
    previous: gens.Generation | None,
    stories: list[Article],
    fingerprints: dict[str, str],
) -> tuple[whoosh_index.Index, list[str], list[Article]]:
    """The new index (the previous one's segments hard-linked, when usable), the ids to
    delete from it and the stories to add."""
    old = previous.meta().get("fingerprints", {}) if previous else {}
    if not (previous and old and reusable(previous) and same_schema(previous)):
        target.mkdir(parents=True)
        return BuildStorage(target).create_index(build_schema()), [], stories
    shutil.copytree(
        previous.path,
        target,
        copy_function=os.link,
        ignore=shutil.ignore_patterns("*LOCK*", *SIDE_FILES),
    )
    to_delete = [i for i, fp in old.items() if fingerprints.get(i) != fp]
    to_add = [s for s in stories if old.get(s.id) != fingerprints[s.id]]
    return open_for_build(target), to_delete, to_add


def reusable(previous: gens.Generation) -> bool:
    """Whether the files a build would hard-link from `previous` are exactly what was built
    (every checksum against its manifest); a damaged one is never linked into a new
    generation: the index is then written afresh, every story."""
    linked = {p.name for p in previous.path.iterdir() if p.name not in SIDE_FILES}
    damage = integrity.check(previous, full=True, only=linked)
    if damage:
        log.warning(
            "%s is damaged (%s): writing every story afresh instead of reusing its files",
            previous.name,
            integrity.describe(damage),
        )
    return not damage


def usable_base(previous: gens.Generation | None) -> gens.Generation | None:
    """`previous` when its files pass the cheap check against its manifest, else None (and
    the build says why on stderr): nothing of a damaged generation is reused."""
    if previous is None:
        return None
    damage = integrity.check(previous)
    if damage:
        log.warning(
            "the live generation %s is damaged (%s): building every story afresh",
            previous.name,
            integrity.describe(damage),
        )
        return None
    return previous


def last_verified(root: Path) -> gens.Generation | None:
    """The newest generation whose files pass the cheap check (pruning never deletes it)."""
    for generation in reversed(gens.generations(root)):
        if (generation.path / gens.META).is_file() and not integrity.check(generation):
            return generation
    return None


def _delete(writer: FastSegmentWriter, story_ids: list[str]) -> None:
    if story_ids:  # one searcher for all: Whoosh opens every segment anew per delete
        with writer.searcher() as searcher:
            for story_id in story_ids:
                writer.delete_by_term("id", story_id, searcher=searcher)


def _add_one_by_one(
    writer: FastSegmentWriter, stories: list[Article], progress: Progress | None
) -> None:
    for done, story in enumerate(stories, 1):
        writer.add_document(**story_document(story))
        if progress and (done % 200 == 0 or done == len(stories)):
            progress("index", done, len(stories))
    writer.commit()


def stored_stories(folder: gens.Generation, story_ids: list[str]) -> list[Article]:
    """The stories of `folder` with these ids (ValueError names one that is missing)."""
    ix = open_for_build(folder.path)
    try:
        with ix.searcher() as searcher:
            found = []
            for story_id in story_ids:
                fields = searcher.document(id=story_id)
                if fields is None:
                    raise ValueError(f"story {story_id} missing from {folder.name}")
                found.append(story_from_stored(fields))
            return found
    finally:
        ix.close()


class WhooshWriter(GenerationWriter):
    """The writing side of one index root (WhooshEngine.writer())."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.written = (0, 0)  # (stories added, stories deleted) by the last write()
        self._linked: dict[str, dict | None] = {}  # generation written → its base's manifest

    def next_name(self) -> str:
        return gens.next_name(self.root)

    def layout(self) -> str:
        return ",".join(sorted(build_schema().names()))

    def temporary_folder(self, name: str) -> Path:
        """Where generation `name` is written before it goes live (cleared if the build dies)."""
        return self.root / f"{gens.TMP_PREFIX}{name.removeprefix(gens.PREFIX)}"

    def write(
        self,
        stories: Iterable[Article],
        clusters: Clusters,
        info: GenerationInfo,
        base: str | None,
        progress: Progress | None = None,
    ) -> str:
        """The index (`base`'s segments hard-linked, only the changed stories written), then
        beside it meta.json, seed-stamps.json, vocab.json and clusters.json."""
        # Nothing of a damaged generation is reused (its files checked against its manifest).
        previous = usable_base(gens.Generation(self.root, base) if base else None)
        fingerprints = info.extra.get("fingerprints", {})
        stories = list(stories)
        target = self.temporary_folder(info.name)
        try:
            written = write_generation(
                target,
                previous,
                stories,
                fingerprints,
                progress,
                parallel_threshold=info.extra.get("parallel_threshold", 5_000),
            )
            self.written = (written.added, written.deleted)
            # The files hard-linked from `previous` keep its checksums (write_manifest).
            self._linked[info.name] = integrity.manifest(previous) if previous else None
            write_side_files(target, info)
            words = written.vocabulary
            if words is None:
                words = _vocabulary_for(previous, stories, fingerprints)
            _write_json(target / gens.VOCAB, words)
            # Asked for last: a build computes them meanwhile.
            clustered = resolve_clusters(clusters)
            _write_json(target / gens.CLUSTERS_FILE, clusters_document(clustered, info))
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return info.name

    def publish(self, name: str) -> None:
        folder = self.temporary_folder(name)
        integrity.write_manifest(folder, self._linked.pop(name, None))
        gens.switch_to(self.root, folder)

    def prune(self, keep: int) -> list[str]:
        """remove_stale, keeping the last verified generation, and deleting older damaged ones
        (they are never served nor reused) first."""
        live = gens.current_or_none(self.root)
        removed = []
        for generation in gens.generations(self.root):
            if generation != live and integrity.check(generation):
                gens.remove_generation(generation)
                removed.append(generation.name)
        verified = last_verified(self.root)
        protected = frozenset([verified.name]) if verified else frozenset()
        return removed + gens.remove_stale(self.root, keep=keep, protected=protected)


def write_side_files(target: Path, info: GenerationInfo) -> None:
    """meta.json (what the generation says about itself) and the seed stamps (/api/health
    compares them with the seeds folder)."""
    extra = info.extra
    meta = {
        "generation": info.name,
        "built_at": info.built_at,
        "seeds": info.seeds,
        "doc_count": info.doc_count,
        "summary": extra.get("summary", {}),
        "skipped": extra.get("skipped", []),
        "fingerprints": extra.get("fingerprints", {}),
    }
    _write_json(target / gens.META, meta)
    stamps = {"stamps": extra.get("stamps", {}), "skipped": [s["file"] for s in meta["skipped"]]}
    _write_json(target / gens.STAMPS, stamps)


def clusters_document(clusters: list[Cluster], info: GenerationInfo) -> dict:
    return {
        "version": 1,
        "settings": info.extra.get("cluster_settings", {}),
        "seconds": info.extra.get("cluster_seconds", 0.0),
        "clusters": [list(cluster.stories) for cluster in clusters],
    }


def _write_json(path: Path, value: object) -> None:
    """A new file (never one hard-linked from an older generation, which must not change)."""
    path.unlink(missing_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")


def vocabulary(stories: Iterable[Article]) -> dict[str, int]:
    """Document frequency of every surface word, for "did you mean" suggestions."""
    return summed_vocabulary([word_counts(stories)])


def word_counts(stories: Iterable[Article]) -> Counter[str]:
    """In how many of `stories` each surface word occurs (any length)."""
    counts: Counter[str] = Counter()
    for story in stories:
        counts.update(_story_words(story))
    return counts


def summed_vocabulary(parts: Sequence[Counter[str]]) -> dict[str, int]:
    """vocabulary() of consecutive slices' word_counts, in the same order as one count."""
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(part)
    return {w: n for w, n in counts.items() if len(w) > 2}


def _story_words(story: Article) -> set[str]:
    return surface_word_set(" ".join(filter(None, (story.title, story.caption, story.text))))


def updated_vocabulary(
    previous: gens.Generation,
    old: dict[str, str],
    stories: list[Article],
    fingerprints: dict[str, str],
) -> dict[str, int]:
    """vocabulary(stories) from the previous generation's: a story whose fingerprint is
    unchanged has the same words, so only the stories gone or new are counted (out or in)."""
    counts: Counter[str] = Counter(json.loads((previous.path / gens.VOCAB).read_text("utf-8")))
    for story in stories:
        if old.get(story.id) != fingerprints[story.id]:
            counts.update(w for w in _story_words(story) if len(w) > 2)
    gone = [i for i, fp in old.items() if fingerprints.get(i) != fp]
    for story in stored_stories(previous, gone) if gone else ():
        counts.subtract(w for w in _story_words(story) if len(w) > 2)
    return {w: n for w, n in counts.items() if n > 0}


def _vocabulary_for(
    previous: gens.Generation | None, stories: list[Article], fingerprints: dict[str, str]
) -> dict[str, int]:
    old = previous.meta().get("fingerprints", {}) if previous else {}
    if previous and old:
        try:
            return updated_vocabulary(previous, old, stories, fingerprints)
        except (OSError, ValueError) as exc:
            # An unreadable previous vocabulary or index: count afresh (slower, same answer).
            log.warning("vocabulary of %s unusable (%s); counting every story", previous.name, exc)
    return vocabulary(stories)
