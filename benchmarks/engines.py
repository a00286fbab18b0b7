"""Whoosh and OpenSearch on the same news stories and the same queries.

    .venv/bin/python benchmarks/engines.py --docs 10000 --opensearch-url http://127.0.0.1:9200
        [--shards 3 --replicas 1] [--workdir DIR] [--threads 4]
        [--http [--http-workers 2 --http-requests 2000 --http-seconds 60]]

make_corpus.py's N files (corpus.ensure_corpus) are built into a Whoosh index by the real
indexer (`searchsvc.indexing.pipeline.build`: extraction, dedup, clusters); the stories and
clusters that build produced are read back and written into OpenSearch with the engine's
writer, so both engines hold exactly the same stories. Then the
search_speed.py query mix runs on both, each query as search() asks it (mode, widening to any
word, filters, sort, 10 hits with snippets, the 2 s deadline), and the script prints build
times, p50/p95/p99 latency, the share of queries with equal totals (and the first differing
queries with both totals), the mean top-10 overlap, and call rates. The last line is one JSON
object.

Call rates are measured on the engines directly (sequential, and OpenSearch with --threads
threads). With `--http`, each engine is also served by gunicorn on a loopback port
(SEARCHSVC_ENGINE=whoosh over the Whoosh build, SEARCHSVC_ENGINE=opensearch over the prefix just
written), and http_load.py's load (8 clients, the same query mix, --http-requests requests or
--http-seconds seconds at most) gives requests/s, p50/p95 and errors through the whole service.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import OUT, BenchQuery, article_files, build_mix, ensure_corpus, read_raw  # noqa: E402

DEADLINE_S = 2.0
PER_PAGE = 10
SHOWN_DIFFERENCES = 8
RATE_SECONDS = 10.0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    return {
        "p50_ms": at(0.5),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": statistics.fmean(ordered),
    }


# ---------------------------------------------------------------- building


def build_whoosh(corpus: Path, root: Path) -> float:
    import shutil

    from searchsvc.indexing.pipeline import build

    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    build(corpus, root, full=True)
    return time.perf_counter() - started


def whoosh_stories(generation) -> tuple[list, list]:
    """The Whoosh build's stories in document order, and its clusters."""
    stories = list(generation.stories())
    clusters = {}
    for story in stories:
        cluster = generation.cluster_of(story.id)
        if cluster is not None:
            clusters.setdefault(cluster.id, cluster)
    return stories, list(clusters.values())


def open_opensearch(url: str, prefix: str, shards: int, replicas: int, local: Path):
    from searchsvc.engines.opensearch import OpenSearchEngine

    settings = SimpleNamespace(
        opensearch_url=url,
        opensearch_prefix=prefix,
        opensearch_shards=shards,
        opensearch_replicas=replicas,
        index=local,
    )
    return OpenSearchEngine(settings)


def build_opensearch(engine, stories: list, clusters: list) -> float:
    from searchsvc.engines.base import GenerationInfo

    started = time.perf_counter()
    writer = engine.writer()
    name = writer.next_name()
    writer.write(stories, clusters, GenerationInfo(name, len(stories), "now"), None)
    writer.publish(name)
    return time.perf_counter() - started


# ---------------------------------------------------------------- searching


def whoosh_request(q: BenchQuery):
    from searchsvc.search import SearchRequest

    return SearchRequest(
        q=q.text, sort=q.sort, date_from=q.date_from, date_to=q.date_to, per_page=PER_PAGE
    ).validate()


def opensearch_answer(generation, q: BenchQuery):
    """What search() would ask of an engine for this query: the mode, then any word when all
    words found nothing (search.py's widening)."""
    from searchsvc.model import Filters, SearchPlan
    from searchsvc.query import All, is_plain_words, parse
    from searchsvc.ranking import DEFAULT_RANKING, is_natural, searchable_words

    tree = parse(q.text)
    words = tuple(searchable_words(q.text)) if is_plain_words(tree) else ()
    if tree is None:
        mode = "browse"
    elif is_natural(words, DEFAULT_RANKING):
        mode = "natural"
    else:
        mode = "all"
    plan = SearchPlan(
        tree=tree,
        mode=mode,
        words=words,
        filters=Filters(date_from=q.date_from, date_to=q.date_to),
        sort=q.sort,
        limit=PER_PAGE,
        deadline=time.monotonic() + DEADLINE_S,
    )
    matches = generation.run(plan)
    if matches.total == 0 and mode == "all" and isinstance(tree, All) and is_plain_words(tree):
        widened = SearchPlan(**{**plan.__dict__, "mode": "any"})
        matches = generation.run(widened)
    return matches


def run_mix(search_one, queries: list[BenchQuery], warmup: list[BenchQuery]) -> dict:
    for q in warmup:
        search_one(q)
    samples, totals, tops = [], [], []
    for q in queries:
        started = time.perf_counter()
        total, ids = search_one(q)
        samples.append((time.perf_counter() - started) * 1000)
        totals.append(total)
        tops.append(ids)
    return {"samples": samples, "totals": totals, "tops": tops}


def call_rate(search_one, queries: list[BenchQuery], threads: int) -> float:
    """Searches per second over RATE_SECONDS, `threads` callers cycling through the mix."""
    done = [0] * threads
    stop = threading.Event()

    def caller(n: int) -> None:
        i = n
        while not stop.is_set():
            search_one(queries[i % len(queries)])
            done[n] += 1
            i += threads

    workers = [threading.Thread(target=caller, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(RATE_SECONDS)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - started)


def http_rate(index: Path, environment: dict[str, str], mix, args: argparse.Namespace) -> dict:
    """Requests/s through gunicorn serving one engine: the mix's warm-up, then its queries."""
    from http_load import free_port, load, search_url, start_gunicorn, wait_healthy

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(index, port, args.http_workers, environment)
    try:
        wait_healthy(base)
        warm = [search_url(base, q) for q in mix.warmup]
        load(warm, len(warm) * 2, args.http_seconds)
        measured = [search_url(base, q) for q in mix.measured]
        answered = load(measured, args.http_requests, args.http_seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "req_per_s": round(answered["req_per_s"], 1),
        "p50_ms": round(answered["p50_ms"], 1),
        "p95_ms": round(answered["p95_ms"], 1),
        "requests": answered["requests"],
        "errors": answered["errors"],
        "first_errors": answered["first_errors"],
    }


def overlap(a: list[str], b: list[str]) -> float | None:
    if not a and not b:
        return None
    return len(set(a) & set(b)) / max(len(a), len(b))


# ---------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=OUT)
    parser.add_argument("--opensearch-url", default="http://127.0.0.1:9200")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="leave the OpenSearch indices")
    parser.add_argument("--http", action="store_true", help="requests/s through gunicorn too")
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--http-requests", type=int, default=2000, help="cap per engine")
    parser.add_argument("--http-seconds", type=float, default=60.0, help="cap per engine")
    args = parser.parse_args()

    from searchsvc.engines.whoosh.engine import WhooshEngine
    from searchsvc.search import search

    corpus = ensure_corpus(args.docs, args.workdir)
    articles = [read_raw(path) for path in article_files(corpus)]
    mix = build_mix(articles)
    root = args.workdir / f"engines-index{args.docs}"
    report: dict = {"docs": args.docs, "whoosh": {}, "opensearch": {}}
    whoosh, opensearch = report["whoosh"], report["opensearch"]

    print(f"building {args.docs} files with Whoosh", file=sys.stderr)
    whoosh["build_s"] = build_whoosh(corpus, root)
    handle = WhooshEngine(root)
    opened = handle.live()
    stories, clusters = whoosh_stories(opened)
    report["stories"] = len(stories)

    prefix = f"searchsvc-bench-{uuid.uuid4().hex[:8]}"
    engine = open_opensearch(
        args.opensearch_url, prefix, args.shards, args.replicas, args.workdir / "engines-local"
    )
    print(f"writing {len(stories)} stories into OpenSearch ({prefix})", file=sys.stderr)
    opensearch["build_s"] = build_opensearch(engine, stories, clusters)
    opensearch["build_note"] = "write + publish of the stories the Whoosh build extracted"
    health = engine.client.cluster.health()
    opensearch["cluster"] = (
        f"{health['number_of_nodes']} node(s), {args.shards} shards, {args.replicas} replicas"
    )
    try:
        generation = engine.live()

        def on_whoosh(q: BenchQuery) -> tuple[int, list[str]]:
            result = search(opened, whoosh_request(q))
            return result.total, [hit.id for hit in result.hits]

        def on_opensearch(q: BenchQuery) -> tuple[int, list[str]]:
            matches = opensearch_answer(generation, q)
            return matches.total, [hit.id for hit in matches.hits]

        print(f"searching {len(mix.measured)} queries on each engine", file=sys.stderr)
        ran = {"whoosh": run_mix(on_whoosh, mix.measured, mix.warmup)}
        ran["opensearch"] = run_mix(on_opensearch, mix.measured, mix.warmup)
        for name, target in (("whoosh", whoosh), ("opensearch", opensearch)):
            target.update({k: round(v, 2) for k, v in percentiles(ran[name]["samples"]).items()})
        whoosh["calls_per_s"] = round(call_rate(on_whoosh, mix.measured, 1), 1)
        opensearch["calls_per_s"] = round(call_rate(on_opensearch, mix.measured, 1), 1)
        opensearch[f"calls_per_s_{args.threads}_threads"] = round(
            call_rate(on_opensearch, mix.measured, args.threads), 1
        )
        whoosh["http"] = opensearch["http"] = None
        if args.http:
            print("serving each engine with gunicorn", file=sys.stderr)
            whoosh["http"] = http_rate(root, {"SEARCHSVC_ENGINE": "whoosh"}, mix, args)
            served = {
                "SEARCHSVC_ENGINE": "opensearch",
                "SEARCHSVC_OPENSEARCH_URL": args.opensearch_url,
                "SEARCHSVC_OPENSEARCH_PREFIX": prefix,
            }
            opensearch["http"] = http_rate(args.workdir / "engines-local", served, mix, args)
    finally:
        if not args.keep:
            engine.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        engine.close()
        handle.close()

    differing = []
    overlaps = []
    for n, q in enumerate(mix.measured):
        wt, ot = ran["whoosh"]["totals"][n], ran["opensearch"]["totals"][n]
        if wt != ot:
            differing.append((q.label(), wt, ot))
        shared = overlap(ran["whoosh"]["tops"][n], ran["opensearch"]["tops"][n])
        if shared is not None:
            overlaps.append((shared, q.label()))
    report["queries"] = len(mix.measured)
    report["totals_equal"] = round(1 - len(differing) / len(mix.measured), 4)
    report["top10_overlap"] = round(statistics.fmean(s for s, _ in overlaps), 4)
    report["totals_differ"] = [
        {"query": label, "whoosh": wt, "opensearch": ot} for label, wt, ot in differing
    ]
    report["lowest_overlaps"] = [
        {"query": label, "overlap": round(s, 2)}
        for s, label in sorted(overlaps)[:SHOWN_DIFFERENCES]
    ]
    print_tables(report, args.threads)
    print(json.dumps(report))


def print_tables(report: dict, threads: int) -> None:
    w, o = report["whoosh"], report["opensearch"]
    print(f"\n{report['docs']} files → {report['stories']} stories; {report['queries']} queries")
    print(f"OpenSearch: {o['cluster']}\n")
    print(f"{'':28}{'Whoosh':>12}{'OpenSearch':>12}")
    rows = [
        ("build (s)", "build_s", "{:.1f}"),
        ("p50 (ms)", "p50_ms", "{:.1f}"),
        ("p95 (ms)", "p95_ms", "{:.1f}"),
        ("p99 (ms)", "p99_ms", "{:.1f}"),
        ("calls/s, 1 caller", "calls_per_s", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        print(f"{label:28}{fmt.format(w[key]):>12}{fmt.format(o[key]):>12}")
    threaded = o[f"calls_per_s_{threads}_threads"]
    print(f"{f'calls/s, {threads} callers':28}{'-':>12}{threaded:>12.1f}")
    if w["http"] and o["http"]:
        rows = (("HTTP requests/s", "req_per_s"), ("HTTP p50 (ms)", "p50_ms"))
        for label, key in (*rows, ("HTTP p95 (ms)", "p95_ms")):
            print(f"{label:28}{w['http'][key]:>12.1f}{o['http'][key]:>12.1f}")
        print(f"{'HTTP errors':28}{w['http']['errors']:>12}{o['http']['errors']:>12}")
    print(
        f"\ntotals equal: {report['totals_equal']:.1%}   "
        f"mean top-10 overlap: {report['top10_overlap']:.3f}"
    )
    if report["totals_differ"]:
        print("\nfirst queries whose totals differ (Whoosh, OpenSearch):")
        for item in report["totals_differ"][:SHOWN_DIFFERENCES]:
            print(f"  {item['query']:50} {item['whoosh']:>7} {item['opensearch']:>7}")
    print("\nlowest top-10 overlaps:")
    for item in report["lowest_overlaps"]:
        print(f"  {item['query']:50} {item['overlap']:.2f}")
    print()


if __name__ == "__main__":
    main()
