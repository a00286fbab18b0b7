"""Searches per second over HTTP: gunicorn with 2 workers on a loopback port, concurrency 8.

    .venv/bin/python benchmarks/http_load.py --docs 10000 [--index DIR] [--requests N] [--seconds S]

Uses the index that search_speed.py built for the same --docs (benchmarks/out/index<N>, or
--index), sends the same query mix to /api/search and then to /api/health (the web layer's floor),
each run capped both by request count and by duration, and reports req/s, p50/p95/p99 and errors.
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import OUT, BenchQuery, article_files, build_mix, ensure_corpus, read_raw  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    index: Path, port: int, workers: int, environment: dict[str, str] | None = None
) -> subprocess.Popen:
    """gunicorn over `index`; `environment` adds SEARCHSVC_* settings (another engine)."""
    env = dict(os.environ, SEARCHSVC_INDEX=str(index), **(environment or {}))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "searchsvc:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_healthy(base: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /api/health in time")


def search_url(base: str, q: BenchQuery) -> str:
    params = {"q": q.text}
    if q.sort != "relevance":
        params["sort"] = q.sort
    if q.date_from:
        params["from"] = q.date_from.isoformat()
    if q.date_to:
        params["to"] = q.date_to.isoformat()
    return f"{base}/api/search?{urllib.parse.urlencode(params)}"


def load(urls: list[str], max_requests: int, max_seconds: float) -> dict:
    """Send up to `max_requests` (cycling through `urls`) from CONCURRENCY threads, for at most
    `max_seconds`; every request is timed and every non-200 answer counted as an error."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(max_requests))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(urls[n % len(urls)], timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                ok, reason = False, str(exc)
            else:
                reason = "" if ok else f"status {response.status}"
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(reason)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    return {
        "requests": len(latencies),
        "seconds": wall,
        "req_per_s": len(latencies) / wall if wall else 0.0,
        "p50_ms": at(0.5),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": statistics.fmean(ordered),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=OUT)
    parser.add_argument("--index", type=Path, help="default: WORKDIR/index<DOCS>")
    parser.add_argument("--requests", type=int, default=2000, help="cap on requests per endpoint")
    parser.add_argument("--seconds", type=float, default=60.0, help="cap on seconds per endpoint")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    index = args.index or args.workdir / f"index{args.docs}"
    if not (index / "CURRENT").exists():
        raise SystemExit(f"no index in {index}: run benchmarks/search_speed.py --docs {args.docs}")
    corpus = ensure_corpus(args.docs, args.workdir)
    mix = build_mix(
        [read_raw(p) for p in article_files(corpus)], scale=max(1, args.docs // 50_000 + 1)
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(index, port, args.workers)
    try:
        wait_healthy(base)
        warm = [search_url(base, q) for q in mix.warmup]
        load(warm, len(warm) * 2, args.seconds)  # each worker opens its searcher and warms up
        searches = load([search_url(base, q) for q in mix.measured], args.requests, args.seconds)
        health = load([f"{base}/api/health"], args.requests, args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(f"\n{args.docs:,} documents, gunicorn -w {args.workers}, concurrency {CONCURRENCY}")
    heads = ("requests", "req/s", "p50 ms", "p95 ms", "p99 ms")
    print(f"{'endpoint':14} " + " ".join(f"{h:>8}" for h in heads) + f" {'errors':>7}")
    for name, row in (("/api/search", searches), ("/api/health", health)):
        print(
            f"{name:14} {row['requests']:>8} {row['req_per_s']:>8.1f} {row['p50_ms']:>8.1f}"
            f" {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>7}"
        )
    print(
        json.dumps(
            {
                "docs": args.docs,
                "workers": args.workers,
                "concurrency": CONCURRENCY,
                "search": searches,
                "health": health,
            }
        )
    )


if __name__ == "__main__":
    main()
