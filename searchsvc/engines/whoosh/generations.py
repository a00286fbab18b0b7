"""Index generations on disk: a pointer file names the live one, builds happen beside it.

    index/
      CURRENT              "gen-000007" — replaced atomically (write temp, fsync, rename)
      gen-000007/          a complete Whoosh index + meta.json + extract-cache.json
      .tmp-gen-000008/     a build in progress; renamed to gen-000008 only when complete
      .build.lock          flock()ed by the one running build; the kernel drops it if that
                           process dies, so a stale lock never needs manual clean-up

Readers only ever follow CURRENT, so they see the old generation or the new one, never half.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from searchsvc.errors import IndexMissing
from searchsvc.locking import LOCK_FILE, build_lock  # noqa: F401 - build_lock re-exported

log = logging.getLogger("searchsvc")
POINTER = "CURRENT"
LOCK = LOCK_FILE  # locking.py: the one build lock, every engine
PREFIX = "gen-"
TMP_PREFIX = ".tmp-gen-"
META = "meta.json"
VOCAB = "vocab.json"  # surface word → document frequency, for spelling suggestions
CLUSTERS_FILE = "clusters.json"  # the story clusters computed at index time
CACHE = "extract-cache.json"  # seed file → its stamp and extracted articles (indexing reuses it)
# Per article, what dedup and clustering derive from it, for the next build to reuse.
DERIVED = "derived.pickle"
# The seed files' stamps alone: /api/health compares them with the seeds folder on every call,
# and the extract cache they also sit in is hundreds of MB at 100k files.
STAMPS = "seed-stamps.json"


@dataclass(frozen=True)
class Generation:
    root: Path
    name: str

    @property
    def path(self) -> Path:
        return self.root / self.name

    @property
    def number(self) -> int:
        return int(self.name.removeprefix(PREFIX))

    def meta(self) -> dict:
        try:
            return json.loads((self.path / META).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexMissing(f"generation {self.name} has no readable {META}: {exc}") from exc


def current(root: Path) -> Generation | None:
    """The live generation, or None when no build has completed yet."""
    try:
        name = (root / POINTER).read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexMissing(f"cannot read {root / POINTER}: {exc}") from exc
    if not name.startswith(PREFIX) or not (root / name).is_dir():
        raise IndexMissing(f"{root / POINTER} names {name!r}, which does not exist")
    return Generation(root, name)


def pointer_stamp(root: Path) -> tuple[int, int] | None:
    """A cheap change detector for readers: (inode, mtime) of the pointer file."""
    try:
        st = (root / POINTER).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def generations(root: Path) -> list[Generation]:
    if not root.is_dir():
        return []
    names = sorted(p.name for p in root.iterdir() if p.name.startswith(PREFIX) and p.is_dir())
    return [Generation(root, n) for n in names]


def next_name(root: Path) -> str:
    numbers = [g.number for g in generations(root)]
    live = current_or_none(root)
    if live:
        numbers.append(live.number)
    return f"{PREFIX}{(max(numbers, default=0) + 1):06d}"


def current_or_none(root: Path) -> Generation | None:
    try:
        return current(root)
    except IndexMissing:
        return None


def switch_to(root: Path, generation_dir: Path) -> Generation:
    """Make a fully written temp generation live: rename it into place, then swap the pointer."""
    final_name = generation_dir.name.removeprefix(".tmp-")
    final = root / final_name
    os.rename(generation_dir, final)
    _fsync_dir(root)
    tmp_pointer = root / f".{POINTER}.{os.getpid()}"
    with open(tmp_pointer, "w", encoding="utf-8") as fh:
        fh.write(final_name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp_pointer, root / POINTER)
    _fsync_dir(root)
    return Generation(root, final_name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale(root: Path, keep: int, protected: frozenset[str] = frozenset()) -> list[str]:
    """Delete unfinished temp builds and all but the newest `keep` generations (never the live
    one, nor the `protected` ones: the last verified one when the newer ones are damaged).

    Old generations are kept for a while because a worker may still be answering a request from
    one; `keep` bounds the disk used.
    """
    removed = []
    for path in root.glob(f"{TMP_PREFIX}*"):
        _remove_tree(path)
        removed.append(path.name)
    for path in root.glob(f".{POINTER}.*"):
        path.unlink(missing_ok=True)
    live = current_or_none(root)
    old = [
        g
        for g in generations(root)
        if (live is None or g.name != live.name) and g.name not in protected
    ]
    for g in old[: max(0, len(old) - (keep - 1))]:
        _remove_tree(g.path)
        removed.append(g.name)
    return removed


def remove_generation(generation: Generation) -> None:
    _remove_tree(generation.path)


def _remove_tree(path: Path) -> None:
    """Delete a folder; what cannot be deleted is logged (it keeps its disk space) and left."""

    def report(_function: object, failed: str, exc_info: tuple) -> None:
        log.warning("could not delete %s (%s); it stays on disk until removed", failed, exc_info[1])

    shutil.rmtree(path, onerror=report)


def load_cache(generation: Generation | None) -> dict[str, dict]:
    if generation is None:
        return {}
    try:
        return json.loads((generation.path / CACHE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def built_from(generation: Generation) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
    """The (size, mtime) stamp of every seed file `generation` was built from, and the files it
    skipped. Read once per generation and process: a generation never changes once written."""
    path = generation.path
    return _read_built_from(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _read_built_from(
    path: str, _mtime_ns: int
) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
    folder = Path(path)
    try:
        data = json.loads((folder / STAMPS).read_text("utf-8"))
        stamps, skipped = data["stamps"], data["skipped"]
    except (OSError, ValueError, KeyError):  # built before the stamps file existed
        generation = Generation(folder.parent, folder.name)
        stamps = {name: e["stamp"] for name, e in load_cache(generation).items()}
        skipped = [s["file"] for s in generation.meta().get("skipped", [])]
    return {name: tuple(stamp) for name, stamp in stamps.items()}, frozenset(skipped)
