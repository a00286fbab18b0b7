"""The seeds folder: which files it holds, and which of them a generation does not reflect.

Read by the indexing pipeline (what to extract) and by the health endpoint (is the index stale?),
so it imports nothing of either side.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from searchsvc.engines.base import Generation


@dataclass(frozen=True)
class SeedFile:
    location: str  # where to read it (os.scandir's path: a Path per file was a third of a scan)
    name: str  # relative to the seeds folder, POSIX separators
    stamp: tuple[int, int]  # (size, mtime_ns): unchanged stamp → reuse cached extraction

    @property
    def path(self) -> Path:
        return Path(self.location)


def seed_files(
    seeds: Path,
    skipped: list[tuple[str, str]],
    known: dict[str, tuple[int, int]] | None = None,
) -> list[SeedFile]:
    """Every regular file under `seeds` (recursively, hidden ones skipped) in a stable order.

    Symlinks that lead outside the seeds folder are refused: dropping a link into seeds/ must not
    publish arbitrary files from the machine. A folder that cannot be listed is reported in
    `skipped` ("wire/": the reason); the files `known` from the last build under it (name →
    stamp) are listed with their known stamps, so the build keeps their stories as they were
    instead of deleting them.
    """
    root = seeds.resolve()
    found: list[SeedFile] = []
    unlisted: list[str] = []

    def unlistable(folder: str, exc: OSError) -> None:
        unlisted.append(folder)
        reason = exc.strerror or str(exc)
        skipped.append((_printable(folder) + "/", f"cannot list folder: {reason}"))

    # Depth first, a folder's files before its subfolders, each sorted by name; a loop over a
    # stack, not a recursive closure (a cycle that kept every SeedFile for the collector).
    stack: list[tuple[str, str]] = [(str(seeds), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            unlistable(prefix.rstrip("/") or ".", exc)
            continue
        files, folders = [], []
        for entry in entries:
            (folders if _is_dir(entry) else files).append(entry)
        for entry in sorted(files, key=lambda e: e.name):
            if not entry.name.startswith("."):
                _add_file(entry, prefix + entry.name, root, found, skipped)
        subfolders = []
        for entry in sorted(folders, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                skipped.append((_printable(prefix + entry.name), "symlinked folder not followed"))
            else:
                subfolders.append((entry.path, prefix + entry.name + "/"))
        stack.extend(reversed(subfolders))

    found += _kept_under(seeds, unlisted, known or {})
    return sorted(found, key=lambda seed: seed.name) if unlisted else found


def _is_dir(entry: os.DirEntry) -> bool:
    """os.walk's test: a folder, or a link to one (listed, never followed)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _add_file(
    entry: os.DirEntry,
    name: str,
    root: Path,
    found: list[SeedFile],
    skipped: list[tuple[str, str]],
) -> None:
    """One directory entry as a seed file, or the reason it is skipped. A plain file costs one
    lstat (the scan of a 100k-file folder was seconds of resolving every path); only symlinks
    are resolved, to refuse those that lead outside the seeds folder."""
    if name != _printable(name):
        skipped.append((_printable(name), "file name is not valid UTF-8"))
        return
    try:
        if entry.is_symlink():
            resolved = Path(entry.path).resolve(strict=True)
            if not resolved.is_relative_to(root):
                skipped.append((name, "symlink points outside the seeds folder"))
                return
            st = resolved.stat()
        else:
            st = entry.stat(follow_symlinks=False)
    except (OSError, RuntimeError) as exc:
        skipped.append((name, f"cannot stat: {getattr(exc, 'strerror', None) or exc}"))
        return
    if not stat.S_ISREG(st.st_mode):
        skipped.append((name, "not a regular file"))
        return
    found.append(SeedFile(entry.path, name, (st.st_size, st.st_mtime_ns)))


def _kept_under(
    seeds: Path, folders: list[str], known: dict[str, tuple[int, int]]
) -> list[SeedFile]:
    """The files known from the last build inside folders that cannot be listed now."""
    prefixes = tuple("" if folder == "." else folder + "/" for folder in folders)
    return [
        SeedFile(str(seeds / name), name, tuple(stamp))  # type: ignore[arg-type]
        for name, stamp in sorted(known.items())
        if name.startswith(prefixes)
    ]


def _printable(name: str) -> str:
    """A file name safe to print and store: undecodable bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def freshness(seeds: Path, generation: Generation | None) -> dict[str, object]:
    """Which seed files the live generation does not reflect: new or changed, and removed."""
    skipped: list[tuple[str, str]] = []
    if generation is None:
        files = seed_files(seeds, skipped) if seeds.is_dir() else []
        return {"stale": True, "changed": [f.name for f in files], "removed": []}
    cache, known_skipped = generation.built_from()
    files = seed_files(seeds, skipped, cache) if seeds.is_dir() else []
    changed = [
        f.name for f in files if f.name not in known_skipped and cache.get(f.name) != f.stamp
    ]
    present = {f.name for f in files} | {name for name, _ in skipped}
    removed = sorted(name for name in cache if name not in present)
    return {"stale": bool(changed or removed), "changed": changed, "removed": removed}
