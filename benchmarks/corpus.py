"""Benchmark corpus and query mix, shared by search_speed.py and http_load.py.

The articles come from `../shared/data/news/make_corpus.py` (never copied into the project): this
module runs it into a scratch folder (benchmarks/out/ by default, gitignored), reads the files back
for the FTS5 baseline, and derives one deterministic query mix from them. A query is a list of
clauses that can be written both in this project's syntax and as an FTS5 MATCH expression, and
evaluated by brute force over analysed stories to check totals.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from searchsvc.analysis import STOP_WORDS

NEWS = Path(os.environ.get("NEWS_DATA", Path(__file__).resolve().parents[2] / "shared/data/news"))
OUT = Path(__file__).resolve().parent / "out"

_WORD = re.compile(r"[A-Za-z]+")
# Words the query mix avoids: stop words vanish from this project's queries (not from FTS5's).
_SKIP = STOP_WORDS | frozenset(
    [
        "said",
        "says",
        "would",
        "could",
        "also",
        "after",
        "which",
        "this",
        "have",
        "not",
        "but",
        "they",
        "their",
        "been",
        "more",
        "than",
        "about",
        "into",
        "over",
        "other",
        "there",
        "year",
    ]
)


@dataclass(frozen=True)
class RawArticle:
    """One make_corpus.py file read naively (title line, date line, blank, body)."""

    name: str
    title: str
    published: date | None
    body: str


@dataclass(frozen=True)
class Clause:
    kind: str  # "word" | "phrase" | "prefix"
    words: tuple[str, ...]


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    clauses: tuple[Clause, ...]
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None

    @property
    def text(self) -> str:
        """This project's query syntax."""
        parts = []
        for c in self.clauses:
            if c.kind == "phrase":
                parts.append('"' + " ".join(c.words) + '"')
            elif c.kind == "prefix":
                parts.append(c.words[0] + "*")
            else:
                parts.append(c.words[0])
        return " ".join(parts)

    @property
    def fts(self) -> str:
        """The same query as an FTS5 MATCH expression (implicit AND between clauses)."""
        parts = []
        for c in self.clauses:
            if c.kind == "prefix":
                parts.append(c.words[0] + "*")
            else:
                parts.append('"' + " ".join(c.words) + '"')
        return " ".join(parts)

    def label(self) -> str:
        extra = f" sort={self.sort}" if self.sort != "relevance" else ""
        if self.date_from or self.date_to:
            extra += f" from={self.date_from} to={self.date_to}"
        return f"[{self.kind}] {self.text}{extra}"


@dataclass
class QueryMix:
    measured: list[BenchQuery]
    warmup: list[BenchQuery] = field(default_factory=list)


def ensure_corpus(n: int, workdir: Path = OUT) -> Path:
    """The folder holding make_corpus.py's N article files, generated once and then reused."""
    folder = workdir / f"news{n}"
    if folder.is_dir() and sum(1 for _ in folder.glob("*.txt")) == n:
        return folder
    workdir.mkdir(parents=True, exist_ok=True)
    script = NEWS / "make_corpus.py"
    subprocess.run(
        [sys.executable, str(script), "--n", str(n), "--out", str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def read_raw(path: Path) -> RawArticle:
    lines = path.read_text("utf-8").split("\n")
    title = lines[0].strip()
    stamp = lines[1].strip() if len(lines) > 1 else ""
    published = date.fromisoformat(stamp) if stamp else None
    body = "\n".join(lines[3:]).strip()
    return RawArticle(path.name, title, published, body)


def article_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"))


def load_queries_file(path: Path = NEWS / "queries.txt") -> list[BenchQuery]:
    queries = []
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith('"'):
            queries.append(
                BenchQuery("listed phrase", (Clause("phrase", tuple(line.strip('"').split())),))
            )
        else:
            words = tuple(Clause("word", (w,)) for w in line.split())
            queries.append(BenchQuery("listed words", words))
    return queries


def _content_words(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if len(w) > 2 and w not in _SKIP]


def build_mix(articles: list[RawArticle], seed: int = 7, scale: int = 1) -> QueryMix:
    """queries.txt plus a generated mix; `warmup` is a disjoint set for warming searchers."""
    rng = random.Random(seed)
    sample = articles if len(articles) <= 20_000 else rng.sample(articles, 20_000)
    df: Counter[str] = Counter()
    for a in sample:
        df.update(set(_content_words(a.title + " " + a.body)))
    ranked = [w for w, _ in df.most_common()]
    common = ranked[:300]
    middle = [w for w in ranked[300:3000] if len(w) >= 6]
    rare = [w for w, n in df.items() if 2 <= n <= 5 and len(w) >= 5]
    rare.sort()
    dated = sorted(a.published for a in articles if a.published)

    def doc_words() -> list[str]:
        while True:
            words = _content_words(rng.choice(sample).body)
            if len(set(words)) >= 5:
                return words

    def phrase() -> Clause:
        while True:
            text = rng.choice(sample).body
            tokens = text.split()
            if len(tokens) < 10:
                continue
            size = rng.choice((2, 2, 3))
            start = rng.randrange(len(tokens) - size)
            run = [t.lower() for t in tokens[start : start + size]]
            if all(re.fullmatch(r"[a-z]{3,}", t) and t not in _SKIP for t in run):
                return Clause("phrase", tuple(run))

    def date_window() -> tuple[date, date]:
        low = rng.choice(dated)
        return low, low + timedelta(days=rng.choice((7, 30, 90)))

    def word(w: str) -> Clause:
        return Clause("word", (w,))

    def generate(count: int) -> list[BenchQuery]:
        made: list[BenchQuery] = []
        for _ in range(count):
            made.append(BenchQuery("common term", (word(rng.choice(common)),)))
            made.append(BenchQuery("rare term", (word(rng.choice(rare)),)))
            words = doc_words()
            made.append(
                BenchQuery("two words", tuple(word(w) for w in rng.sample(sorted(set(words)), 2)))
            )
            words = doc_words()
            made.append(
                BenchQuery("three words", tuple(word(w) for w in rng.sample(sorted(set(words)), 3)))
            )
            made.append(BenchQuery("phrase", (phrase(),)))
            stem = rng.choice(middle)[: rng.choice((4, 5))]
            made.append(BenchQuery("prefix", (Clause("prefix", (stem,)),)))
            low, high = date_window()
            made.append(
                BenchQuery("date filter", (word(rng.choice(common)),), date_from=low, date_to=high)
            )
            made.append(BenchQuery("sort newest", (word(rng.choice(common)),), sort="newest"))
            nonsense = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9))
            made.append(BenchQuery("no hits", (word(nonsense),)))
        return made

    measured = load_queries_file() + generate(30 * scale)
    warmup = generate(6)
    return QueryMix(measured=measured, warmup=warmup)
