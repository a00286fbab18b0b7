"""Ranking quality on BEIR SciFact, through this project's indexer and search core.

    .venv/bin/python benchmarks/ranking.py [--split test|train] [--quick | --rows 0,3,5]

Every abstract is written as a plain-text article (`<_id>.txt`: title line, blank line, text)
into a seeds folder and indexed by `searchsvc.indexing.pipeline.build`, the path
`searchsvc index`
takes; hits map back to corpus ids through the story's source file. The queries are run through
`searchsvc.search.search` as the API runs them (default handling, per_page=100), the TREC run is
scored by ../shared/tools/ir_eval.py, and a table of variants is printed beside the published
Lucene BM25 figures. The last line is one JSON object with the default handling's scores.

Built indexes are cached in benchmarks/out/ keyed by a hash of the indexing code and the analysis
variant, so a second run only searches.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchsvc.engines.whoosh import analysis, schema  # noqa: E402
from searchsvc.engines.whoosh.engine import WhooshEngine, WhooshGeneration  # noqa: E402
from searchsvc.errors import QuerySyntaxError  # noqa: E402
from searchsvc.indexing.pipeline import build  # noqa: E402
from searchsvc.query import literal_words  # noqa: E402
from searchsvc.ranking import DEFAULT_RANKING, RankingSettings  # noqa: E402
from searchsvc.search import SearchRequest, search  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ir" / "scifact"
SCORER = ROOT.parent / "shared" / "tools" / "ir_eval.py"
OUT = ROOT / "benchmarks" / "out"
PER_PAGE = 100  # the API's maximum page, and the depth Recall@100 needs
INDEXING_CODE = ("searchsvc/indexing", "searchsvc/engines/whoosh/schema.py", "searchsvc/porter.py",
                 "searchsvc/analysis.py", "searchsvc/engines/whoosh/analysis.py",
                 "searchsvc/extract")  # fmt: skip

PUBLISHED = [  # Anserini BEIR v1.0.0 regressions, Lucene BM25 k1=0.9 b=0.4 (data README)
    ("Lucene BM25 flat (published)", 0.6789, 0.9253, None),
    ("Lucene BM25 multifield (published)", 0.6647, 0.9076, None),
]

# Lucene's EnglishAnalyzer stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET).
LUCENE_STOP_WORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
     "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
     "these", "they", "this", "to", "was", "will", "with")
)  # fmt: skip


@dataclass(frozen=True)
class Analysis:
    """An index-time and query-time analysis variant (patched into searchsvc.analysis)."""

    name: str
    stop_words: frozenset[str] | None = None
    stem: Callable[[str], str] | None = None


OURS = Analysis("ours")
ANALYSES = {
    "ours": OURS,
    "lucene-stop": Analysis("lucene-stop", stop_words=LUCENE_STOP_WORDS),
    "no-stem": Analysis("no-stem", stem=lambda word: word),
}


@dataclass(frozen=True)
class Variant:
    label: str
    settings: RankingSettings
    analysis: Analysis = OURS
    headline_titles: bool = True  # False: the title keeps its full stop and lands in the body
    flat_body: bool = True  # False: the index's body holds the text only, not the headline


def variants() -> list[Variant]:
    d = DEFAULT_RANKING
    no_feedback = replace(d, feedback_docs=0)
    before = with_title(replace(d, natural_k1=0.9, natural_min_words=5), 0.4)
    return [
        Variant("default handling", d),
        Variant("AND-then-OR fallback only", replace(d, natural_min_words=10_000)),
        Variant("  body without headline, title 0.4, k1 0.9, from 5 (previous)", before,
                flat_body=False),
        Variant("  body without headline", d, flat_body=False),
        Variant("  body without headline, title 0.4", with_title(d, 0.4), flat_body=False),
        Variant("  natural from 5 words", replace(d, natural_min_words=5)),
        Variant("  no feedback (PRF off)", no_feedback),
        Variant("  Whoosh idf log(N/(df+1))+1", replace(d, natural_idf="whoosh")),
        Variant("  k1=0.9", replace(d, natural_k1=0.9)),
        Variant("  k1=0.9 b=0.4 (Anserini)", replace(d, natural_k1=0.9, natural_b=0.4)),
        Variant("  repeated query words counted", replace(d, count_repeated_words=True)),
        Variant("  title boost 0 (body alone)", with_title(d, 0.0)),
        Variant("  title boost 0.4", with_title(d, 0.4)),
        Variant("  PRF reorders the head too (head 0)", replace(d, feedback_head=0)),
        Variant("  PRF 20 docs, 30 words", replace(d, feedback_docs=20, feedback_terms=30)),
        Variant("  Lucene stop words", d, analysis=ANALYSES["lucene-stop"]),
        Variant("  no stemming", d, analysis=ANALYSES["no-stem"]),
        Variant("  title ending in '.' left in body", d, headline_titles=False),
    ]  # fmt: skip


def with_title(settings: RankingSettings, boost: float) -> RankingSettings:
    return replace(settings, field_boosts={**settings.field_boosts, "title": boost})


# Data.


def read_corpus() -> list[dict]:
    with gzip.open(DATA / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def read_queries(split: str) -> dict[str, str]:
    judged = set(read_qrels(split))
    with (DATA / "queries.jsonl").open(encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines)
        return {row["_id"]: row["text"] for row in rows if row["_id"] in judged}


def read_qrels(split: str) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with (DATA / "qrels" / f"{split}.tsv").open(encoding="utf-8") as lines:
        for line in lines:
            qid, docid, score = line.split()
            if score.isdigit():
                qrels.setdefault(qid, {})[docid] = int(score)
    return qrels


def article_text(doc: dict, headline_titles: bool = True) -> str:
    """A corpus record as a plain-text article: title line, blank line, abstract.

    News headlines carry no full stop, and the generic reader only takes a first line without
    one as the title; paper titles usually end with one, so it is dropped (headline style).
    """
    title = doc["title"].strip()
    if headline_titles and title.endswith(".") and not title.endswith(".."):
        title = title[:-1]
    return f"{title}\n\n{doc['text'].strip()}\n"


def write_seeds(docs: list[dict], folder: Path, headline_titles: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / f"{doc['_id']}.txt").write_text(article_text(doc, headline_titles), "utf-8")


# Analysis variants are patched into the analysis module for both indexing and querying.


@contextmanager
def analysed_as(variant: Analysis) -> Iterator[None]:
    saved = (analysis.STOP_WORDS, analysis.stem)
    analysis._EXPANSIONS.clear()  # EnglishAnalyzer's per-word table holds the previous variant
    if variant.stop_words is not None:
        analysis.STOP_WORDS = variant.stop_words
    if variant.stem is not None:
        analysis.stem = variant.stem
    try:
        yield
    finally:
        analysis.STOP_WORDS, analysis.stem = saved
        analysis._EXPANSIONS.clear()


@contextmanager
def body_as(flat: bool) -> Iterator[None]:
    """Index `body` as the text alone (False) to measure what the headline in it is worth."""
    saved = schema.indexed_body
    if not flat:
        schema.indexed_body = lambda story: story.text
    try:
        yield
    finally:
        schema.indexed_body = saved


def code_hash(*extra: str) -> str:
    digest = hashlib.sha256()
    for name in INDEXING_CODE:
        path = ROOT / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    for text in extra:
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:12]


def built_index(docs: list[dict], variant: Variant, tag: str = "scifact") -> Path:
    """The index root for this corpus and analysis, built through `indexer.build` when missing."""
    ids = hashlib.sha256(" ".join(d["_id"] for d in docs).encode()).hexdigest()
    shape = f"{int(variant.headline_titles)}{int(variant.flat_body)}"
    key = code_hash(variant.analysis.name, shape, ids)
    root = OUT / f"{tag}-{variant.analysis.name}-{shape}-{key}"
    if (root / "index" / "CURRENT").exists() or any((root / "index").glob("gen-*")):
        return root / "index"
    for stale in OUT.glob(f"{root.name.rsplit('-', 1)[0]}-*"):  # built by older indexing code
        shutil.rmtree(stale, ignore_errors=True)
    seeds = root / "seeds"
    write_seeds(docs, seeds, variant.headline_titles)
    started = time.perf_counter()
    with analysed_as(variant.analysis), body_as(variant.flat_body):
        summary = build(seeds, root / "index", full=True)
    print(
        f"# indexed {summary.stories} stories from {summary.files_seen} files "
        f"({summary.duplicates_merged} merged as duplicates, {len(summary.skipped)} skipped) "
        f"in {time.perf_counter() - started:.0f} s → {root.name}",
        file=sys.stderr,
    )
    return root / "index"


# Searching and scoring.


def corpus_ids(opened: WhooshGeneration) -> dict[str, list[str]]:
    """Story id → the corpus ids of its file and of the duplicates merged into it."""
    mapping = {}
    for fields in opened.searcher.all_stored_fields():
        story = json.loads(fields["story"])
        files = [story["source_file"], *story.get("also_in", [])]
        mapping[story["id"]] = list(dict.fromkeys(Path(f).stem for f in files))
    return mapping


@dataclass
class RunResult:
    lines: list[str]
    latencies_ms: list[float]
    modes: dict[str, int]
    rejected: int  # queries the strict parser refuses (the API answers 400)


def run_queries(
    opened: WhooshGeneration, queries: dict[str, str], settings: RankingSettings, tag: str
):
    ids = corpus_ids(opened)
    result = RunResult([], [], {}, 0)
    for qid, text in queries.items():
        started = time.perf_counter()
        try:
            found = search(opened, SearchRequest(q=text, per_page=PER_PAGE), ranking=settings)
        except QuerySyntaxError:
            # The API answers 400; the HTML page retries with the words taken literally.
            result.rejected += 1
            found = search(
                opened, SearchRequest(q=literal_words(text), per_page=PER_PAGE), ranking=settings
            )
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.modes[found.mode] = result.modes.get(found.mode, 0) + 1
        rank = 0
        for hit in found.hits:
            for docid in ids[hit.id]:
                rank += 1
                result.lines.append(f"{qid} Q0 {docid} {rank} {hit.score or 0:.6f} {tag}")
    return result


def score(run_lines: list[str], split: str, name: str) -> dict[str, float]:
    OUT.mkdir(parents=True, exist_ok=True)
    run_path = OUT / f"run-{split}-{name}.trec"
    run_path.write_text("\n".join(run_lines) + "\n", "utf-8")
    qrels = DATA / "qrels" / f"{split}.tsv"
    output = subprocess.run(
        [sys.executable, str(SCORER), str(run_path), str(qrels)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def evaluate(variant: Variant, docs: list[dict], split: str, number: int) -> dict:
    index_root = built_index(docs, variant)
    handle = WhooshEngine(index_root)
    try:
        with analysed_as(variant.analysis):
            outcome = run_queries(handle.live(), read_queries(split), variant.settings, "searchsvc")
    finally:
        handle.close()
    scores = score(outcome.lines, split, f"v{number:02d}")
    scores["ms"] = statistics.median(outcome.latencies_ms)
    scores["p95_ms"] = sorted(outcome.latencies_ms)[int(0.95 * len(outcome.latencies_ms))]
    scores["modes"] = outcome.modes
    scores["rejected"] = outcome.rejected
    return scores


def print_table(rows: list[tuple[str, dict]], split: str) -> None:
    print(f"\nBEIR SciFact, {split} queries, search() default handling, per_page={PER_PAGE}\n")
    print(f"| {'variant':<46} | nDCG@10 | R@100  | MRR@10 | ms/query (p50, p95) | modes |")
    print(f"|{'-' * 48}|---------|--------|--------|---------------------|-------|")
    if split == "test":
        for label, ndcg, recall, _ in PUBLISHED:
            blank = "|   –    |          –          |   –   |"
            print(f"| {label:<46} | {ndcg:.4f}  | {recall:.4f} {blank}")
    for label, s in rows:
        modes = ", ".join(f"{k} {v}" for k, v in sorted(s["modes"].items()))
        print(
            f"| {label:<46} | {s['ndcg@10']:.4f}  | {s['recall@100']:.4f} | {s['mrr@10']:.4f} "
            f"| {s['ms']:6.1f}, {s['p95_ms']:6.1f}      | {modes} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument("--quick", action="store_true", help="only the default handling")
    parser.add_argument("--rows", help="only these rows of the table (comma-separated numbers)")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"SciFact data not found at {DATA}")
    docs = read_corpus()
    numbers = [0] if args.quick else list(range(len(variants())))
    if args.rows:
        numbers = [int(n) for n in args.rows.split(",")]
    rows = []
    for number in numbers:  # the run file is named by the row's number in the full table
        variant = variants()[number]
        scores = evaluate(variant, docs, args.split, number)
        rows.append((variant.label, scores))
        print(f"# {variant.label}: {json.dumps(scores)}", file=sys.stderr)
    print_table(rows, args.split)
    default = rows[0][1]
    rejected = default["rejected"]
    print(
        f"\n{rejected} queries are refused by the strict query parser (the API answers 400); "
        "they were run as the HTML page runs them, with their words taken literally."
    )
    print(json.dumps({k: default[k] for k in ("ndcg@10", "recall@100", "mrr@10")}))


if __name__ == "__main__":
    main()
