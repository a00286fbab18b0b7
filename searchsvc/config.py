"""Every default in one table; SEARCHSVC_* environment variables override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    seeds: Path = Path("seeds")
    index: Path = Path("index")
    bind: str = "127.0.0.1:8000"
    # The service's address as its users reach it (e.g. https://news.example.org): the base of
    # every absolute link (feeds; export URLs and redirects when set), never the client's Host.
    public_url: str = ""
    workers: int = 2
    threads: int = 16  # per worker: connections one worker answers at once (gthread)
    max_file_bytes: int = 20 * 1024 * 1024
    max_query_chars: int = 500
    max_query_depth: int = 32  # levels of nested parentheses (query.RECURSION_SAFE_DEPTH at most)
    # The operator's own synonym groups, added to searchsvc/data/synonyms.txt (synonyms.py).
    synonyms_file: str = ""
    max_per_page: int = 100
    default_per_page: int = 10
    max_page: int = 1_000_000  # deep pages answer quickly with an empty page; beyond this: 400
    max_expansion: int = 256  # words one prefix* stands for, per field
    # Words all of a query's prefixes stand for together (per field): beyond, a 400.
    max_total_expansion: int = 2048
    # Decoded postings kept per serving process, across index generations (LRU by bytes).
    postings_cache_mb: int = 256
    search_time_limit_s: float = 2.0
    generations_kept: int = 3
    export_max_hits: int = 10_000
    export_time_limit_s: float = 10.0  # for a whole export; each of its searches gets what is left
    engine: str = "whoosh"  # or "opensearch" (engines/__init__.py: open_engine)
    opensearch_url: str = "http://127.0.0.1:9200"
    opensearch_prefix: str = "searchsvc"  # index and alias names start with it
    opensearch_shards: int = 3
    opensearch_replicas: int = 1


DEFAULTS = Settings()  # the defaults alone, for signatures that default to them


def _coerce(value: str, kind: type) -> object:
    if kind is Path or kind == "Path":
        return Path(value)
    if kind is int or kind == "int":
        return int(value)
    if kind is float or kind == "float":
        return float(value)
    return value


def load_settings(**overrides: object) -> Settings:
    """Defaults, then SEARCHSVC_<NAME> from the environment, then explicit non-None overrides."""
    values: dict[str, object] = {}
    for f in fields(Settings):
        env = os.environ.get(f"SEARCHSVC_{f.name.upper()}")
        if env:
            values[f.name] = _coerce(env, f.type)
    for name, value in overrides.items():
        if value is not None:
            values[name] = Path(value) if name in ("seeds", "index") else value
    return Settings(**values)


def seeds_to_compare(settings: Settings, recorded: str | None) -> Path:
    """The folder /api/health compares the index with: one set explicitly (--seeds,
    SEARCHSVC_SEEDS), else the folder the index records it was built from, else ./seeds."""
    if settings.seeds != Settings.seeds or not recorded:
        return settings.seeds
    return Path(recorded)
