"""This project's index against a SQLite FTS5 baseline, on the same news articles and queries.

    .venv/bin/python benchmarks/search_speed.py --docs 10000 [--json FILE] [--workdir DIR]

Builds (a) this project's index through its real indexer (`searchsvc.indexing.pipeline.build`)
and (b) an FTS5 table (porter tokenizer, bm25(), snippet()) from make_corpus.py's N files; then
reports full build time and peak RSS (each build in a child process, measured with wait4's
rusage), a no-op rebuild (nothing changed: no new generation should be published), an incremental
rebuild after rewriting 1 % of the files (time and peak RSS, each also as a share of the full
build's), size on disk, cold first-query latency (a new process opening the index), and warm
p50/p95/p99 over the query mix with exact totals and 10 highlighted hits. Totals are checked
against a brute-force scan of the analysed stories. The last
line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (  # noqa: E402
    OUT,
    BenchQuery,
    Clause,
    article_files,
    build_mix,
    ensure_corpus,
    read_raw,
)

from searchsvc.indexing.state import STATE_FILE  # noqa: E402

CHANGED_SHARE = 0.01
SNIPPET_TOKENS = 24


# ---------------------------------------------------------------- child processes (one job each)


def child_build_this(seeds: str, root: str, full: str) -> dict:
    from searchsvc.indexing.pipeline import build

    started = time.perf_counter()
    summary = build(Path(seeds), Path(root), full=full == "full")
    return {
        "seconds": time.perf_counter() - started,
        "generation": (Path(root) / "CURRENT").read_text().strip(),
        "stories": summary.stories,
        "added": summary.added,
        "deleted": summary.deleted,
        "files_read": summary.files_read,
        "phases": summary.phases,
    }


def child_build_fts5(seeds: str, db: str, full: str) -> dict:
    started = time.perf_counter()
    if full == "full" and os.path.exists(db):
        os.unlink(db)
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
        "title, body, published UNINDEXED, tokenize='porter unicode61');"
        "CREATE TABLE IF NOT EXISTS files(name TEXT PRIMARY KEY, size INT, mtime INT, docid INT);"
    )
    known = {
        n: (s, m, d) for n, s, m, d in con.execute("SELECT name, size, mtime, docid FROM files")
    }
    changed = 0
    with con:
        for path in article_files(Path(seeds)):
            st = path.stat()
            entry = known.get(path.name)
            if entry and entry[:2] == (st.st_size, st.st_mtime_ns):
                continue
            if entry:
                con.execute("DELETE FROM docs WHERE rowid = ?", (entry[2],))
            raw = read_raw(path)
            published = raw.published.isoformat() if raw.published else ""
            cur = con.execute(
                "INSERT INTO docs(title, body, published) VALUES (?, ?, ?)",
                (raw.title, raw.body, published),
            )
            con.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                (path.name, st.st_size, st.st_mtime_ns, cur.lastrowid),
            )
            changed += 1
        if full == "full":
            con.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    con.close()
    return {"seconds": time.perf_counter() - started, "added": changed}


def child_cold_this(root: str, q: str) -> dict:
    from searchsvc.engines.whoosh.engine import WhooshEngine
    from searchsvc.search import SearchRequest, search

    started = time.perf_counter()
    handle = WhooshEngine(Path(root))
    result = search(handle.live(), SearchRequest(q=q).validate())
    return {"ms": (time.perf_counter() - started) * 1000, "total": result.total}


def child_cold_fts5(db: str, q: str) -> dict:
    started = time.perf_counter()
    con = sqlite3.connect(db)
    total, _ = fts5_search(con, BenchQuery("cold", (Clause("word", (q,)),)))
    return {"ms": (time.perf_counter() - started) * 1000, "total": total}


CHILDREN = {
    "build-this": child_build_this,
    "build-fts5": child_build_fts5,
    "cold-this": child_cold_this,
    "cold-fts5": child_cold_fts5,
}


def descendants_pss_kb(pid: int) -> int:
    """Proportional set size of `pid` and all its descendants (the writer's and extractor's worker
    processes count too; pages they share after fork are counted once, not once per process)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(parents.get(current, []))
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_child(mode: str, *args: str) -> dict:
    """Run one job in a fresh interpreter; add its peak RSS (wait4 rusage) and the tree's peak."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, *args], stdout=subprocess.PIPE, text=True
    )
    tree_peak, ticks = 0, 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if ticks % 25 == 0:  # every 0.5 s: reading smaps_rollup is not free
            tree_peak = max(tree_peak, descendants_pss_kb(proc.pid))
        ticks += 1
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = proc.stdout.read()
    if proc.returncode != 0:
        raise SystemExit(f"child {mode} failed with status {proc.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    result["rss_mb"] = usage.ru_maxrss / 1024
    result["tree_pss_mb"] = tree_peak / 1024
    return result


# ---------------------------------------------------------------- searching


def fts5_search(con: sqlite3.Connection, q: BenchQuery) -> tuple[int, list[tuple]]:
    """Exact total and the top 10 with snippets, the way an FTS5-backed API would answer."""
    where, params = "docs MATCH ?", [q.fts]
    if q.date_from or q.date_to:
        where += " AND published != '' AND published BETWEEN ? AND ?"
        params += [(q.date_from or "0000").__str__(), (q.date_to or "9999").__str__()]
    total = con.execute(f"SELECT count(*) FROM docs WHERE {where}", params).fetchone()[0]
    order = "published DESC" if q.sort == "newest" else "bm25(docs, 2.5, 1.0)"
    rows = con.execute(
        f"SELECT rowid, title, published, snippet(docs, 1, '<mark>', '</mark>', ' … ', "
        f"{SNIPPET_TOKENS}) FROM docs WHERE {where} ORDER BY {order} LIMIT 10",
        params,
    ).fetchall()
    return total, rows


def this_request(q: BenchQuery):
    from searchsvc.search import SearchRequest

    return SearchRequest(q=q.text, sort=q.sort, date_from=q.date_from, date_to=q.date_to).validate()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": statistics.fmean(ordered),
        "max_ms": ordered[-1],
    }


def time_this(root: Path, queries: list[BenchQuery], warmup: list[BenchQuery]):
    from searchsvc.engines.whoosh.engine import WhooshEngine
    from searchsvc.search import search

    handle = WhooshEngine(root)
    for q in warmup:
        search(handle.live(), this_request(q))
    samples, totals, per_kind = [], [], {}
    for q in queries:
        started = time.perf_counter()
        result = search(handle.live(), this_request(q))
        elapsed = (time.perf_counter() - started) * 1000
        samples.append(elapsed)
        totals.append(result.total)
        per_kind.setdefault(q.kind, []).append(elapsed)
        assert len(result.hits) == min(10, result.total), q.label()
    handle.close()
    return samples, totals, per_kind


def time_fts5(db: Path, queries: list[BenchQuery], warmup: list[BenchQuery]):
    con = sqlite3.connect(db)
    for q in warmup:
        fts5_search(con, q)
    samples, totals, per_kind = [], [], {}
    for q in queries:
        started = time.perf_counter()
        total, _ = fts5_search(con, q)
        elapsed = (time.perf_counter() - started) * 1000
        samples.append(elapsed)
        totals.append(total)
        per_kind.setdefault(q.kind, []).append(elapsed)
    con.close()
    return samples, totals, per_kind


# ---------------------------------------------------------------- brute-force totals


def _compile_clause(analyzer, fold, clause: Clause):
    if clause.kind == "prefix":
        return ("prefix", fold(clause.words[0]))
    tokens = [t.text for t in analyzer(" ".join(clause.words), mode="query")]
    if not tokens:
        return None
    return ("term", tokens[0]) if len(tokens) == 1 else ("phrase", tuple(tokens))


def _clause_hits(spec, fields: list[dict[str, list[int]]]) -> bool:
    kind, value = spec
    for positions in fields:
        if kind == "term" and value in positions:
            return True
        if kind == "prefix" and any(term.startswith(value) for term in positions):
            return True
        if kind == "phrase" and all(w in positions for w in value):
            later = [set(positions[w]) for w in value[1:]]
            for start in positions[value[0]]:
                if all(start + i + 1 in s for i, s in enumerate(later)):
                    return True
    return False


def brute_force_chunk(job: tuple[str, int, int, list[BenchQuery]]) -> list[tuple[int, int]]:
    """(all-clauses count, any-word count) per query over documents [start, stop) of the index."""
    from whoosh import index as whoosh_index

    from searchsvc.analysis import fold
    from searchsvc.engines.whoosh import generations as gens
    from searchsvc.engines.whoosh.analysis import english_analyzer

    root, start, stop, queries = job
    analyzer = english_analyzer()
    specs = [[_compile_clause(analyzer, fold, c) for c in q.clauses] for q in queries]
    counts = [[0, 0] for _ in queries]
    ix = whoosh_index.open_dir(str(gens.current(Path(root)).path))
    reader = ix.reader()
    for docnum in range(start, stop):
        if reader.is_deleted(docnum):
            continue
        story = json.loads(reader.stored_fields(docnum)["story"])
        title = story.get("title") or ""
        body = "\n\n".join(story.get("body") or ())
        # The index searches the headline as part of the body too (schema.indexed_body).
        texts = (title, f"{title}\n\n{body}" if title else body, story.get("caption") or "")
        fields = []
        for text in texts:
            positions: dict[str, list[int]] = {}
            for token in analyzer(text, positions=True, mode="index"):
                positions.setdefault(token.text, []).append(token.pos)
            fields.append(positions)
        day = (story.get("published") or "")[:10]
        for q, spec, count in zip(queries, specs, counts, strict=True):
            low, high = str(q.date_from or "0000"), str(q.date_to or "9999")
            if (q.date_from or q.date_to) and not (day and low <= day <= high):
                continue
            live = [s for s in spec if s is not None]
            hits = [_clause_hits(s, fields) for s in live]
            if live and all(hits):
                count[0] += 1
            if any(hits):
                count[1] += 1
    reader.close()
    return [tuple(c) for c in counts]


def brute_force_totals(root: Path, queries: list[BenchQuery]) -> list[int]:
    from whoosh import index as whoosh_index

    from searchsvc.engines.whoosh import generations as gens

    ix = whoosh_index.open_dir(str(gens.current(root).path))
    size = ix.doc_count_all()
    ix.close()
    chunks = 2
    bounds = [size * i // chunks for i in range(chunks + 1)]
    jobs = [(str(root), bounds[i], bounds[i + 1], queries) for i in range(chunks)]
    with Pool(chunks) as pool:
        parts = pool.map(brute_force_chunk, jobs)
    expected = []
    for i, q in enumerate(queries):
        all_count = sum(p[i][0] for p in parts)
        any_count = sum(p[i][1] for p in parts)
        widen = len(q.clauses) > 1 and all(c.kind == "word" for c in q.clauses)
        expected.append(any_count if all_count == 0 and widen else all_count)
    return expected


# ---------------------------------------------------------------- the run


def link_farm(corpus: Path, seeds: Path) -> None:
    """Seeds as hard links to the corpus: a file rewritten (write + rename) leaves the corpus be."""
    if seeds.exists():
        shutil.rmtree(seeds)
    seeds.mkdir(parents=True)
    for path in article_files(corpus):
        os.link(path, seeds / path.name)


def rewrite_share(seeds: Path, share: float) -> int:
    files = article_files(seeds)
    step = max(1, round(1 / share))
    chosen = files[::step]
    for n, path in enumerate(chosen):
        text = path.read_text("utf-8").rstrip("\n")
        fresh = path.with_name(f".{path.name}.tmp")
        fresh.write_text(
            f"{text}\n\nCorrection {n}: an earlier version misstated a figure.\n", "utf-8"
        )
        os.replace(fresh, path)
    return len(chosen)


def disk_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the final JSON object here")
    parser.add_argument(
        "--workdir", type=Path, default=OUT, help="scratch folder (default %(default)s)"
    )
    parser.add_argument(
        "--check", type=int, default=60, help="queries whose totals are brute-forced"
    )
    parser.add_argument(
        "--skip-build", action="store_true", help="reuse the indexes from the last run"
    )
    args = parser.parse_args()

    workdir: Path = args.workdir
    corpus = ensure_corpus(args.docs, workdir)
    seeds, root, db = (workdir / f"{name}{args.docs}" for name in ("seeds", "index", "fts"))
    db = db.with_suffix(".db")
    report: dict[str, dict] = {"this": {}, "fts5": {}}
    this, fts = report["this"], report["fts5"]

    if not args.skip_build:
        link_farm(corpus, seeds)
        shutil.rmtree(root, ignore_errors=True)
        print(f"building {args.docs} documents from {corpus}", file=sys.stderr)
        full_this = run_child("build-this", str(seeds), str(root), "full")
        full_fts = run_child("build-fts5", str(seeds), str(db), "full")
        # The served generation, and beside it the build state an incremental build reads
        # (FTS5 keeps everything in its one file).
        this["index_mb"] = disk_mb(Path(root) / (root / "CURRENT").read_text().strip())
        this["state_mb"] = sum(disk_mb(p) for p in root.glob(f"{STATE_FILE}*"))
        this["size_mb"] = this["index_mb"] + this["state_mb"]
        fts["size_mb"] = disk_mb(db)
        noop_this = run_child("build-this", str(seeds), str(root), "incremental")
        noop_fts = run_child("build-fts5", str(seeds), str(db), "incremental")
        this["noop_published"] = noop_this["generation"] != full_this["generation"]
        changed = rewrite_share(seeds, CHANGED_SHARE)
        inc_this = run_child("build-this", str(seeds), str(root), "incremental")
        inc_fts = run_child("build-fts5", str(seeds), str(db), "incremental")
        runs = ((this, full_this, noop_this, inc_this), (fts, full_fts, noop_fts, inc_fts))
        for target, full, noop, inc in runs:
            target.update(
                build_s=full["seconds"],
                rss_mb=full["rss_mb"],
                tree_pss_mb=full["tree_pss_mb"],
                noop_s=noop["seconds"],
                noop_share=noop["seconds"] / full["seconds"],
                noop_rss_mb=noop["rss_mb"],
                incremental_s=inc["seconds"],
                incremental_share=inc["seconds"] / full["seconds"],
                incremental_rss_mb=inc["rss_mb"],
                incremental_rss_share=inc["rss_mb"] / full["rss_mb"],
                incremental_tree_pss_mb=inc["tree_pss_mb"],
            )
        this["stories"] = full_this["stories"]
        this["phases_full"], this["phases_incremental"] = full_this["phases"], inc_this["phases"]
        this["incremental_changed_files"] = changed
        this["incremental_added"], this["incremental_deleted"] = (
            inc_this["added"],
            inc_this["deleted"],
        )

    this["cold_ms"] = run_child("cold-this", str(root), "oil")["ms"]
    fts["cold_ms"] = run_child("cold-fts5", str(db), "oil")["ms"]

    raws = [read_raw(p) for p in article_files(corpus)]
    mix = build_mix(raws, scale=max(1, args.docs // 50_000 + 1))
    del raws
    samples_this, totals_this, kinds_this = time_this(root, mix.measured, mix.warmup)
    samples_fts, totals_fts, kinds_fts = time_fts5(db, mix.measured, mix.warmup)
    this.update(percentiles(samples_this))
    fts.update(percentiles(samples_fts))
    this["queries"] = fts["queries"] = len(mix.measured)

    step = max(1, len(mix.measured) // args.check)
    checked = list(range(0, 20)) + list(range(20, len(mix.measured), step))
    expected = brute_force_totals(root, [mix.measured[i] for i in checked])
    mismatches = [
        {"query": mix.measured[i].label(), "total": totals_this[i], "brute_force": want}
        for i, want in zip(checked, expected, strict=True)
        if totals_this[i] != want
    ]
    this["totals_checked"] = len(checked)
    this["totals_mismatched"] = len(mismatches)

    print_tables(args.docs, report, kinds_this, kinds_fts, mix.measured, totals_this, totals_fts)
    for m in mismatches:
        print(f"TOTAL MISMATCH {m}")
    result = {
        "docs": args.docs,
        "this": {k: round(v, 3) if isinstance(v, float) else v for k, v in this.items()},
        "fts5": {k: round(v, 3) if isinstance(v, float) else v for k, v in fts.items()},
        "ratio": {
            "build": ratio(this.get("build_s", 0), fts.get("build_s", 0)),
            "p50": ratio(this["p50_ms"], fts["p50_ms"]),
            "p95": ratio(this["p95_ms"], fts["p95_ms"]),
            "p99": ratio(this["p99_ms"], fts["p99_ms"]),
        },
        "mismatches": mismatches,
    }
    line = json.dumps(result)
    if args.json:
        args.json.write_text(line + "\n", "utf-8")
    print(line)


def print_tables(docs, report, kinds_this, kinds_fts, queries, totals_this, totals_fts) -> None:
    this, fts = report["this"], report["fts5"]
    rows = [
        ("full build (s)", "build_s", ".1f"),
        ("peak RSS, wait4 (MiB)", "rss_mb", ".0f"),
        ("peak PSS, process tree (MiB)", "tree_pss_mb", ".0f"),
        ("no-op rebuild (s)", "noop_s", ".2f"),
        ("no-op / full", "noop_share", ".3f"),
        ("no-op peak RSS (MiB)", "noop_rss_mb", ".0f"),
        ("incremental 1 % (s)", "incremental_s", ".2f"),
        ("incremental / full", "incremental_share", ".3f"),
        ("incremental peak RSS (MiB)", "incremental_rss_mb", ".0f"),
        ("incremental RSS / full RSS", "incremental_rss_share", ".2f"),
        ("incremental peak PSS, tree (MiB)", "incremental_tree_pss_mb", ".0f"),
        ("size on disk, all (MiB)", "size_mb", ".1f"),
        ("  served index (MiB)", "index_mb", ".1f"),
        ("  build state (MiB)", "state_mb", ".1f"),
        ("cold first query (ms)", "cold_ms", ".1f"),
        ("warm p50 (ms)", "p50_ms", ".2f"),
        ("warm p95 (ms)", "p95_ms", ".2f"),
        ("warm p99 (ms)", "p99_ms", ".2f"),
        ("warm mean (ms)", "mean_ms", ".2f"),
        ("warm max (ms)", "max_ms", ".2f"),
    ]
    print(
        f"\n{docs:,} documents ({this.get('stories', '?')} stories after dedup), "
        f"{len(queries)} queries"
    )
    print(f"{'':32} {'this':>10} {'FTS5':>10} {'ratio':>7}")
    for label, key, fmt in rows:
        if key not in this:
            continue
        a, b = this[key], fts.get(key)
        r = f"{a / b:.2f}" if b else ""
        shown = "" if b is None else format(b, fmt)
        print(f"{label:32} {a:>10{fmt}} {shown:>10} {r:>7}")
    if "phases_full" in this:
        print(f"\n{'build stage (s)':16} {'full':>9} {'1 %':>9}")
        for phase, seconds in this["phases_full"].items():
            print(f"{phase:16} {seconds:>9.1f} {this['phases_incremental'].get(phase, 0):>9.2f}")
    heads = ("this p50", "this max", "FTS5 p50", "FTS5 max")
    print(f"\n{'query kind':16} {'n':>4} " + " ".join(f"{h:>9}" for h in heads))
    for kind, samples in kinds_this.items():
        other = kinds_fts[kind]
        print(
            f"{kind:16} {len(samples):>4} {statistics.median(samples):>9.2f} {max(samples):>9.2f}"
            f" {statistics.median(other):>9.2f} {max(other):>9.2f}"
        )
    print(f"\n{'listed query':28} {'this total':>10} {'FTS5 total':>10}")
    for q, a, b in list(zip(queries, totals_this, totals_fts, strict=True))[:20]:
        print(f"{q.text:28} {a:>10} {b:>10}")
    if "noop_published" in this:
        print(f"no-op rebuild published a new generation: {this['noop_published']}")
    print(
        f"totals checked against brute force: {this['totals_checked']}, "
        f"mismatched: {this['totals_mismatched']}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](*sys.argv[3:])))
    else:
        main()
