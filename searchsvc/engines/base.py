"""The engine seam: what the service asks of a search engine, and nothing more.

Everything above this module (search(), the web layer, feeds, exports, the timeline, permalinks,
the CLI, the indexing pipeline) speaks these types and the engine-neutral values of
`searchsvc.model`; everything below it is one package per engine (`engines/whoosh/`,
`engines/opensearch/`), the only code that imports that engine's library. django-haystack's
`BaseSearchBackend` is the model: a handful of methods, each engine one package.

Two roles, as an index has two lives:

- An `Engine` owns the generations of one index (a folder of Whoosh segment sets, or a set of
  OpenSearch indices behind an alias). It opens the live one and pinned ones for reading, and
  writes, publishes and prunes them for the indexing pipeline. Opening is cheap after the first
  time: engines keep what they opened and notice a newly published generation on their own.
- A `Generation` is one immutable, complete index build. Every read goes through it, so a
  search, its facets, its timeline and its permalink all come from the same build.

Contract every engine keeps (the contract tests in tests/contract/ check each engine):

- `Generation.run(plan)` answers the plan's page of hits with the *exact* total of matches,
  the facet counts over every match, snippets as HTML-escaped text with `<mark>` around the
  matched words, `matched` words per field, and `timed_out=True` with what was found when the
  plan's deadline passed. It never raises for a plan that `search()` built from a parsed query,
  but QueryTooCostly (a 400) when the query's prefixes stand for more than
  `plan.max_total_expansion` words: bad input is refused before (QuerySyntaxError,
  InvalidParameter), engine trouble is `EngineUnavailable`.
- Nothing on a Generation mutates shared state per call: the ranking comes with the plan, and
  a Generation is safe to call from several threads at once.
- Reads of a generation that was pruned raise `GenerationGone`; no generation yet is
  `IndexMissing`.
- The serving side never imports the writing side: `Engine.writer()` imports its writing code
  lazily, so a gunicorn worker that only reads never loads it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date

from searchsvc.extract.article import Article
from searchsvc.model import Cluster, Matches, SearchPlan

# progress(stage, done, total): long work reports as it goes (the CLI draws it).
Progress = Callable[[str, int, int], None]


# The clusters of a generation, or a function giving them (GenerationWriter.write).
Clusters = list[Cluster] | Callable[[], list[Cluster]]


def resolve_clusters(clusters: Clusters) -> list[Cluster]:
    return clusters() if callable(clusters) else clusters


@dataclass(frozen=True)
class Capabilities:
    """What an engine may lack; callers read these instead of testing the engine's type."""

    score_parts: bool = True  # explain=1 gives BM25 parts per term (else: the total score only)
    exact_cluster_counts: bool = True  # collapse=1 counts clusters over every match
    prefix_cap: bool = True  # prefix* expansions capped at max_expansion, most frequent kept
    pinned_generations: bool = True  # older generations stay searchable until pruned


@dataclass(frozen=True)
class GenerationInfo:
    """What a generation says about itself (meta.json on Whoosh, index metadata on OpenSearch)."""

    name: str  # "gen-000042"
    doc_count: int
    built_at: str  # ISO 8601, UTC
    seeds: str = ""  # the folder it was built from
    extra: dict = field(default_factory=dict)  # the build summary and engine-specific facts
    # extra["built_from"] = {"stamps": {file: [size, mtime_ns]}, "skipped": [file, ...]}: given to
    # a writer that keeps it for Generation.built_from() (large: not part of the info read back).


class Generation(ABC):
    """One complete, immutable index build, opened for reading."""

    capabilities: Capabilities = Capabilities()

    @property
    @abstractmethod
    def info(self) -> GenerationInfo: ...

    @property
    def name(self) -> str:
        return self.info.name

    @abstractmethod
    def run(self, plan: SearchPlan) -> Matches:
        """Execute one search plan: the page of hits, exact total, facets, within the deadline."""

    @abstractmethod
    def story(self, story_id: str) -> Article:
        """One story by id (raises ArticleNotFound)."""

    @abstractmethod
    def stories(self) -> Iterator[Article]:
        """Every story, in no particular order."""

    @abstractmethod
    def related(self, story_id: str, limit: int) -> list[Article]:
        """'More like this': stories sharing the story's most telling words, never the story."""

    @abstractmethod
    def labels(self, field_name: str) -> list[str]:
        """Every distinct value of a label field ("outlet", "category"), sorted."""

    @abstractmethod
    def vocabulary(self) -> dict[str, int]:
        """Surface word → document frequency, for spelling suggestions (may be empty)."""

    @abstractmethod
    def cluster_of(self, story_id: str) -> Cluster | None:
        """The story's cluster (computed at index time), or None when it is in none."""

    @abstractmethod
    def cluster_count(self) -> int:
        """How many story clusters the generation has (0: grouping coverage offers nothing)."""

    @abstractmethod
    def collected_days(self) -> dict[date, int]:
        """Stories collected per (exact) day over the whole generation, for the timeline."""

    def built_from(self) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
        """The seed files this generation was built from, name → (size, mtime_ns), and the
        ones it skipped; /api/health compares them with the seeds folder. An engine that does
        not record them answers ({}, frozenset()): every seed file then counts as changed."""
        return {}, frozenset()

    def check(self, full: bool = False) -> list[str]:
        """Problems found with this generation's storage (empty: healthy). Cheap unless full."""
        return []


class Engine(ABC):
    """The generations of one index: opened for reading, written and published for building."""

    @abstractmethod
    def live(self) -> Generation:
        """The published generation (raises IndexMissing when none was built yet)."""

    @abstractmethod
    def pinned(self, name: str) -> Generation:
        """An older generation by name (raises GenerationGone once pruned or never built)."""

    @abstractmethod
    def health(self) -> dict:
        """{"status": "ok" | "degraded" | "unavailable", "problems": [...], ...} for /api/health."""

    @abstractmethod
    def build_lock(self, wait_s: float = 0.0) -> AbstractContextManager[None]:
        """Held for a whole build; raises IndexBusy when another build holds it."""

    @abstractmethod
    def writer(self) -> GenerationWriter:
        """The writing side (imported lazily: serving processes never load it)."""

    def check(self, full: bool = False) -> dict[str, list[str]]:
        """Problems per generation kept (name → problems; [] when healthy), the live one
        first; `full` reads everything (checksums) instead of the cheap facts."""
        live = self.live()
        return {live.name: live.check(full)}

    def close(self) -> None:  # noqa: B027 - optional: most engines hold nothing to release
        """Release what was opened (searchers, connections)."""

    def live_name(self) -> str:
        """The live generation's name, raising as live() does (IndexMissing, IndexDamaged).
        A build needs nothing more of it: an engine that can tell without opening the
        generation says so here."""
        return self.live().name

    def release_readers(self) -> None:  # noqa: B027 - optional: most engines hold nothing
        """Drop what reading opened (searchers, caches) yet stay usable: the next read opens
        again. A build asks the live generation only its name, and an open Whoosh searcher
        holds a copy of the generation's segment files for as long as it is kept (a fifth of
        an incremental build's memory at 10k stories)."""


class GenerationWriter(ABC):
    """Writes new generations and makes them live; used only by the indexing pipeline."""

    @abstractmethod
    def write(
        self,
        stories: Iterable[Article],
        clusters: Clusters,
        info: GenerationInfo,
        base: str | None,
        progress: Progress | None = None,
    ) -> str:
        """Write a complete new generation named info.name; return its name. Not yet live.

        `clusters`: the clusters, or a function giving them, to call once, as late as the
        engine can (a build computes them while the index is written: resolve_clusters).

        `base` names the generation it may reuse unchanged parts of (None: write everything).
        A failure or interruption leaves nothing half-written visible to readers.
        """

    @abstractmethod
    def publish(self, name: str) -> None:
        """Make a written generation the live one, atomically."""

    @abstractmethod
    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest `keep` generations (never the live or last verified one)."""

    @abstractmethod
    def next_name(self) -> str:
        """The name the next generation will get ("gen-000043")."""

    def layout(self) -> str:
        """What a generation written now depends on besides the stories (its schema, say): when
        it differs from the live generation's, a rebuild writes even if no seed file changed."""
        return ""
