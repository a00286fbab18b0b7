"""The seeds folder: which files it holds, and which of them a generation does not reflect.

Read by the indexing pipeline (what to extract) and by the health endpoint (is the index stale?),
so it imports nothing of either side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from searchsvc.engines.base import Generation


@dataclass(frozen=True)
class SeedFile:
    path: Path
    name: str  # relative to the seeds folder, POSIX separators
    stamp: tuple[int, int]  # (size, mtime_ns): unchanged stamp → reuse cached extraction


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

    def unlistable(exc: OSError) -> None:
        folder = Path(exc.filename).relative_to(seeds).as_posix() if exc.filename else "."
        unlisted.append(folder)
        reason = exc.strerror or str(exc)
        skipped.append((_printable(folder) + "/", f"cannot list folder: {reason}"))

    for dirpath, dirnames, filenames in os.walk(seeds, onerror=unlistable, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for linked in [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            skipped.append((_printable(Path(dirpath, linked).relative_to(seeds).as_posix()),
                            "symlinked folder not followed"))  # fmt: skip
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            path = Path(dirpath) / filename
            name = path.relative_to(seeds).as_posix()
            if name != _printable(name):
                skipped.append((_printable(name), "file name is not valid UTF-8"))
                continue
            try:
                resolved = path.resolve(strict=True)
                if not resolved.is_relative_to(root):
                    skipped.append((name, "symlink points outside the seeds folder"))
                    continue
                st = resolved.stat()
            except (OSError, RuntimeError) as exc:
                skipped.append((name, f"cannot stat: {getattr(exc, 'strerror', None) or exc}"))
                continue
            if not path.is_file():
                skipped.append((name, "not a regular file"))
                continue
            found.append(SeedFile(path, name, (st.st_size, st.st_mtime_ns)))
    found += _kept_under(seeds, unlisted, known or {})
    return sorted(found, key=lambda seed: seed.name) if unlisted else found


def _kept_under(
    seeds: Path, folders: list[str], known: dict[str, tuple[int, int]]
) -> list[SeedFile]:
    """The files known from the last build inside folders that cannot be listed now."""
    prefixes = tuple("" if folder == "." else folder + "/" for folder in folders)
    return [
        SeedFile(seeds / name, name, tuple(stamp))  # type: ignore[arg-type]
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
