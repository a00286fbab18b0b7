"""Seeds folder → a new index generation: extract (reusing unchanged files), dedup, write."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from searchsvc.analysis import surface_word_set
from searchsvc.config import DEFAULTS
from searchsvc.engines.base import Engine, GenerationInfo, Progress
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.engines.whoosh.writing import stored_stories, usable_base
from searchsvc.errors import ArticleUnreadable
from searchsvc.extract import extract_file
from searchsvc.extract.article import Article, article_from_dict, article_to_dict
from searchsvc.indexing.clusters import (
    DEFAULT_SETTINGS,
    Signature,
    cluster_members,
    signature,
    write_clusters,
)
from searchsvc.indexing.dedup import SHINGLE_WORDS, ShingleKey, merge_duplicates, shingle_key
from searchsvc.seeds import SeedFile, seed_files
from searchsvc.stories import story_record

CACHE, VOCAB, DERIVED, STAMPS = gens.CACHE, gens.VOCAB, gens.DERIVED, gens.STAMPS
log = logging.getLogger("searchsvc")
# Below this many files (or stories to write) one process does it all.
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


def _derived_version() -> dict[str, object]:
    """What the derived data depends on: a change to any of it makes the old data unusable."""
    return {"format": 2, "shingle_words": SHINGLE_WORDS, "clusters": asdict(DEFAULT_SETTINGS)}


class _DerivedUnpickler(pickle.Unpickler):
    """Reads derived data saved before dedup and clusters moved into searchsvc.indexing."""

    MOVED = {
        "searchsvc.dedup": "searchsvc.indexing.dedup",
        "searchsvc.clusters": "searchsvc.indexing.clusters",
    }

    def find_class(self, module: str, name: str) -> object:
        return super().find_class(self.MOVED.get(module, module), name)


def load_derived(generation: gens.Generation | None) -> dict[str, list]:
    """Per seed file, its articles' (shingle key, cluster signature) from `generation`."""
    if generation is None:
        return {}
    try:
        with open(generation.path / DERIVED, "rb") as fh:
            data = _DerivedUnpickler(fh).load()
        return data["files"] if data["version"] == _derived_version() else {}
    except FileNotFoundError:
        return {}  # built before derived data existed: derive everything afresh
    except Exception as exc:  # noqa: BLE001 - truncated or foreign: derive everything afresh
        log.warning(
            "derived data of %s unusable (%s: %s); dedup keys and cluster signatures are "
            "computed afresh",
            generation.name,
            type(exc).__name__,
            exc,
        )
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


def build(
    seeds: Path,
    root: Path,
    *,
    full: bool = False,
    max_bytes: int = DEFAULTS.max_file_bytes,
    keep: int = DEFAULTS.generations_kept,
    lock_wait_s: float = 0.0,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> BuildSummary:
    """Build a new generation from every file under `seeds` and make it live atomically.

    lock → extract → dedup → cluster → engine.writer().write → publish → prune. Raises IndexBusy
    when another build holds the lock. A crash at any point leaves the live generation
    untouched; the next build clears what the crashed one left behind.

    `engine` None (or a WhooshEngine) builds into the `root` folder; any other engine is written
    through its writer (build_into), `root` keeping only the local build state.
    """
    if engine is not None and not isinstance(engine, WhooshEngine):
        return build_into(
            engine,
            seeds,
            root,
            full=full,
            max_bytes=max_bytes,
            keep=keep,
            lock_wait_s=lock_wait_s,
            progress=progress,
        )
    started = time.perf_counter()
    summary = BuildSummary(full=full)
    root.mkdir(parents=True, exist_ok=True)
    engine = WhooshEngine(root)
    writer = engine.writer()
    with engine.build_lock(wait_s=lock_wait_s):
        writer.prune(keep + 1)
        previous = None if full else usable_base(gens.current_or_none(root))
        summary.full = previous is None
        # Files of a folder that cannot be listed now keep their stories (their last stamps).
        stamps = gens.built_from(previous)[0] if previous else {}
        files = seed_files(seeds, summary.skipped, stamps)
        summary.files_seen = len(files) + len(summary.skipped)
        articles, cache, fresh = extract_all(
            files, gens.load_cache(previous), summary, max_bytes, progress
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
        name = writer.next_name()
        target = writer.temporary_folder(name)
        # The shingle keys are a quarter of a GB at 100k articles: saved now and let go before
        # the index is written, beside the build (prune clears it if the build dies).
        pending = root / f"{target.name}.derived"
        # A failed write (disk full, read-only folder, Ctrl-C) removes its own partial
        # generation; the live one is never touched before the final rename.
        try:
            pending.mkdir()
            save_derived(pending, articles, summary, keys, signatures)
            del keys
            release_free_memory()
            fingerprints = {s.id: fingerprint(s) for s in stories}
            info = GenerationInfo(
                name=name,
                doc_count=len(stories),
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                seeds=str(seeds.resolve()),
                extra={"fingerprints": fingerprints, "parallel_threshold": PARALLEL_THRESHOLD},
            )
            base = previous.name if previous else None
            writer.write(stories, [], info, base, progress)
            summary.added, summary.deleted = writer.written
            os.replace(pending / DERIVED, target / DERIVED)
            pending.rmdir()
            write_side_files(target, info, summary, cache)
            (target / VOCAB).write_text(
                json.dumps(_vocabulary_for(previous, stories, fingerprints), ensure_ascii=False),
                "utf-8",
            )
            write_clusters(target, stories, known=signatures)
            writer.publish(name)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(pending, ignore_errors=True)
            raise
        summary.generation = name
        writer.prune(keep)
    summary.seconds = time.perf_counter() - started
    return summary


def write_side_files(
    target: Path, info: GenerationInfo, summary: BuildSummary, cache: dict[str, dict]
) -> None:
    """meta.json (what the generation says about itself), the extract cache and the seed
    stamps, beside the index (the next build and /api/health read them)."""
    meta = {
        "generation": info.name,
        "built_at": info.built_at,
        "seeds": info.seeds,
        "doc_count": info.doc_count,
        "summary": {k: v for k, v in summary.as_dict().items() if k != "skipped"},
        "skipped": summary.as_dict()["skipped"],
        "fingerprints": info.extra["fingerprints"],
    }
    (target / gens.META).write_text(json.dumps(meta), "utf-8")
    write_json_object(target / CACHE, cache)
    stamps = {name: entry["stamp"] for name, entry in cache.items()}
    (target / STAMPS).write_text(
        json.dumps({"stamps": stamps, "skipped": [f for f, _ in summary.skipped]}), "utf-8"
    )


def build_into(
    engine: Engine,
    seeds: Path,
    root: Path,
    *,
    full: bool = False,
    max_bytes: int = DEFAULTS.max_file_bytes,
    keep: int = DEFAULTS.generations_kept,
    lock_wait_s: float = 0.0,
    progress: Progress | None = None,
) -> BuildSummary:
    """build() for an engine that keeps its generations elsewhere (OpenSearch): extract (files
    unchanged since the last build come from the extraction cache in `root`), dedup, cluster,
    then engine.writer().write → publish → prune. `root` holds the lock and the cache."""
    started = time.perf_counter()
    summary = BuildSummary(full=full)
    root.mkdir(parents=True, exist_ok=True)
    writer = engine.writer()
    with engine.build_lock(wait_s=lock_wait_s):
        previous = {} if full else _local_cache(root)
        summary.full = not previous
        files = seed_files(seeds, summary.skipped)
        summary.files_seen = len(files) + len(summary.skipped)
        articles, cache, fresh = extract_all(files, previous, summary, max_bytes, progress)
        keys, signatures = derived_of(articles, summary, fresh)
        del fresh, previous
        stories = merge_duplicates(articles, keys)
        summary.articles, summary.stories = len(articles), len(stories)
        summary.duplicates_merged = len(articles) - len(stories)
        if not stories:
            summary.seconds = time.perf_counter() - started
            return summary
        name = writer.next_name()
        info = GenerationInfo(
            name=name,
            doc_count=len(stories),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            seeds=str(seeds.resolve()),
            extra={
                "summary": {k: v for k, v in summary.as_dict().items() if k != "skipped"},
                "built_from": {
                    "stamps": {name: entry["stamp"] for name, entry in cache.items()},
                    "skipped": [name for name, _ in summary.skipped],
                },
            },
        )
        clusters = cluster_members(stories, known=signatures)
        writer.write(stories, clusters, info, None, progress)
        writer.publish(name)
        summary.generation, summary.added = name, len(stories)
        _save_local_cache(root, cache)
        writer.prune(keep)
    summary.seconds = time.perf_counter() - started
    return summary


def _local_cache(root: Path) -> dict[str, dict]:
    try:
        return json.loads((root / CACHE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: every file is read afresh


def _save_local_cache(root: Path, cache: dict[str, dict]) -> None:
    temporary = root / f".{CACHE}.{os.getpid()}"
    write_json_object(temporary, cache)
    os.replace(temporary, root / CACHE)
