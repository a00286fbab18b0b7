"""Opening a Whoosh generation for reading, and what a generation computes once and keeps.

Every per-generation cache lives in one `GenerationCaches` object, named attributes, each built
on first use under one lock, bounded by the generation (a column per field, one searcher per
scoring model). Decoded postings live in a PostingsStore the engine shares between its
generations (bounded in bytes), so a new generation starts with its unchanged segments' postings
already decoded.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import date

from whoosh import index as whoosh_index
from whoosh.scoring import WeightingModel
from whoosh.searching import Searcher

from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.collapsing import StoryClusters
from searchsvc.engines.whoosh.columns import LabelColumn, day_numbers, sort_keys
from searchsvc.engines.whoosh.postings import (
    PostingsCache,
    PostingsStore,
    segment_key,
    weighting_key,
)
from searchsvc.errors import IndexMissing

log = logging.getLogger("searchsvc")


def open_searcher(folder: gens.Generation) -> Searcher:
    """The generation's searcher (raises IndexMissing when it cannot be opened)."""
    try:
        return whoosh_index.open_dir(str(folder.path)).searcher()
    except Exception as exc:  # noqa: BLE001 - a corrupt file can fail in any unpickling way
        # Whoosh reports damaged files through many unrelated exception types
        # (its own IndexError, pickle and struct errors, EOFError); all mean one thing here.
        raise IndexMissing(
            f"index generation {folder.name} cannot be opened ({type(exc).__name__}: "
            f"{exc}); rebuild it"
        ) from exc


class GenerationCaches:
    """What one generation computes once and keeps (it never changes, so nothing expires)."""

    def __init__(
        self, folder: gens.Generation, searcher: Searcher, store: PostingsStore | None = None
    ) -> None:
        self.folder = folder
        self.searcher = searcher
        self.store = store if store is not None else PostingsStore()
        self._lock = threading.RLock()
        self._postings: PostingsCache | None = None
        self._arrays: dict[tuple[str, str], object] = {}
        self._labels: dict[str, list] = {}
        self._sort_keys: dict[str, list] = {}
        self._days: list[int | None] | None = None
        self._clusters: StoryClusters | None = None
        self._vocabulary: dict[str, int] | None = None
        self._scoring: dict[tuple, Searcher] = {}
        self._label_values: dict[str, list[str]] = {}
        self._collected_days: dict[date, int] | None = None

    @property
    def postings(self) -> PostingsCache:
        """Scored postings of this generation, kept in the shared store."""
        if self._postings is None:
            with self._lock:
                if self._postings is None:
                    self._postings = PostingsCache(self.searcher, self.store)
        return self._postings

    def scoring(self, model: WeightingModel) -> Searcher:
        """A searcher over the same reader that scores with `model` (one per model): the
        weighting goes with the call, never onto a searcher other searches share."""
        key = weighting_key(model)
        found = self._scoring.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._scoring.get(key)
            if found is None:
                reader = self.searcher.reader()
                found = Searcher(reader, weighting=model, closereader=False)
                self._scoring[key] = found
        return found

    def _column(self, store: dict[str, list], name: str, translate: bool) -> list:
        values = store.get(name)
        if values is not None:
            return values
        with self._lock:
            values = store.get(name)
            if values is None:
                values = []
                for subsearcher, offset in self.searcher.leaf_searchers():
                    assert offset == len(values)
                    values.extend(self._segment_column(subsearcher.reader(), name, translate))
                store[name] = values
        return values

    def _segment_column(self, reader, name: str, translate: bool) -> list:  # noqa: ANN001
        """One segment's column, kept in the shared store by segment: a segment never changes,
        so a new generation reads only the columns of the segments it wrote (reading them all
        was most of the first faceted search at 100k stories, after every rebuild)."""
        key = segment_key(reader)
        if key is None:
            return list(reader.column_reader(name, translate=translate))
        key = (*key, "column", name, translate)
        found = self.store.get(key)
        if found is None:
            found = list(reader.column_reader(name, translate=translate))
            # About a pointer and a small string per document (labels repeat: an estimate).
            self.store.put(key, found, 64 * len(found))
        return found  # type: ignore[return-value]

    def labels_column(self, name: str) -> list:
        """A label column (outlet, category, month, day_label) over the whole generation
        (segments end to end), indexed by global document number."""
        return self._column(self._labels, name, True)

    def sort_column(self, name: str) -> list:
        """A sort key column ("newest", "oldest"), raw, by global document number."""
        return self._column(self._sort_keys, name, False)

    def _array(self, kind: str, name: str, make: Callable[[], object]) -> object:
        found = self._arrays.get((kind, name))
        if found is None:
            made = make()
            with self._lock:
                found = self._arrays.setdefault((kind, name), made)
        return found

    def label_codes(self, name: str) -> LabelColumn:
        """labels_column(name) as codes into its distinct values (numpy)."""
        return self._array("labels", name, lambda: LabelColumn.of(self.labels_column(name)))  # type: ignore[return-value]

    def sort_array(self, name: str):  # noqa: ANN201 - a numpy array
        """sort_column(name) as a numpy array."""
        return self._array("sort", name, lambda: sort_keys(self.sort_column(name)))

    def day_array(self):  # noqa: ANN201 - a numpy array
        """days() as a numpy array, -1 for an undated story."""
        return self._array("days", "", lambda: day_numbers(self.days()))

    def days(self) -> list[int | None]:
        """Each story's printed day as YYYYMMDD (the `day` field's value), from day_label."""
        if self._days is None:
            labels = self.labels_column("day_label")
            days = [int(v.lstrip("~").replace("-", "")) if v else None for v in labels]
            with self._lock:
                self._days = days
        return self._days

    @property
    def clusters(self) -> StoryClusters:
        """The generation's story clusters, read once."""
        if self._clusters is None:
            with self._lock:
                if self._clusters is None:
                    self._clusters = StoryClusters.load(self.folder.path, self.searcher)
        return self._clusters

    @property
    def vocabulary(self) -> dict[str, int]:
        """Surface word → document frequency; empty (and logged) when the file is unreadable."""
        if self._vocabulary is None:
            path = self.folder.path / gens.VOCAB
            try:
                vocabulary = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                log.warning(
                    "no spelling suggestions for generation %s: %s unreadable (%s)",
                    self.folder.name,
                    path.name,
                    exc,
                )
                vocabulary = {}
            with self._lock:
                self._vocabulary = vocabulary
        return self._vocabulary

    def label_values(self, name: str) -> list[str]:
        """Every distinct value of a label field, sorted (the form's choices)."""
        values = self._label_values.get(name)
        if values is None:
            reader = self.searcher.reader()
            values = sorted(
                value.decode("utf-8") if isinstance(value, bytes) else value
                for value in reader.field_terms(name)
                if value
            )
            with self._lock:
                self._label_values[name] = values
        return values

    def collected_days(self, count: Callable[[], dict[date, int]]) -> dict[date, int]:
        """Stories per exact day over the generation, counted once with `count`."""
        if self._collected_days is None:
            counted = count()
            with self._lock:
                self._collected_days = counted
        return self._collected_days

    def close(self) -> None:
        if self._postings is not None:
            self._postings.close()
        for searcher in self._scoring.values():
            searcher.close()
