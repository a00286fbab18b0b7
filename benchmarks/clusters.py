"""Story clustering quality: precision and recall of same-story pairs, on two ground truths.

1. The seeds, as extracted articles BEFORE dedup (`extract_file` on every file): the listing page
   (004_…) repeats two stories whose full pages are also in seeds/ (000_…, 002_…). Those twins,
   recognised by their identical content id (same words), are the true pairs. Dedup merges them
   at index time; here they show whether clustering finds them and nothing else.
2. The news benchmark corpus (../shared/data/news/make_corpus.py, run into benchmarks/out/):
   beyond the 21,666 real articles it writes perturbed copies, each recording the original it
   was made from (`derived_from`). An original and all its copies form one true cluster. The
   generator shifts a copy's date by 7 days × its copy number ± 3, so the time window is varied.

A pair counts when both stories land in one cluster (pair precision/recall, as in entity
resolution). The corpus also has real articles that truly are the same story (Reuters repeats,
two outlets on one event), which its ground truth calls different; "P (copies)" therefore also
reports precision over predicted pairs that involve at least one generated copy.

    .venv/bin/python benchmarks/clusters.py [--docs 50000] [--skip-corpus]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from searchsvc.extract import extract_file
from searchsvc.extract.article import Article
from searchsvc.indexing.clusters import (
    DEFAULT_SETTINGS,
    ClusterSettings,
    average_link,
    cluster_stories,
    signatures_of,
    similar_pairs,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
NEWS = ROOT.parent / "shared" / "data" / "news"
OUT = ROOT / "benchmarks" / "out"
WINDOWS: tuple[int | None, ...] = (3, 10, 17, None)  # the default is marked in the table
THRESHOLDS = (0.15, DEFAULT_SETTINGS.threshold, 0.3)


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    copy_precision: float | None  # over predicted pairs involving a generated copy
    predicted: int
    true: int
    largest: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def pair_score(
    labels: Sequence[int], truth: Sequence[str], synthetic: Sequence[bool] | None = None
) -> Score:
    """Pair precision/recall of a clustering (`labels`) against true groups (`truth`)."""
    sizes = Counter(labels)
    predicted = sum(n * (n - 1) // 2 for n in sizes.values())
    correct = sum(n * (n - 1) // 2 for n in Counter(zip(labels, truth, strict=True)).values())
    true = sum(n * (n - 1) // 2 for n in Counter(truth).values())
    copy_precision = None
    if synthetic is not None:
        real = Counter(label for label, made in zip(labels, synthetic, strict=True) if not made)
        real_pairs = sum(n * (n - 1) // 2 for n in real.values())
        with_copy = predicted - real_pairs
        copy_precision = correct / with_copy if with_copy else 1.0
    return Score(
        precision=correct / predicted if predicted else 1.0,
        recall=correct / true if true else 1.0,
        copy_precision=copy_precision,
        predicted=predicted,
        true=true,
        largest=max(sizes.values(), default=0),
    )


def labels_of(count: int, groups: list[list[int]]) -> list[int]:
    labels = list(range(count))
    for group in groups:
        for index in group:
            labels[index] = group[0]
    return labels


# --- seeds ----------------------------------------------------------------------------------


def seed_articles() -> list[Article]:
    articles: list[Article] = []
    for path in sorted(SEEDS.iterdir()):
        articles.extend(extract_file(path, path.name))
    return articles


def seeds_report() -> Score:
    articles = seed_articles()
    groups = cluster_stories(articles)
    score = pair_score(labels_of(len(articles), groups), [a.id for a in articles])
    print(f"seeds: {len(articles)} extracted articles (before dedup), {score.true} twin pairs")
    for group in groups:
        print("  cluster: " + " | ".join(_describe(articles[i]) for i in group))
    print(_table_header())
    print(_row("default", score))
    return score


def _describe(article: Article) -> str:
    return f"{article.source_file} {article.outlet}: {(article.title or '')[:40]}"


# --- news corpus ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusDoc:
    article: Article
    root: str  # the original's id: the true cluster
    synthetic: bool


def corpus_docs(docs: int) -> list[CorpusDoc]:
    """make_corpus.py's JSONL output (generated once into benchmarks/out/), as Articles."""
    folder = OUT / f"news-{docs}-jsonl"
    path = folder / "articles.jsonl"
    if not path.exists():
        command = [
            sys.executable,
            str(NEWS / "make_corpus.py"),
            "--n",
            str(docs),
            "--out",
            str(folder),
            "--jsonl",
        ]
        print("$ " + " ".join(command), file=sys.stderr)
        subprocess.run(command, check=True, stdout=sys.stderr)
    opener = gzip.open if path.suffix == ".gz" else open
    result = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            article = Article(
                title=record["title"],
                body=tuple(p for p in record["body"].split("\n\n") if p.strip()),
                source_file=record["id"],
                outlet=record.get("outlet"),
                published=date.fromisoformat(record["published"]) if record["published"] else None,
                category=record.get("category"),
            )
            root = record.get("derived_from") or record["id"]
            result.append(CorpusDoc(article, root, bool(record.get("synthetic"))))
    return result


def corpus_report(docs: int) -> dict[tuple[int | None, float], Score]:
    corpus = corpus_docs(docs)
    articles = [d.article for d in corpus]
    truth = [d.root for d in corpus]
    synthetic = [d.synthetic for d in corpus]
    copies = sum(synthetic)
    started = time.perf_counter()
    cluster_stories(articles)
    default_seconds = time.perf_counter() - started
    print(
        f"\nnews corpus: {len(corpus)} documents ({copies} perturbed copies); "
        f"clustering with the defaults took {default_seconds:.1f} s"
    )
    # One pass for every window and threshold: the loosest settings, then filtered.
    loosest = ClusterSettings(threshold=min(THRESHOLDS), window_days=None)
    signatures = signatures_of(articles, loosest)
    pairs = similar_pairs(signatures, loosest)
    print(_table_header("window days  threshold"))
    scores = {}
    for window in WINDOWS:
        near = [p for p in pairs if _within(signatures, p, window)]
        for threshold in THRESHOLDS:
            groups = average_link(len(articles), near, threshold)
            score = pair_score(labels_of(len(articles), groups), truth, synthetic)
            scores[(window, threshold)] = score
            default = window == DEFAULT_SETTINGS.window_days and threshold == (
                DEFAULT_SETTINGS.threshold
            )
            label = f"{window if window is not None else 'none':>11}  {threshold:>9.2f}"
            print(_row(label + (" *" if default else "  "), score))
    print("* the defaults (searchsvc/clusters.py)")
    return scores


def _within(signatures, pair: tuple[float, int, int], window: int | None) -> bool:
    if window is None:
        return True
    first, second = signatures[pair[1]].day, signatures[pair[2]].day
    return first is None or second is None or abs(first - second) <= window


def _table_header(label: str = "settings") -> str:
    columns = ("P", 6), ("R", 6), ("F1", 6), ("P (copies)", 10), ("pairs", 8), ("true", 8)
    return f"{label:<26} " + " ".join(f"{name:>{width}}" for name, width in columns) + " largest"


def _row(label: str, score: Score) -> str:
    copy = f"{score.copy_precision:.3f}" if score.copy_precision is not None else "-"
    return (
        f"{label:<26} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f} {copy:>10} "
        f"{score.predicted:8d} {score.true:8d} {score.largest:7d}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000, help="corpus size (default 50000)")
    parser.add_argument("--skip-corpus", action="store_true", help="only the seeds")
    args = parser.parse_args(argv)
    print("$ .venv/bin/python benchmarks/clusters.py " + " ".join(argv or sys.argv[1:]))
    print(f"defaults: {replace(DEFAULT_SETTINGS)}\n")
    seeds_report()
    if not args.skip_corpus:
        corpus_report(args.docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
