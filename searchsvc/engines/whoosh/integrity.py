"""What a generation's files were when it was built, and whether they still are.

Every generation gets a manifest (manifest.json) as it is published: each file's size,
modification time and BLAKE2b checksum. Whoosh reads its segment files without any checksum of
its own, so a file damaged in place gives wrong answers without an error; the manifest is how
damage is noticed:

- cheaply (`check(folder)`: a stat() per file; a file whose modification time changed is
  hashed, once per change) when a generation is opened, and at most every CHECK_EVERY_S while
  it is served, by /api/health and by the pruning of old generations;
- fully (`check(folder, full=True)`: every checksum) by `searchsvc check --full` and before a
  build hard-links a generation's files into the next one.

A generation built before manifests existed has none: nothing can be checked, nothing is
reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from searchsvc.engines.whoosh import generations as gens

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20
# Lock files Whoosh leaves behind: empty, never read, not part of what is checked.
IGNORED = ("MAIN_WRITELOCK", MANIFEST)


@dataclass(frozen=True)
class Problem:
    """One file of a generation that is not what was built."""

    generation: str
    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.generation}/{self.file}: {self.reason}"


def checksum(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, linked: dict[str, dict] | None = None) -> None:
    """Record every file of a complete generation folder (before it is published).

    `linked`: the manifest of the generation whose files were hard-linked into this one (and
    checked before). A file of it with the same size and modification time is that file: its
    recorded checksum is copied instead of reading it again (hundreds of MB of segments at 100k
    stories, for a build that wrote a few MB); copying also keeps a change that left the time
    alone detectable, where hashing again would record the changed bytes as built.
    """
    files = {}
    linked = linked or {}
    for path in sorted(folder.iterdir()):
        if path.name in IGNORED or not path.is_file():
            continue
        st = path.stat()
        before = linked.get(path.name, {})
        same = before.get("size") == st.st_size and before.get("mtime_ns") == st.st_mtime_ns
        files[path.name] = {
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "blake2b": before["blake2b"] if same and "blake2b" in before else checksum(path),
        }
    temporary = folder / f".{MANIFEST}.tmp"
    with open(temporary, "w", encoding="utf-8") as fh:
        json.dump({"format": FORMAT, "files": files}, fh, indent=0)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, folder / MANIFEST)


def manifest(folder: gens.Generation) -> dict[str, dict] | None:
    """name → {size, mtime_ns, blake2b}; None when the generation has no manifest."""
    try:
        return json.loads((folder.path / MANIFEST).read_text("utf-8"))["files"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {MANIFEST: {"unreadable": str(exc)}}


# (path, inode, size, mtime_ns) → the file's checksum: a file whose modification time changed
# since it was built (copied, touched) is hashed once, not at every check.
_hashed: dict[tuple[str, int, int, int], str] = {}
_hashed_lock = threading.Lock()


def _checksum_once(path: Path, st: os.stat_result) -> str:
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _hashed_lock:
        found = _hashed.get(key)
    if found is None:
        found = checksum(path)
        with _hashed_lock:
            if len(_hashed) > 4096:
                _hashed.clear()
            _hashed[key] = found
    return found


def check(
    folder: gens.Generation,
    full: bool = False,
    only: set[str] | None = None,
    recorded: dict[str, dict] | None = None,
) -> list[Problem]:
    """The files of `folder` (those in `only`, when given) that differ from its manifest
    (`recorded`: the manifest read before, else read now).

    Cheap by default: sizes and modification times, hashing only a file whose time changed;
    `full` hashes every file."""
    if recorded is None:
        recorded = manifest(folder)
    if recorded is None:
        return []
    problems = []
    for name, expected in sorted(recorded.items()):
        if only is not None and name not in only:
            continue
        reason = _file_problem(folder.path / name, expected, full)
        if reason:
            problems.append(Problem(folder.name, name, reason))
    return problems


def _file_problem(path: Path, expected: dict, full: bool) -> str | None:
    if "unreadable" in expected:
        return f"manifest unreadable ({expected['unreadable']})"
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if st.st_size != expected["size"]:
        return f"{st.st_size:,} bytes, {expected['size']:,} when built"
    if not full and st.st_mtime_ns == expected["mtime_ns"]:
        return None
    try:
        found = checksum(path) if full else _checksum_once(path, st)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if found != expected["blake2b"]:
        return "contents changed since it was built (checksum differs)"
    return None


def describe(problems: list[Problem], most: int = 3) -> str:
    """'gen-000004/MAIN_x.seg: contents changed …; …' (the first few)."""
    shown = "; ".join(str(p) for p in problems[:most])
    more = f"; and {len(problems) - most} more" if len(problems) > most else ""
    return shown + more
