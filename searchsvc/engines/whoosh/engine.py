"""The Whoosh engine: generations in folders under one index root (generations.py), opened once
per process and refreshed when a new one goes live; each opened generation answers plans
(execution.py) and owns its caches (reading.py). The contract is engines/base.py."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from pathlib import Path

from whoosh.searching import Searcher

from searchsvc.engines.base import Engine, Generation, GenerationInfo, GenerationWriter
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh import integrity
from searchsvc.engines.whoosh.collapsing import StoryClusters
from searchsvc.engines.whoosh.execution import run_plan
from searchsvc.engines.whoosh.postings import CACHE_BYTES, PostingsStore
from searchsvc.engines.whoosh.ranking import weighting
from searchsvc.engines.whoosh.reading import GenerationCaches, open_searcher
from searchsvc.engines.whoosh.schema import story_from_stored
from searchsvc.errors import ArticleNotFound, GenerationGone, IndexDamaged, IndexMissing
from searchsvc.extract.article import Article
from searchsvc.model import Cluster, Matches, SearchPlan
from searchsvc.permalinks import is_generation_name
from searchsvc.ranking import DEFAULT_RANKING

log = logging.getLogger("searchsvc")
# Older generations opened for pinned permalinks (gen=), most recently used kept open.
OLD_GENERATIONS_OPEN = 2
APPROXIMATE_MARK = "~"  # a day_label of an estimated date (schema.day_label)


class WhooshGeneration(Generation):
    """One generation folder opened for searching; everything derived from it is in `caches`."""

    def __init__(
        self,
        folder: gens.Generation,
        searcher: Searcher,
        meta: dict,
        stamp: tuple[int, int] | None,
        store: PostingsStore | None = None,
    ) -> None:
        self.folder = folder
        self.searcher = searcher
        self.meta = meta
        self.stamp = stamp
        self.caches = GenerationCaches(folder, searcher, store)
        self.manifest = integrity.manifest(folder)
        self._info = GenerationInfo(
            name=folder.name,
            doc_count=meta.get("doc_count", searcher.doc_count()),
            built_at=meta.get("built_at") or _folder_time(folder),
            seeds=str(meta.get("seeds", "")),
            extra=meta,
        )

    @property
    def info(self) -> GenerationInfo:
        return self._info

    @property
    def clusters(self) -> StoryClusters:
        return self.caches.clusters

    def scoring(self, model: object) -> Searcher:
        """A searcher scoring with `model` over this generation (see GenerationCaches)."""
        return self.caches.scoring(model)  # type: ignore[arg-type]

    def run(self, plan: SearchPlan) -> Matches:
        try:
            return run_plan(self.caches, plan)
        except Exception as exc:
            self._raise_if_damaged(exc)
            raise

    def damage(self) -> list[integrity.Problem]:
        """The files that differ from the manifest: the cheap check, a stat() per file (some
        twenty microseconds), at every use of the generation."""
        return integrity.check(self.folder, recorded=self.manifest)

    def refuse_if_damaged(self) -> None:
        """Raise IndexDamaged when the cheap check finds a file that is not what was built."""
        damage = self.damage()
        if damage:
            raise IndexDamaged(self.name, integrity.describe(damage))

    def _raise_if_damaged(self, error: Exception) -> None:
        """A failure while reading: IndexDamaged when the files are not what was built (a
        full check), else nothing (the caller re-raises the error as it is)."""
        damage = integrity.check(self.folder, full=True, recorded=self.manifest)
        if damage:
            log.error("reading %s failed (%r): its files are damaged", self.name, error)
            raise IndexDamaged(self.name, integrity.describe(damage)) from error

    def check(self, full: bool = False) -> list[str]:
        return [str(problem) for problem in integrity.check(self.folder, full=full)]

    def story(self, story_id: str) -> Article:
        fields = self.searcher.document(id=story_id)
        if fields is None:
            raise ArticleNotFound(f"no story with id {story_id!r}")
        return story_from_stored(fields)

    def stories(self) -> Iterator[Article]:
        for fields in self.searcher.all_stored_fields():
            yield story_from_stored(fields)

    def related(self, story_id: str, limit: int) -> list[Article]:
        """More like this, scored with the default BM25F whatever searches ran before."""
        searcher = self.scoring(weighting(DEFAULT_RANKING))
        docnum = searcher.document_number(id=story_id)
        if docnum is None:
            return []
        body = story_from_stored(searcher.stored_fields(docnum)).text
        if not body:
            return []
        related = []
        for hit in searcher.more_like(docnum, "body", text=body, top=limit + 1):
            story = story_from_stored(hit.fields())
            if story.id != story_id:
                related.append(story)
        return related[:limit]

    def labels(self, field_name: str) -> list[str]:
        return self.caches.label_values(field_name)

    def built_from(self) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
        return gens.built_from(self.folder)

    def vocabulary(self) -> dict[str, int]:
        return self.caches.vocabulary

    def cluster_of(self, story_id: str) -> Cluster | None:
        return self.caches.clusters.cluster_of(story_id)

    def cluster_count(self) -> int:
        return len(self.caches.clusters.clusters)

    def collected_days(self) -> dict[date, int]:
        """Stories with an exact date per day in the whole generation (estimates left out)."""

        def count() -> dict[date, int]:
            everything = self.run(SearchPlan(tree=None, mode="browse", limit=1))
            return {
                date.fromisoformat(item["value"]): item["count"]
                for item in everything.facets.get("day_label", [])
                if not item["value"].startswith(APPROXIMATE_MARK)
            }

        return self.caches.collected_days(count)

    def close(self) -> None:
        self.caches.close()
        self.searcher.close()


def _folder_time(folder: gens.Generation) -> str:
    """A generation without a recorded build time: its folder's modification time (UTC)."""
    stamp = int(folder.path.stat().st_mtime)
    return datetime.fromtimestamp(stamp, UTC).isoformat()


class WhooshEngine(Engine):
    """The generations under one index root, opened once per process.

    The live generation is re-checked with one stat() of the pointer file per call, so a worker
    switches to a new generation on the first request after it goes live, without a restart.
    """

    def __init__(self, root: Path, cache_bytes: int = CACHE_BYTES) -> None:
        self.root = Path(root)
        # Decoded postings, shared by the generations this process opens (see postings.py).
        self.store = PostingsStore(cache_bytes)
        self._open: WhooshGeneration | None = None
        self._old: OrderedDict[str, WhooshGeneration] = OrderedDict()
        self._lock = threading.Lock()

    def live(self) -> WhooshGeneration:
        """The live generation; IndexDamaged when its files are not what was built."""
        opened = self._live()
        opened.refuse_if_damaged()
        return opened

    def live_name(self) -> str:
        """The pointer's generation, checked against its manifest (the cheap check), without
        opening it: opening reads every segment's table of contents and, at 100k stories,
        copied 390 MB of segment files into memory for a no-op build that needs only the name."""
        folder = self._live_folder()
        _refuse_if_damaged(folder)
        return folder.name

    def _live(self) -> WhooshGeneration:
        stamp = gens.pointer_stamp(self.root)
        current = self._open
        if current is not None and current.stamp == stamp:
            return current
        with self._lock:
            if self._open is not None and self._open.stamp == stamp:
                return self._open
            fresh = self._load(stamp)
            old, self._open = self._open, fresh
        if old is not None and old.name != fresh.name:
            log.info("switched to index generation %s", fresh.name)
        return fresh

    def pinned(self, name: str) -> WhooshGeneration:
        """The generation called `name`, opened read-only (the live one when it is that).

        Raises GenerationGone when no complete generation of that name is on disk (any more).
        A generation deleted while it is open here is reported gone on its next use; its
        searcher is not closed under a request still reading it, only dropped.
        """
        live = self._live()
        if name == live.name:
            live.refuse_if_damaged()
            return live
        folder = gens.Generation(self.root, name)
        if not is_generation_name(name) or not (folder.path / gens.META).is_file():
            with self._lock:
                self._old.pop(name, None)
            raise GenerationGone(name, live.name)
        with self._lock:
            opened = self._old.get(name)
            if opened is None:
                try:
                    opened = self._open_generation(folder, None)
                except IndexMissing:  # deleted (or damaged) since the check above
                    raise GenerationGone(name, live.name) from None
                self._old[name] = opened
                while len(self._old) > OLD_GENERATIONS_OPEN:
                    self._old.popitem(last=False)
            self._old.move_to_end(name)
        opened.refuse_if_damaged()
        return opened

    def health(self) -> dict:
        """ "ok", or "degraded" naming what is wrong: a damaged file of the live generation (its
        searches answer 503), or a missing pointer file (the generation open is kept)."""
        try:
            live = self._live()
        except IndexDamaged as exc:  # too damaged to open at all
            return {"status": "degraded", "generation": exc.generation, "problems": [str(exc)]}
        problems = [str(problem) for problem in live.damage()]
        if gens.pointer_stamp(self.root) is None:
            problems.insert(
                0,
                f"the pointer file {gens.POINTER} is missing from the index folder; serving "
                f"{live.name}, the last generation opened (the next build writes it again)",
            )
        answer = {
            "status": "degraded" if problems else "ok",
            "generation": live.name,
            "doc_count": live.meta.get("doc_count"),
            "built_at": live.meta.get("built_at"),
        }
        if problems:
            answer["problems"] = problems
        return answer

    def check(self, full: bool = False) -> dict[str, list[str]]:
        """Every complete generation on disk, the live one first (a missing pointer is the
        live one's problem), without opening any."""
        live = gens.current_or_none(self.root)
        complete = [g for g in gens.generations(self.root) if (g.path / gens.META).is_file()]
        if live is None and not complete:
            raise IndexMissing(f"no index has been built in {self.root} yet")
        ordered = sorted(complete, key=lambda g: (live is None or g.name != live.name, -g.number))
        found = {g.name: [str(p) for p in integrity.check(g, full=full)] for g in ordered}
        if gens.pointer_stamp(self.root) is None:
            found[ordered[0].name].insert(0, f"the pointer file {gens.POINTER} is missing")
        return found

    def build_lock(self, wait_s: float = 0.0) -> AbstractContextManager[None]:
        return gens.build_lock(self.root, wait_s=wait_s)

    def writer(self) -> GenerationWriter:
        from searchsvc.engines.whoosh.writing import WhooshWriter  # the serving side never needs it

        return WhooshWriter(self.root)

    def _load(self, stamp: tuple[int, int] | None) -> WhooshGeneration:
        folder = self._live_folder()
        if self._open is not None and self._open.name == folder.name:
            self._open.stamp = stamp
            return self._open
        return self._open_generation(folder, stamp)

    def _live_folder(self) -> gens.Generation:
        """The pointer's generation (or, without a pointer, see _without_pointer)."""
        folder = gens.current(self.root)
        if folder is None:
            folder = self._without_pointer()
        if folder is None:
            raise IndexMissing(f"no index has been built in {self.root} yet")
        return folder

    def _without_pointer(self) -> gens.Generation | None:
        """No pointer file (deleted by hand): keep the generation open here, else the newest
        complete one on disk (a worker started since); None when there is none."""
        if self._open is not None:
            return self._open.folder
        complete = [g for g in gens.generations(self.root) if (g.path / gens.META).is_file()]
        if complete:
            log.warning(
                "%s is missing from %s; serving the newest generation, %s",
                gens.POINTER,
                self.root,
                complete[-1].name,
            )
        return complete[-1] if complete else None

    def _open_generation(
        self, folder: gens.Generation, stamp: tuple[int, int] | None
    ) -> WhooshGeneration:
        _refuse_if_damaged(folder)  # Whoosh would read it without complaint, and answer wrongly
        searcher = open_searcher(folder)
        return WhooshGeneration(folder, searcher, folder.meta(), stamp, self.store)

    def release_readers(self) -> None:
        """Close the live generation: it is opened again by its next use."""
        with self._lock:
            opened, self._open = self._open, None
        if opened is not None:
            opened.close()

    def close(self) -> None:
        self.release_readers()


def _refuse_if_damaged(folder: gens.Generation) -> None:
    """IndexDamaged when the cheap check finds a file of `folder` that is not what was built."""
    damage = integrity.check(folder)
    if damage:
        raise IndexDamaged(folder.name, integrity.describe(damage))
