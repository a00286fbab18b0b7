"""One open index per process: opened once, refreshed cheaply when a new generation goes live."""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from searchsvc import generations as gens
from searchsvc.errors import GenerationGone, IndexMissing
from searchsvc.indexer import VOCAB
from searchsvc.permalinks import is_generation_name

log = logging.getLogger("searchsvc")
# Older generations opened for pinned permalinks (gen=), most recently used kept open.
OLD_GENERATIONS_OPEN = 2


@dataclass
class OpenIndex:
    """A generation opened for searching; everything derived from it is cached here."""

    generation: gens.Generation
    searcher: Searcher
    meta: dict
    stamp: tuple[int, int] | None
    cache: dict = field(default_factory=dict)  # per-generation answers that cannot change
    _vocab: dict[str, int] | None = None

    @property
    def vocabulary(self) -> dict[str, int]:
        if self._vocab is None:
            try:
                self._vocab = json.loads((self.generation.path / VOCAB).read_text("utf-8"))
            except (OSError, ValueError):
                self._vocab = {}
        return self._vocab

    def close(self) -> None:
        self.searcher.close()


class IndexHandle:
    """Hands out the live generation's searcher, reopening only when CURRENT changes.

    The check per request is one stat() of the pointer file; a worker therefore switches to a new
    generation on the first request after it goes live, without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: OpenIndex | None = None
        self._old: OrderedDict[str, OpenIndex] = OrderedDict()
        self._lock = threading.Lock()

    def get(self) -> OpenIndex:
        stamp = gens.pointer_stamp(self.root)
        current = self._open
        if current is not None and current.stamp == stamp:
            return current
        with self._lock:
            if self._open is not None and self._open.stamp == stamp:
                return self._open
            fresh = self._load(stamp)
            old, self._open = self._open, fresh
        if old is not None and old.generation.name != fresh.generation.name:
            log.info("switched to index generation %s", fresh.generation.name)
        return fresh

    def get_generation(self, name: str) -> OpenIndex:
        """The generation called `name`, opened read-only (the live one when it is that).

        Raises GenerationGone when no complete generation of that name is on disk (any more).
        A generation deleted while it is open here is reported gone on its next use; its
        searcher is not closed under a request still reading it, only dropped.
        """
        live = self.get()
        if name == live.generation.name:
            return live
        generation = gens.Generation(self.root, name)
        if not is_generation_name(name) or not (generation.path / gens.META).is_file():
            with self._lock:
                self._old.pop(name, None)
            raise GenerationGone(name, live.generation.name)
        with self._lock:
            opened = self._old.get(name)
            if opened is None:
                try:
                    opened = self._open_generation(generation, None)
                except IndexMissing:  # deleted (or damaged) since the check above
                    raise GenerationGone(name, live.generation.name) from None
                self._old[name] = opened
                while len(self._old) > OLD_GENERATIONS_OPEN:
                    self._old.popitem(last=False)
            self._old.move_to_end(name)
        return opened

    def _load(self, stamp: tuple[int, int] | None) -> OpenIndex:
        generation = gens.current(self.root)
        if generation is None:
            raise IndexMissing(f"no index has been built in {self.root} yet")
        if self._open is not None and self._open.generation.name == generation.name:
            self._open.stamp = stamp
            return self._open
        return self._open_generation(generation, stamp)

    @staticmethod
    def _open_generation(generation: gens.Generation, stamp: tuple[int, int] | None) -> OpenIndex:
        try:
            ix = whoosh_index.open_dir(str(generation.path))
            searcher = ix.searcher()
        except Exception as exc:  # noqa: BLE001 - a corrupt file can fail in any unpickling way
            # Whoosh reports damaged files through many unrelated exception types
            # (its own IndexError, pickle and struct errors, EOFError); all mean one thing here.
            raise IndexMissing(
                f"index generation {generation.name} cannot be opened ({type(exc).__name__}: "
                f"{exc}); rebuild it"
            ) from exc
        return OpenIndex(generation, searcher, generation.meta(), stamp)

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None
