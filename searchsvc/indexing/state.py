"""What one build leaves for the next, beside the generations in the `--index` folder.

    index/
      build-state.sqlite   per seed file: its stamp, articles, shingle keys and cluster signatures;
                           the verified duplicate pairs and similar-story pairs of the last build;
                           what the last published generation was built from (the no-op check)
      .build.lock          flock()ed by the one running build (engines/whoosh uses the same file)

The same for every engine: OpenSearch keeps its generations on a server, Whoosh beside this file.
SQLite (standard library) is read and written an entry at a time: an incremental build reads the
articles it needs without parsing hundreds of MB of JSON, and writes only what changed. One
transaction per build (`save`), committed after the generation is published: a build that dies
leaves the previous state, which still describes a complete build (maybe not the live one).
"""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from searchsvc.extract.article import Article

log = logging.getLogger("searchsvc")
STATE_FILE = "build-state.sqlite"
# Bump when what is stored changes meaning: an older store is then started afresh (every file is
# extracted again once, a full build).
FORMAT = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    name TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    articles BLOB NOT NULL, derived BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS duplicate_pairs(
    file TEXT NOT NULL, position INTEGER NOT NULL, other_file TEXT NOT NULL,
    other_position INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS duplicate_pairs_file ON duplicate_pairs(file);
CREATE INDEX IF NOT EXISTS duplicate_pairs_other ON duplicate_pairs(other_file);
CREATE TABLE IF NOT EXISTS similar_pairs(
    story TEXT NOT NULL, other TEXT NOT NULL, similarity REAL NOT NULL);
CREATE TABLE IF NOT EXISTS merged_fingerprints(members TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_signatures(
    id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, signature BLOB NOT NULL);
"""

ArticleRef = tuple[str, int]  # (seed file, position of the article in it)


@dataclass(frozen=True)
class Published:
    """What the last published generation was built from: unchanged → nothing to build."""

    generation: str
    settings: dict
    stamps: dict[str, list[int]]  # every seed file seen (read, reused or skipped) → [size, mtime]
    skipped: list[list[str]]  # files refused before extraction (symlinks, bad names): [name, why]
    counts: dict[str, int]  # files, articles, stories of that build

    def matches(self, generation: str | None, settings: dict, stamps: dict, skipped: list) -> bool:
        return (
            generation == self.generation
            and settings == self.settings
            and stamps == self.stamps
            and skipped == self.skipped
        )


class BuildState:
    """The store of one index folder, opened for one build (use as a context manager)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        self._stamps: dict[str, tuple[int, int]] | None = None
        try:
            try:
                self.db = self._open()
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as exc:
                # Not a database (damaged, foreign): start afresh, every file is read again.
                log.warning("build state %s unusable (%s); starting afresh", self.path, exc)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                self.db = self._open()
        except sqlite3.OperationalError as exc:  # a full disk, a read-only folder
            raise OSError(f"cannot open the build state {self.path}: {exc}") from exc

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self.db = db
            if self._setting("format") != FORMAT:
                with self.transaction():
                    self.clear()
        except BaseException:
            db.close()
            raise
        return db

    def __enter__(self) -> BuildState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def _setting(self, key: str) -> object:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def _put_setting(self, key: str, value: object) -> None:
        text = json.dumps(value, sort_keys=True)
        self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, text))

    def clear(self) -> None:
        """Forget everything (a full build, or a store of another format); in a transaction."""
        self._stamps = None
        tables = ("settings", "files", "duplicate_pairs", "similar_pairs", "story_signatures")
        for table in (*tables, "merged_fingerprints"):
            self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        self._put_setting("format", FORMAT)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; SQLite's failures (a full disk) surface as OSError, as a failed
        write of the index does."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._stamps = None
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise OSError(f"cannot write the build state {self.path}: {exc}") from exc

    # --- the no-op check ------------------------------------------------------------------

    def published(self) -> Published | None:
        value = self._setting("published")
        return Published(**value) if isinstance(value, dict) else None

    def set_published(self, published: Published) -> None:
        self._put_setting("published", published.__dict__)

    # --- derived-data version (pairs and keys are only reusable under the same settings) ---

    def derived_version(self) -> object:
        return self._setting("derived_version")

    def set_derived_version(self, version: object) -> None:
        self._put_setting("derived_version", version)

    # --- per seed file: stamp, articles, derived data -------------------------------------

    def stamps(self) -> dict[str, tuple[int, int]]:
        """Every kept file's stamp (read once per build: a build asks several times; do not
        modify the dict returned)."""
        if self._stamps is None:
            rows = self.db.execute("SELECT name, size, mtime_ns FROM files")
            self._stamps = {n: (s, m) for n, s, m in rows}
        return self._stamps

    def file_derived(self, names: Iterable[str]) -> Iterator[tuple[str, list]]:
        """(name, derived data) of each named file kept by the last build, in the table's
        order: one sequential scan (a query per file, or one in name order, which reads the
        table through its index, was a tenth of a 100k incremental build)."""
        return self._file_column("derived", names)

    def file_articles(self, names: Iterable[str]) -> Iterator[tuple[str, list[Article]]]:
        """(name, articles) of each named file kept by the last build (as file_derived)."""
        return self._file_column("articles", names)

    def _file_column(self, column: str, names: Iterable[str]) -> Iterator[tuple[str, list]]:
        wanted = set(names)
        for name, blob in self.db.execute(f"SELECT name, {column} FROM files"):  # noqa: S608 - fixed names
            if name in wanted:
                yield name, pickle.loads(blob)

    def put_file(self, name: str, stamp: tuple[int, int], articles: list, derived: list) -> None:
        self._stamps = None
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
            (
                name,
                stamp[0],
                stamp[1],
                # Not compressed: decompressing was a third of loading the articles of 100k
                # files (1.3 s of an incremental build), for 87 MiB saved.
                pickle.dumps(articles, protocol=5),
                pickle.dumps(derived, protocol=5),
            ),
        )

    def drop_files(self, names: Iterable[str]) -> None:
        self._stamps = None
        self.db.executemany("DELETE FROM files WHERE name = ?", ((n,) for n in names))

    # --- verified duplicate pairs, by (file, position) --------------------------------------

    def duplicate_pairs(self) -> Iterator[tuple[ArticleRef, ArticleRef]]:
        for file, position, other_file, other_position in self.db.execute(
            "SELECT file, position, other_file, other_position FROM duplicate_pairs"
        ):
            yield (file, position), (other_file, other_position)

    def drop_duplicate_pairs_of(self, names: Iterable[str]) -> None:
        names = list(names)
        self.db.executemany("DELETE FROM duplicate_pairs WHERE file = ?", ((n,) for n in names))
        self.db.executemany(
            "DELETE FROM duplicate_pairs WHERE other_file = ?", ((n,) for n in names)
        )

    def add_duplicate_pairs(self, pairs: Iterable[tuple[ArticleRef, ArticleRef]]) -> None:
        self.db.executemany(
            "INSERT INTO duplicate_pairs VALUES (?, ?, ?, ?)", ((*a, *b) for a, b in pairs)
        )

    # --- similar-story pairs and story signatures, by story id ------------------------------

    def similar_pairs(self) -> list[tuple[str, str, float]]:
        return self.db.execute("SELECT story, other, similarity FROM similar_pairs").fetchall()

    def replace_similar_pairs(self, pairs: Iterable[tuple[str, str, float]]) -> None:
        self.db.execute("DELETE FROM similar_pairs")
        self.db.executemany("INSERT INTO similar_pairs VALUES (?, ?, ?)", pairs)

    def update_similar_pairs(
        self, dropped: Iterable[str], added: Iterable[tuple[str, str, float]]
    ) -> None:
        """Forget the pairs of the `dropped` stories and store `added` (an incremental build
        writes the pairs it found again, not all of them)."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS dropped_stories(id TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM dropped_stories")
        self.db.executemany(
            "INSERT OR IGNORE INTO dropped_stories VALUES (?)", ((i,) for i in dropped)
        )
        self.db.execute(
            "DELETE FROM similar_pairs WHERE story IN (SELECT id FROM dropped_stories)"
            " OR other IN (SELECT id FROM dropped_stories)"
        )
        self.db.executemany("INSERT INTO similar_pairs VALUES (?, ?, ?)", added)

    def story_signatures(self) -> dict[str, tuple[str, bytes]]:
        """Story id → (fingerprint, pickled signature) of the last build's stories."""
        rows = self.db.execute("SELECT id, fingerprint, signature FROM story_signatures")
        return {story_id: (fp, sig) for story_id, fp, sig in rows}

    def merged_fingerprints(self) -> dict[str, str]:
        """The fingerprints of the last build's merged stories, by their members' (see
        pipeline.story_fingerprints)."""
        return dict(self.db.execute("SELECT members, fingerprint FROM merged_fingerprints"))

    def replace_merged_fingerprints(self, rows: Iterable[tuple[str, str]]) -> None:
        self.db.execute("DELETE FROM merged_fingerprints")
        self.db.executemany("INSERT OR REPLACE INTO merged_fingerprints VALUES (?, ?)", rows)

    def put_story_signatures(self, rows: Iterable[tuple[str, str, bytes]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO story_signatures VALUES (?, ?, ?)", rows)

    def drop_story_signatures(self, story_ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM story_signatures WHERE id = ?", ((i,) for i in story_ids))
