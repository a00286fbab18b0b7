"""Seeds folder → a new index generation: extract (reusing unchanged files), dedup, write."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from searchsvc.analysis import surface_word_set
from searchsvc.clusters import DEFAULT_SETTINGS, Signature, signature, write_clusters
from searchsvc.dedup import SHINGLE_WORDS, ShingleKey, merge_duplicates, shingle_key
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.schema import (
    build_schema,
    story_document,
    story_from_stored,
    story_record,
)
from searchsvc.engines.whoosh.segments import FastSegmentWriter, commit_with, write_segments
from searchsvc.errors import ArticleUnreadable
from searchsvc.extract import extract_file
from searchsvc.extract.article import Article, article_from_dict, article_to_dict

CACHE = "extract-cache.json"
VOCAB = gens.VOCAB
# Per article, what dedup and clustering derive from it, for the next build to reuse.
DERIVED = "derived.pickle"
# The seed files' stamps alone: /api/health compares them with the seeds folder on every call,
# and the extract cache they also sit in is hundreds of MB at 100k files.
STAMPS = "seed-stamps.json"
Progress = Callable[[str, int, int], None]
PARALLEL_THRESHOLD = 5_000


@dataclass
class BuildSummary:
    generation: str = ""
    files_seen: int = 0
    files_read: int = 0
    files_reused: int = 0
    articles: int = 0
    stories: int = 0
    duplicates_merged: int = 0
    added: int = 0
    deleted: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    # Where each file's articles sit in the article list, and which files came from the previous
    # build's cache (for reusing what was derived from them); not saved.
    spans: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    reused: set[str] = field(default_factory=set, repr=False)

    def as_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data.pop("spans")
        data.pop("reused")
        data["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        return data


@dataclass(frozen=True)
class SeedFile:
    path: Path
    name: str  # relative to the seeds folder, POSIX separators
    stamp: tuple[int, int]  # (size, mtime_ns): unchanged stamp → reuse cached extraction


def seed_files(seeds: Path, skipped: list[tuple[str, str]]) -> list[SeedFile]:
    """Every regular file under `seeds` (recursively, hidden ones skipped) in a stable order.

    Symlinks that lead outside the seeds folder are refused: dropping a link into seeds/ must not
    publish arbitrary files from the machine.
    """
    root = seeds.resolve()
    found: list[SeedFile] = []
    for dirpath, dirnames, filenames in os.walk(seeds, followlinks=False):
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
    return found


def _printable(name: str) -> str:
    """A file name safe to print and store: undecodable bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_cache(generation: gens.Generation | None) -> dict[str, dict]:
    if generation is None:
        return {}
    try:
        return json.loads((generation.path / CACHE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def extract_all(
    files: list[SeedFile],
    cache: dict[str, dict],
    summary: BuildSummary,
    max_bytes: int,
    progress: Progress | None,
) -> tuple[list[Article], dict[str, dict], dict[str, list]]:
    """Articles of every file, taking unchanged files from the previous build's cache; and for
    the files read, what dedup and clustering derive from their articles (see derived_of)."""
    articles: list[Article] = []
    new_cache: dict[str, dict] = {}
    spans = summary.spans
    changed = [s for s in files if not _unchanged(cache.get(s.name), s)]
    extracted = dict(
        zip(
            (s.name for s in changed),
            extract_many(changed, max_bytes, extract_and_derive),
            strict=True,
        )
    )
    derived: dict[str, list] = {}
    for done, seed in enumerate(files, 1):
        if seed.name not in extracted:
            new_cache[seed.name] = cache[seed.name]  # already in the form written below
            start = len(articles)
            articles.extend(article_from_dict(a) for a in cache[seed.name]["articles"])
            spans[seed.name] = (start, len(articles))
            summary.reused.add(seed.name)
            summary.files_reused += 1
            if progress:
                progress("extract", done, len(files))
            continue
        else:
            found, reason, derived[seed.name] = extracted.pop(seed.name)
            if reason is not None:
                summary.skipped.append((seed.name, reason))
            summary.files_read += 1
        if found is not None:
            spans[seed.name] = (len(articles), len(articles) + len(found))
            articles.extend(found)
            # The Article objects themselves: turned into dicts only as the cache is written
            # (write_json_object), not held twice through the build.
            new_cache[seed.name] = {"stamp": list(seed.stamp), "articles": found}
        if progress:
            progress("extract", done, len(files))
    return articles, new_cache, derived


def _unchanged(entry: dict | None, seed: SeedFile) -> bool:
    return bool(entry) and tuple(entry["stamp"]) == seed.stamp


def extract_one(job: tuple[Path, str, int]) -> tuple[list[Article] | None, str | None]:
    """One file's articles, or None and the reason it was skipped."""
    path, name, max_bytes = job
    try:
        return extract_file(path, name, max_bytes=max_bytes), None
    except ArticleUnreadable as exc:
        return None, exc.reason
    except (RecursionError, ValueError, UnicodeError, MemoryError) as exc:
        return None, f"extraction failed: {type(exc).__name__}"


def extract_and_derive(job: tuple[Path, str, int]) -> tuple[list[Article] | None, str | None, list]:
    """extract_one, and each article's shingle key and cluster signature: computed here, they
    are spread over the extraction workers instead of run afterwards on one core."""
    found, reason = extract_one(job)
    return found, reason, [(shingle_key(a), signature(a)) for a in found or ()]


def extract_many(
    files: list[SeedFile],
    max_bytes: int,
    worker: Callable[[tuple[Path, str, int]], Any] = extract_one,
) -> list[Any]:
    """`worker` (extract_one) for every file, in order; on all cores when there are many
    (extraction is pure Python and was half of a 100k-file build on one core)."""
    jobs = [(seed.path, seed.name, max_bytes) for seed in files]
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2:
        return [worker(job) for job in jobs]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(worker, jobs, chunksize=64)


def fingerprint(story: Article) -> str:
    record = json.dumps(story_record(story), sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(record.encode("utf-8")).hexdigest()


def vocabulary(stories: Iterable[Article]) -> dict[str, int]:
    """Document frequency of every surface word, for "did you mean" suggestions."""
    counts: Counter[str] = Counter()
    for story in stories:
        counts.update(_story_words(story))
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
    counts: Counter[str] = Counter(json.loads((previous.path / VOCAB).read_text("utf-8")))
    for story in stories:
        if old.get(story.id) != fingerprints[story.id]:
            counts.update(w for w in _story_words(story) if len(w) > 2)
    gone = [i for i, fp in old.items() if fingerprints.get(i) != fp]
    if gone:
        ix = whoosh_index.open_dir(str(previous.path))
        try:
            with ix.searcher() as searcher:
                for story_id in gone:
                    fields = searcher.document(id=story_id)
                    if fields is None:
                        raise ValueError(f"story {story_id} missing from {previous.name}")
                    words = _story_words(story_from_stored(fields))
                    counts.subtract(w for w in words if len(w) > 2)
        finally:
            ix.close()
    return {w: n for w, n in counts.items() if n > 0}


def _vocabulary_for(
    previous: gens.Generation | None, stories: list[Article], fingerprints: dict[str, str]
) -> dict[str, int]:
    old = previous.meta().get("fingerprints", {}) if previous else {}
    if previous and old:
        try:
            return updated_vocabulary(previous, old, stories, fingerprints)
        except (OSError, ValueError):
            pass  # an unreadable previous vocabulary or index: count afresh
    return vocabulary(stories)


def _derived_version() -> dict[str, object]:
    """What the derived data depends on: a change to any of it makes the old data unusable."""
    return {"format": 2, "shingle_words": SHINGLE_WORDS, "clusters": asdict(DEFAULT_SETTINGS)}


def load_derived(generation: gens.Generation | None) -> dict[str, list]:
    """Per seed file, its articles' (shingle key, cluster signature) from `generation`."""
    if generation is None:
        return {}
    try:
        with open(generation.path / DERIVED, "rb") as fh:
            data = pickle.load(fh)
        return data["files"] if data["version"] == _derived_version() else {}
    except Exception:  # noqa: BLE001 - missing, truncated or foreign: derive everything afresh
        return {}


def derived_of(
    articles: list[Article], summary: BuildSummary, known: dict[str, list]
) -> tuple[list[ShingleKey], dict[int, Signature | None]]:
    """Every article's shingle key and cluster signature (by id(article)): `known` per file (an
    unchanged file's from the previous build, a read one's from its extraction worker), any
    others computed here (dedup and clustering were most of a rebuild)."""
    keys: list[ShingleKey | None] = [None] * len(articles)
    signatures: dict[int, Signature | None] = {}
    for name, (start, stop) in summary.spans.items():
        kept = known.get(name)
        if kept is None or len(kept) != stop - start:
            continue
        for index, (key, sig) in zip(range(start, stop), kept, strict=True):
            keys[index] = key
            signatures[id(articles[index])] = sig
    for index, article in enumerate(articles):
        if keys[index] is None:
            keys[index] = shingle_key(article)
            signatures[id(article)] = signature(article)
    return keys, signatures  # type: ignore[return-value]


def save_derived(
    target: Path,
    articles: list[Article],
    summary: BuildSummary,
    keys: list[ShingleKey],
    signatures: dict[int, Signature | None],
) -> None:
    files = {
        name: [(keys[i], signatures[id(articles[i])]) for i in range(start, stop)]
        for name, (start, stop) in summary.spans.items()
    }
    with open(target / DERIVED, "wb") as fh:
        pickle.dump({"version": _derived_version(), "files": files}, fh, protocol=5)


def release_free_memory() -> None:
    """Collect garbage and hand freed heap back to the system before the writer forks.

    Dedup and the shingle keys leave hundreds of MB free but still mapped; every forked writer
    would otherwise start from that high-water mark.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def write_json_object(path: Path, mapping: dict[str, object]) -> None:
    """json.dumps(mapping, ensure_ascii=False) written an entry at a time: the extract cache is
    some 200 MB of JSON at 100k files, and one string of it (then its bytes) set the peak RSS."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{")
        for index, (key, value) in enumerate(mapping.items()):
            fh.write(", " if index else "")
            fh.write(json.dumps(key, ensure_ascii=False))
            fh.write(": ")
            fh.write(json.dumps(value, ensure_ascii=False, default=_jsonable))
        fh.write("}")


def _jsonable(value: object) -> object:
    if isinstance(value, Article):
        return article_to_dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def same_schema(generation: gens.Generation) -> bool:
    """False when the schema gained or lost a field since `generation`: then rebuild fully."""
    ix = whoosh_index.open_dir(str(generation.path))
    try:
        return set(ix.schema.names()) == set(build_schema().names())
    finally:
        ix.close()


def write_generation(
    target: Path,
    previous: gens.Generation | None,
    stories: list[Article],
    summary: BuildSummary,
    progress: Progress | None,
) -> dict[str, str]:
    """Write the Whoosh index for `stories` into `target`, incrementally when a base exists.

    Whoosh segment files are never modified after they are written, so the previous generation's
    files can be hard-linked into the new folder and only the difference written on top.
    """
    fingerprints = {s.id: fingerprint(s) for s in stories}
    old = previous.meta().get("fingerprints", {}) if previous else {}
    if previous and old and same_schema(previous):
        shutil.copytree(
            previous.path,
            target,
            copy_function=os.link,
            ignore=shutil.ignore_patterns("*LOCK*", CACHE, VOCAB, STAMPS, DERIVED, gens.META),
        )
        ix = whoosh_index.open_dir(str(target))
        to_delete = [i for i, fp in old.items() if fingerprints.get(i) != fp]
        to_add = [s for s in stories if old.get(s.id) != fingerprints[s.id]]
    else:
        target.mkdir(parents=True)
        ix = whoosh_index.create_in(str(target), build_schema())
        to_delete, to_add = [], stories
    procs = 2 if len(to_add) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1 else 1
    writer = FastSegmentWriter(ix)
    try:
        if to_delete:  # one searcher for all: Whoosh opens every segment anew per delete
            with writer.searcher() as searcher:
                for story_id in to_delete:
                    writer.delete_by_term("id", story_id, searcher=searcher)
        if procs > 1:
            segments = write_segments(ix, to_add, story_document, procs)
            if progress:
                progress("index", len(to_add), len(to_add))
            commit_with(writer, segments)
        else:
            for done, story in enumerate(to_add, 1):
                writer.add_document(**story_document(story))
                if progress and (done % 200 == 0 or done == len(to_add)):
                    progress("index", done, len(to_add))
            writer.commit()
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    ix.close()
    summary.added, summary.deleted = len(to_add), len(to_delete)
    return fingerprints


def build(
    seeds: Path,
    root: Path,
    *,
    full: bool = False,
    max_bytes: int = 20 * 1024 * 1024,
    keep: int = 3,
    lock_wait_s: float = 0.0,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build a new generation from every file under `seeds` and make it live atomically.

    Raises IndexBusy when another build holds the lock. A crash at any point leaves the live
    generation untouched; the next build clears what the crashed one left behind.
    """
    started = time.perf_counter()
    summary = BuildSummary(full=full)
    root.mkdir(parents=True, exist_ok=True)
    with gens.build_lock(root, wait_s=lock_wait_s):
        gens.remove_stale(root, keep=keep + 1)
        previous = None if full else gens.current_or_none(root)
        summary.full = previous is None
        files = seed_files(seeds, summary.skipped)
        summary.files_seen = len(files) + len(summary.skipped)
        articles, cache, fresh = extract_all(
            files, load_cache(previous), summary, max_bytes, progress
        )
        kept = load_derived(previous)
        known = {name: kept[name] for name in summary.reused if name in kept} | fresh
        keys, signatures = derived_of(articles, summary, known)
        del kept, known, fresh
        stories = merge_duplicates(articles, keys)
        summary.articles, summary.stories = len(articles), len(stories)
        summary.duplicates_merged = len(articles) - len(stories)
        if not stories:
            summary.seconds = time.perf_counter() - started
            return summary
        name = gens.next_name(root)
        target = root / f"{gens.TMP_PREFIX}{name.removeprefix(gens.PREFIX)}"
        # The shingle keys are a quarter of a GB at 100k articles: saved now and let go before
        # the index is written, beside the build (remove_stale clears it if the build dies).
        pending = root / f"{target.name}.derived"
        # A failed write (disk full, read-only folder, Ctrl-C) removes its own partial
        # generation; the live one is never touched before the final rename.
        try:
            pending.mkdir()
            save_derived(pending, articles, summary, keys, signatures)
            del keys
            release_free_memory()
            fingerprints = write_generation(target, previous, stories, summary, progress)
            os.replace(pending / DERIVED, target / DERIVED)
            pending.rmdir()
            meta = {
                "generation": name,
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seeds": str(seeds.resolve()),
                "doc_count": len(stories),
                "summary": {k: v for k, v in summary.as_dict().items() if k != "skipped"},
                "skipped": summary.as_dict()["skipped"],
                "fingerprints": fingerprints,
            }
            (target / gens.META).write_text(json.dumps(meta), "utf-8")
            write_json_object(target / CACHE, cache)
            stamps = {name: entry["stamp"] for name, entry in cache.items()}
            (target / STAMPS).write_text(
                json.dumps({"stamps": stamps, "skipped": [f for f, _ in summary.skipped]}),
                "utf-8",
            )
            (target / VOCAB).write_text(
                json.dumps(_vocabulary_for(previous, stories, fingerprints), ensure_ascii=False),
                "utf-8",
            )
            write_clusters(target, stories, known=signatures)
            live = gens.switch_to(root, target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(pending, ignore_errors=True)
            raise
        summary.generation = live.name
        gens.remove_stale(root, keep=keep)
    summary.seconds = time.perf_counter() - started
    return summary


def freshness(seeds: Path, generation: gens.Generation | None) -> dict[str, object]:
    """Which seed files the live generation does not reflect: new or changed, and removed."""
    skipped: list[tuple[str, str]] = []
    files = seed_files(seeds, skipped) if seeds.is_dir() else []
    if generation is None:
        return {"stale": True, "changed": [f.name for f in files], "removed": []}
    cache, known_skipped = built_from(generation)
    changed = [
        f.name for f in files if f.name not in known_skipped and cache.get(f.name) != f.stamp
    ]
    present = {f.name for f in files} | {name for name, _ in skipped}
    removed = sorted(name for name in cache if name not in present)
    return {"stale": bool(changed or removed), "changed": changed, "removed": removed}


def built_from(generation: gens.Generation) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
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
        generation = gens.Generation(folder.parent, folder.name)
        stamps = {name: e["stamp"] for name, e in load_cache(generation).items()}
        skipped = [s["file"] for s in generation.meta().get("skipped", [])]
    return {name: tuple(stamp) for name, stamp in stamps.items()}, frozenset(skipped)
