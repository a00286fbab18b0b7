"""Seeds folder → a new index generation: extract (reusing unchanged files), dedup, cluster,
write through the engine, publish, prune.

Engine-neutral: what a build keeps for the next (extracted articles, shingle keys, signatures,
the verified duplicate and similar-story pairs, what the live generation was built from) is in
the `--index` folder's build state (indexing/state.py) whatever the engine; reusing the previous
generation's index files is the engine writer's business (`base`).

Cost follows the change: nothing changed → nothing is built; otherwise only the changed files
are read, and only their articles are probed for duplicates and similar stories (the pairs
among unchanged articles are kept; tests/test_incremental.py checks the result equals a full
build's).
"""

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
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from searchsvc import forking
from searchsvc.config import DEFAULTS
from searchsvc.engines.base import Engine, GenerationInfo, Progress
from searchsvc.errors import ArticleUnreadable, GenerationGone, IndexDamaged, IndexMissing
from searchsvc.extract import extract_file
from searchsvc.extract.article import Article
from searchsvc.indexing import clusters as clustering
from searchsvc.indexing.clusters import DEFAULT_SETTINGS, Signature, signature
from searchsvc.indexing.dedup import (
    SHINGLE_WORDS,
    ShingleKey,
    duplicate_pairs,
    merged_groups,
    pairs_touching,
    shingle_key,
)
from searchsvc.indexing.state import ArticleRef, BuildState, Published
from searchsvc.locking import build_lock
from searchsvc.model import Cluster
from searchsvc.seeds import SeedFile, seed_files
from searchsvc.stories import story_record

log = logging.getLogger("searchsvc")
# Below this many files (or stories to write) one process does it all.
PARALLEL_THRESHOLD = 5_000
# From this many changed files they are extracted on all cores (while this process loads the
# unchanged files' articles from the build state).
PARALLEL_EXTRACT = 200


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
    up_to_date: bool = False  # nothing changed: nothing was built, `generation` stays live
    # Seconds per stage (scan, extract, duplicates, clusters, index, publish, state): where a
    # build's time went, printed by the index command (and in its --json summary).
    phases: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.phases[phase] = round(self.phases.get(phase, 0.0) + spent, 3)

    def as_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        return data


@dataclass
class Extracted:
    """Every article of the seeds, in seed order, with what dedup, clustering and the writer
    derive from each (shingle key, cluster signature, fingerprint) and where it came from
    (file, position)."""

    articles: list[Article] = field(default_factory=list)
    # (shingle key, cluster signature, fingerprint) per article
    derived: list[tuple[ShingleKey, Signature | None, str]] = field(default_factory=list)
    refs: list[tuple[str, int]] = field(default_factory=list)
    changed: set[int] = field(default_factory=set)  # indexes of articles from files read now
    read: dict[str, tuple[SeedFile, list[Article], list]] = field(default_factory=dict)

    def add(self, name: str, articles: list[Article], derived: list, changed: bool) -> None:
        start = len(self.articles)
        self.articles.extend(articles)
        self.derived.extend(derived)
        self.refs.extend((name, position) for position in range(len(articles)))
        if changed:
            self.changed.update(range(start, len(self.articles)))


def extract_all(
    files: list[SeedFile],
    state: BuildState | None,
    summary: BuildSummary,
    max_bytes: int,
    progress: Progress | None,
    derived_ready: Callable[[Extracted], None] | None = None,
) -> Extracted:
    """Articles of every file: an unchanged file's from the build state, the others read (on
    all cores when many), with their shingle keys, cluster signatures and fingerprints.

    The kept files' derived data is loaded first, then their articles: `derived_ready` is
    called in between with everything but those articles (None in `articles`), so work that
    needs only the derived data (the duplicate probe) can start beside the loading."""
    stamps = state.stamps() if state else {}
    changed = [s for s in files if stamps.get(s.name) != s.stamp]
    kept_names = [s.name for s in files if stamps.get(s.name) == s.stamp] if state else []
    with extracting(changed, max_bytes, extract_and_derive) as results:
        # While the workers read the changed files, this process loads the others' data.
        kept = dict(state.file_derived(kept_names)) if state else {}
        extracted = dict(zip((s.name for s in changed), results(), strict=True))
    result = Extracted()
    starts: dict[str, tuple[int, int]] = {}  # kept file → (first article, number of articles)
    for done, seed in enumerate(files, 1):
        if seed.name in extracted:
            found, reason, derived = extracted.pop(seed.name)
            summary.files_read += 1
            if reason is not None:
                summary.skipped.append((seed.name, reason))
            if found is not None:
                result.add(seed.name, found, derived, changed=True)
                result.read[seed.name] = (seed, found, derived)
        else:
            derived = kept.pop(seed.name)
            starts[seed.name] = (len(result.articles), len(derived))
            result.add(seed.name, [None] * len(derived), derived, changed=False)  # type: ignore[list-item]
            summary.files_reused += 1
        if progress:
            progress("extract", done, len(files))
    if derived_ready:
        derived_ready(result)
    if state:
        for name, articles in state.file_articles(starts):
            start, count = starts.pop(name)
            if len(articles) != count:
                raise IndexDamaged(f"build state: {name}'s articles and derived data differ")
            result.articles[start : start + count] = articles
        if starts:
            raise IndexDamaged(f"build state: no articles for {next(iter(starts))}")
    return result


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
    """extract_one, and each article's shingle key, cluster signature and fingerprint:
    computed here, they are spread over the extraction workers instead of run afterwards on one
    core, and kept in the build state with the articles (an article that is a story by itself,
    most of them, is that story: its fingerprint is not computed again while its file is
    unchanged)."""
    found, reason = extract_one(job)
    return found, reason, [(shingle_key(a), signature(a), fingerprint(a)) for a in found or ()]


def extract_many(
    files: list[SeedFile],
    max_bytes: int,
    worker: Callable[[tuple[Path, str, int]], Any] = extract_one,
) -> list[Any]:
    """`worker` (extract_one) for every file, in order; on all cores when there are many
    (extraction is pure Python and was half of a 100k-file build on one core)."""
    with extracting(files, max_bytes, worker) as results:
        return results()


@contextlib.contextmanager
def extracting(
    files: list[SeedFile],
    max_bytes: int,
    worker: Callable[[tuple[Path, str, int]], Any] = extract_one,
) -> Iterator[Callable[[], list[Any]]]:
    """extract_many started in forked workers (from PARALLEL_EXTRACT files: a few hundred
    changed files are worth the fork), so this process can do other work meanwhile; the
    function yielded waits for the results, in order. Few files: read here, when asked."""
    jobs = [(seed.path, seed.name, max_bytes) for seed in files]
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < PARALLEL_EXTRACT or workers < 2:
        yield lambda: [worker(job) for job in jobs]
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending = pool.map_async(worker, jobs, chunksize=max(1, min(64, len(jobs) // workers // 4)))
        yield pending.get


def fingerprint(story: Article) -> str:
    record = json.dumps(story_record(story), sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(record.encode("utf-8")).hexdigest()


def story_fingerprints(
    stories: list[Article],
    members: dict[str, list[int]],
    articles: list[Article],
    derived: list[tuple[ShingleKey, Signature | None, str]],
    known: dict[str, str],
) -> tuple[dict[str, str], dict[str, str]]:
    """Every story's fingerprint (what tells the writer a changed story from a kept one), and
    those of the merged stories by their members'.

    A story that is one article is that article (merged_groups): its fingerprint was computed at
    extraction. A merged story is a function of its articles in canonical order, so it has the
    fingerprint `known` (the last build's) gives their fingerprints, unless they changed; only
    the others are serialised again (most of the merged ones were a tenth of a 100k
    incremental build)."""
    fingerprints: dict[str, str] = {}
    merged: dict[str, str] = {}
    position = {id(article): index for index, article in enumerate(articles)}
    for story in stories:
        group = members.get(story.id)
        if group is None:
            fingerprints[story.id] = derived[position[id(story)]][2]
            continue
        key = hashlib.sha1("".join(derived[i][2] for i in group).encode()).hexdigest()
        fingerprints[story.id] = merged[key] = known.get(key) or fingerprint(story)
    return fingerprints, merged


def release_free_memory() -> None:
    """Collect garbage and hand freed heap back to the system before the writer forks.

    Dedup and the shingle keys leave hundreds of MB free but still mapped; every forked writer
    would otherwise start from that high-water mark.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _derived_version() -> dict[str, object]:
    """What the derived data depends on: a change to any of it makes the old data unusable."""
    return {
        "format": 3,
        "shingle_words": SHINGLE_WORDS,
        "clusters": asdict(DEFAULT_SETTINGS),
        # Stored fingerprints are of story records with these fields.
        "record": sorted(f.name for f in fields(Article)),
    }


def build(
    seeds: Path,
    index_dir: Path,
    *,
    engine: Engine | None = None,
    full: bool = False,
    max_bytes: int = DEFAULTS.max_file_bytes,
    keep: int = DEFAULTS.generations_kept,
    lock_wait_s: float = 0.0,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build a new generation from every file under `seeds` and make it live atomically.

    lock → scan (unchanged since the live generation: done) → extract → dedup → cluster →
    engine.writer().write → publish → prune. `engine` defaults to a WhooshEngine on
    `index_dir`; the build state and the lock are in `index_dir` for every engine. Raises
    IndexBusy when another build holds the lock. A crash at any point leaves the live generation
    untouched; the next build clears what the crashed one left behind.
    """
    started = time.perf_counter()
    summary = BuildSummary(full=full)
    index_dir.mkdir(parents=True, exist_ok=True)
    if engine is None:
        from searchsvc.engines.whoosh.engine import WhooshEngine

        engine = WhooshEngine(index_dir)
    writer = engine.writer()
    with (
        build_lock(index_dir, wait_s=lock_wait_s),
        BuildState(index_dir) as state,
        _collector_paused(),
    ):
        writer.prune(keep + 1)
        live = _live_name(engine)
        # Files of a folder that cannot be listed now keep their stories (their last stamps).
        known = {name: tuple(stamp) for name, stamp in state.stamps().items()}
        with summary.timing("scan"):
            files = seed_files(seeds, summary.skipped, known)
        summary.files_seen = len(files) + len(summary.skipped)
        scan = Scan(
            settings={
                "seeds": str(seeds.resolve()),
                "max_bytes": max_bytes,
                "derived": _derived_version(),
                "engine": writer.layout(),
            },
            stamps={f.name: list(f.stamp) for f in files},
            skipped=[list(s) for s in summary.skipped],
        )
        published = state.published()
        if not full and published and published.matches(live, **scan.__dict__):
            # Nothing is published; generations beyond `keep` (it may have been lowered) go.
            writer.prune(keep)
            return _up_to_date(summary, published, started)
        summary.full = full or live is None
        # Starting afresh: nothing of the build state is reused (it is replaced on success).
        fresh = full or state.derived_version() != _derived_version()
        built = _build(files, state, summary, seeds, writer, live, max_bytes, progress, scan, fresh)
        if built:
            summary.generation = built
            writer.prune(keep)
    summary.seconds = time.perf_counter() - started
    return summary


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection during the build: with every article alive, each
    collection walks millions of objects (a third of a 10k incremental build went to it, in
    building postings; at 100k, seconds in the bookkeeping after the write); the build makes
    few cycles, and release_free_memory collects once. Forked writers collect as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class Scan:
    """What a build is made from besides the files' contents (see state.Published)."""

    settings: dict
    stamps: dict[str, list[int]]
    skipped: list[list[str]]


def _live_name(engine: Engine) -> str | None:
    """The live generation's name; None when there is none, or when it is damaged (then the
    build is never "up to date" and writes every story afresh, reusing nothing of it)."""
    try:
        return engine.live_name()
    except (IndexMissing, GenerationGone):
        return None
    except IndexDamaged as damaged:
        log.warning("%s: building every story afresh", damaged)
        return None
    finally:  # the build reads nothing else through it: not its searcher for the whole build
        engine.release_readers()


def _up_to_date(summary: BuildSummary, published: Published, started: float) -> BuildSummary:
    summary.up_to_date = True
    summary.generation = published.generation
    summary.files_reused = published.counts.get("files", 0)
    summary.articles = published.counts.get("articles", 0)
    summary.stories = published.counts.get("stories", 0)
    summary.duplicates_merged = summary.articles - summary.stories
    summary.seconds = time.perf_counter() - started
    return summary


def _build(  # noqa: PLR0913 - one build's parts
    files: list[SeedFile],
    state: BuildState,
    summary: BuildSummary,
    seeds: Path,
    writer: Any,
    live: str | None,
    max_bytes: int,
    progress: Progress | None,
    scan: Scan,
    fresh: bool,
) -> str | None:
    """Extract, dedup, cluster, write and publish; the new generation's name (None: nothing
    indexable). The build state is committed only once the generation is live."""
    incremental = not fresh
    probed: list[Callable[[], list[tuple[int, int]]]] = []

    def probe(ready: Extracted) -> None:
        """The duplicate pairs from the derived data alone: incrementally, in a forked child
        while this process loads the kept articles (both about a second at 100k)."""
        keys = [key for key, _, _ in ready.derived]
        stored = list(state.duplicate_pairs()) if incremental else None
        work = partial(_duplicate_pairs, stored, ready.refs, ready.changed, keys)
        probed.append(_beside(work, incremental and _writes_little(ready.changed)))

    with summary.timing("extract"):
        extracted = extract_all(
            files, state if incremental else None, summary, max_bytes, progress, probe
        )
    articles = extracted.articles
    keys = [key for key, _, _ in extracted.derived]
    with summary.timing("duplicates"):
        pairs = probed[0]()
        stories, members = merged_groups(articles, keys, pairs)
    summary.articles, summary.stories = len(articles), len(stories)
    summary.duplicates_merged = len(articles) - len(stories)
    if not stories:
        return None
    with summary.timing("clusters"):
        merged = state.merged_fingerprints() if incremental else {}
        fingerprints, merged = story_fingerprints(
            stories, members, articles, extracted.derived, merged
        )
        known = {id(a): d[1] for a, d in zip(articles, extracted.derived, strict=True)}
        previous = (state.story_signatures(), state.similar_pairs()) if incremental else None
        # Beside the index write; only what _save stores comes back (portable).
        work = partial(_clusters, previous, stories, fingerprints, known)
        clustered_when = _beside(
            lambda: work().portable(), incremental and _writes_little(extracted.changed)
        )
    del keys, known, members, previous
    if not _writes_little(extracted.changed):
        # Only when the writer may fork (it writes on several cores past the threshold);
        # otherwise a collection over every article (a second at 100k) buys nothing.
        release_free_memory()
    name = writer.next_name()
    info = GenerationInfo(
        name=name,
        doc_count=len(stories),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seeds=str(seeds.resolve()),
        extra={
            "fingerprints": fingerprints,
            "parallel_threshold": PARALLEL_THRESHOLD,
            "summary": {k: v for k, v in summary.as_dict().items() if k != "skipped"},
            "skipped": summary.as_dict()["skipped"],
            "stamps": {name: list(e[0].stamp) for name, e in extracted.read.items()}
            | _kept_stamps(state, extracted),
            "cluster_settings": asdict(DEFAULT_SETTINGS),
            "cluster_seconds": summary.phases["clusters"],
            # What an engine without a folder of its own records for /api/health's freshness
            # (OpenSearch keeps it beside the generation; Whoosh writes seed-stamps.json).
            "built_from": {
                "stamps": scan.stamps,
                "skipped": [file_name for file_name, *_ in scan.skipped],
            },
        },
    )
    base = None if summary.full else live
    found: list[Clustered] = []

    def clusters() -> list[Cluster]:
        """What the writer calls once it needs the clusters (after the index, for Whoosh):
        the time spent waiting for them is the clusters stage's, not the index's."""
        if not found:
            with summary.timing("clusters"), summary.timing("waited"):
                found.append(clustered_when())
            info.extra["cluster_seconds"] = summary.phases["clusters"]
        return clustering.as_clusters(stories, found[0].groups)

    with summary.timing("index"):
        writer.write(stories, clusters, info, base, progress)
        clusters()  # the stage waits for them whatever the writer did
    summary.phases["index"] = round(summary.phases["index"] - summary.phases.pop("waited"), 3)
    clustered = found[0]
    summary.added, summary.deleted = getattr(writer, "written", (len(stories), 0))
    with summary.timing("publish"):
        writer.publish(name)
    published = Published(
        generation=name,
        counts={"files": len(files), "articles": len(articles), "stories": len(stories)},
        **scan.__dict__,
    )
    with summary.timing("state"):
        _save(
            state,
            extracted,
            files,
            pairs,
            stories,
            (fingerprints, merged),
            clustered,
            published,
            fresh,
        )
    return name


def _kept_stamps(state: BuildState, extracted: Extracted) -> dict[str, list[int]]:
    """The stamps of the files whose articles came from the build state (for /api/health)."""
    reused = {name for name, _ in extracted.refs} - extracted.read.keys()
    return {name: list(stamp) for name, stamp in state.stamps().items() if name in reused}


def _duplicate_pairs(
    stored: list[tuple[ArticleRef, ArticleRef]] | None,
    refs: list[ArticleRef],
    changed: set[int],
    keys: list[ShingleKey],
) -> list[tuple[int, int]]:
    """The verified duplicate pairs (article indexes): the last build's (`stored`, by file and
    position) among unchanged articles, and those of the changed ones probed now; all of them
    on a first build (`stored` None)."""
    if stored is None:
        return duplicate_pairs(keys)
    index_of = {ref: i for i, ref in enumerate(refs) if i not in changed}
    kept = [(index_of[a], index_of[b]) for a, b in stored if a in index_of and b in index_of]
    return sorted(set(kept).union(pairs_touching(keys, changed)))


def _writes_little(changed: set[int]) -> bool:
    """Whether the writer will write these changed articles' stories in this process (below
    PARALLEL_THRESHOLD): then the second core is free for work beside it."""
    return len(changed) < PARALLEL_THRESHOLD


def _beside(work: Callable[[], Any], beside: bool) -> Callable[[], Any]:
    """`work` started `beside` what the build does next, in a forked child on the other core
    (it must not use the build state's connection: what it needs is read before), or else done
    when its result is asked for. The function returned gives the result; call it once."""
    if not beside or (os.cpu_count() or 1) < 2:
        return work
    return forking.in_child(work, collect=False).answer


@dataclass
class Clustered:
    signatures: (
        Mapping[int, Signature | None] | list[Signature | None]
    )  # per story (changed ones at least)
    groups: list[list[int]]  # the clusters, indexes into stories
    pairs: list[tuple[float, int, int]]  # the similar pairs they were grouped from
    changed: set[int]  # stories whose signature is new (to store)
    gone: list[str]  # ids of the last build's stories no longer there (to forget)
    # Incrementally: the story ids whose stored similar pairs are dropped, and the pairs found
    # now (all touch a dropped story); None: `pairs` replace the stored ones.
    update: tuple[set[str], list[tuple[float, int, int]]] | None = None

    def portable(self) -> Clustered:
        """The same with only the signatures _save stores (those of `changed`), and no pairs
        when `update` holds what _save writes: what crosses a pipe from a forked child."""
        signatures = {i: self.signatures[i] for i in self.changed}
        pairs = self.pairs if self.update is None else []
        return Clustered(signatures, self.groups, pairs, self.changed, self.gone, self.update)


def _clusters(
    stored: tuple[dict[str, tuple[str, bytes]], list[tuple[str, str, float]]] | None,
    stories: list[Article],
    fingerprints: dict[str, str],
    known: dict[int, Signature | None],
) -> Clustered:
    """Every story's signature, the clusters and the similar pairs.

    Incrementally (`stored`: the build state's story signatures and similar pairs, read
    before: this may run in a forked child, which must not use the parent's database
    connection): a story whose fingerprint is unchanged keeps its signature and its pairs with
    other such stories; pairs are found again only for the stale ones (clusters.
    stale_stories)."""
    settings = DEFAULT_SETTINGS
    incremental = stored is not None
    previous, stored_pairs = stored if stored is not None else ({}, [])
    signatures: list[Signature | None] = []
    changed: set[int] = set()
    for index, story in enumerate(stories):
        old = previous.pop(story.id, None)
        if old is not None and old[0] == fingerprints[story.id]:
            # The same signature as stored; the article's own (held anyway) when it has one.
            signatures.append(known[id(story)] if id(story) in known else pickle.loads(old[1]))
            continue
        changed.add(index)
        signatures.append(known[id(story)] if id(story) in known else signature(story, settings))
        if old is not None:
            previous[story.id] = old  # its old signature leaves the postings
    gone = [story_id for story_id in previous if story_id not in fingerprints]
    if not incremental or len(fingerprints) != len(stories):
        pairs = clustering.similar_pairs(signatures, settings)
        groups = clustering.groups_of(stories, pairs, settings)
        return Clustered(signatures, groups, pairs, set(range(len(stories))), gone)
    old_signatures = [s for _, blob in previous.values() if (s := pickle.loads(blob)) is not None]
    del previous
    # Only the postings looked up: those of the hashes the changed and gone sketches hold, then
    # those of the stale stories' (all of them were the incremental build's peak).
    wanted = clustering.sketch_hashes([*(signatures[i] for i in changed), *old_signatures])
    postings = clustering.postings_of(signatures, wanted)
    stale = clustering.stale_stories(signatures, changed, old_signatures, settings, postings)
    postings = clustering.postings_of(
        signatures, clustering.sketch_hashes(signatures[i] for i in stale)
    )
    index_of = {story.id: i for i, story in enumerate(stories)}
    kept = []
    dropped = {stories[i].id for i in stale}
    for story_id, other_id, similarity in stored_pairs:
        first, second = index_of.get(story_id), index_of.get(other_id)
        if first is None or second is None or first in stale or second in stale:
            dropped.update(i for i, at in ((story_id, first), (other_id, second)) if at is None)
            continue
        kept.append((similarity, min(first, second), max(first, second)))
    found = clustering.similar_pairs(signatures, settings, stale, postings)
    pairs = kept + found
    groups = clustering.groups_of(stories, pairs, settings)
    return Clustered(signatures, groups, pairs, changed, gone, (dropped, found))


def _save(  # noqa: PLR0913 - one build's results
    state: BuildState,
    extracted: Extracted,
    files: list[SeedFile],
    pairs: list[tuple[int, int]],
    stories: list[Article],
    fingerprinted: tuple[dict[str, str], dict[str, str]],
    clustered: Clustered,
    published: Published,
    fresh: bool,
) -> None:
    """What the next build reuses, in one transaction (see state.py). `fingerprinted`: by
    story id, and the merged stories' by their members' (story_fingerprints)."""
    fingerprints, merged = fingerprinted
    refs = extracted.refs
    present = {f.name for f in files}
    with state.transaction():
        if fresh:
            state.clear()
        gone = [name for name in state.stamps() if name not in present]
        redone = [*extracted.read, *gone]
        state.drop_files(redone)
        for name, (seed, articles, derived) in extracted.read.items():
            state.put_file(name, seed.stamp, articles, derived)
        state.drop_duplicate_pairs_of(redone)
        # The pairs among unchanged articles are in the store already.
        changed = extracted.changed
        state.add_duplicate_pairs(
            (refs[a], refs[b]) for a, b in pairs if a in changed or b in changed
        )
        if clustered.update is None:
            similar = clustered.pairs
            state.replace_similar_pairs((stories[a].id, stories[b].id, s) for s, a, b in similar)
        else:
            dropped, found = clustered.update
            state.update_similar_pairs(
                dropped, ((stories[a].id, stories[b].id, s) for s, a, b in found)
            )
        state.replace_merged_fingerprints(merged.items())
        state.drop_story_signatures(clustered.gone)
        state.put_story_signatures(
            (
                stories[i].id,
                fingerprints[stories[i].id],
                pickle.dumps(clustered.signatures[i], protocol=5),
            )
            for i in sorted(clustered.changed)
        )
        state.set_derived_version(_derived_version())
        state.set_published(published)
