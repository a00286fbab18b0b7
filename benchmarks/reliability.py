"""The long reliability drills (tests/test_reliability.py runs short versions of the same).

    .venv/bin/python benchmarks/reliability.py [--fillers 3000] [--kills 12] [--concurrency 6]
    .venv/bin/python benchmarks/reliability.py --only slow_clients,exports [--sync-baseline]

Everything is real and on loopback: gunicorn with 2 workers over a temp index built from seeds/
plus generated filler stories, `python -m searchsvc index` as the rebuild, SIGKILL for crashes,
RLIMIT_FSIZE for a failing disk. Prints a table per drill and a final JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import io
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchsvc.engines.whoosh import generations as gens  # noqa: E402
from tests.support.reliability import (  # noqa: E402
    MARKER,
    HeldConnections,
    Timed,
    add_marker_stories,
    alive,
    children_of,
    filler_stories,
    index_command,
    kill_trial,
    lock_is_free,
    random_delays,
    rebuilds_under_load,
    run_index,
    timed_get,
    wait_for,
)
from tests.support.web import LiveServer, http_get  # noqa: E402

SEEDS = ROOT / "seeds"
MIN_REQUESTS = 5_000


def make_seeds(folder: Path, fillers: int) -> Path:
    seeds = folder / "seeds"
    shutil.copytree(SEEDS, seeds)
    for path in seeds.iterdir():
        path.chmod(0o644)
    filler_stories(seeds, fillers)
    add_marker_stories(seeds, 0, 3)
    return seeds


def timed_build(seeds: Path, index: Path, *extra: str) -> float:
    started = time.monotonic()
    done = run_index(seeds, index, *extra)
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    return time.monotonic() - started


def drill_rebuilds_under_load(work: Path, args: argparse.Namespace) -> dict:
    seeds = make_seeds(work, args.fillers)
    index = work / "index"
    full_build_s = timed_build(seeds, index)
    server = LiveServer(index, seeds, work / "gunicorn.log", workers=2).start()
    try:
        server.wait_ready()
        started = time.monotonic()
        report = rebuilds_under_load(
            server,
            seeds,
            index,
            full_rebuilds=3,
            incremental=1,
            per_build=5,
            concurrency=args.concurrency,
            max_requests=args.max_requests,
            max_seconds=args.max_seconds,
        )
        elapsed = time.monotonic() - started
    finally:
        exit_code = server.stop()
    tracebacks = server.logs().count("Traceback")
    return {
        "stories": args.fillers + 10,
        "full_build_s": round(full_build_s, 1),
        "seconds": round(elapsed, 1),
        "requests": report.requests,
        "failed": len(report.failures),
        "inconsistent": len(report.inconsistent),
        "late_switches": len(report.late),
        "generations_seen": len({s.generation for s in report.switches}),
        "requests_per_s": round(report.requests / elapsed, 1),
        "server_exit": exit_code,
        "tracebacks_in_log": tracebacks,
        "first_failures": [f"{s.status} {s.error}" for s in report.failures[:3]],
        "full_build_s_for_kills": full_build_s,
        "seeds": str(seeds),
        "index": str(index),
    }


@dataclass
class LockProbe:
    """The service's answer, plus whether the build lock was free right after each kill."""

    port: int
    calls: int = 0
    free_after_kill: int = 0
    held_after_kill: int = 0

    def __call__(self, index: Path) -> int:
        self.calls += 1
        if self.calls % 2 == 0:  # kill_trial asks twice: before the build and after the kill
            self._probe_lock(index)
        reply = http_get(self.port, f"/api/search?q={MARKER}")
        if reply.status != 200:
            return -reply.status
        return reply.json()["total"]

    def _probe_lock(self, index: Path) -> None:
        lock = index / gens.LOCK
        if not lock.exists():
            self.free_after_kill += 1
            return
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            self.free_after_kill += 1
        except BlockingIOError:
            self.held_after_kill += 1
        finally:
            os.close(fd)


def drill_kills(work: Path, seeds: Path, index: Path, build_s: float, count: int) -> dict:
    server = LiveServer(index, seeds, work / "gunicorn-kills.log", workers=2).start()
    trials = []
    try:
        server.wait_ready()
        probe = LockProbe(server.port)
        for delay in random_delays(count, longest=max(0.5, build_s * 0.9), seed=11):
            trials.append(kill_trial(seeds, index, delay, lambda: probe(index)))
    finally:
        exit_code = server.stop()
    killed = [t for t in trials if t.killed_while == "running"]
    survived = [t for t in trials if t.old_answered and t.next_build_ok and not t.leftovers]
    return {
        "trials": len(trials),
        "killed_mid_build": len(killed),
        "survived": len(survived),
        "old_generation_answered": sum(t.old_answered for t in trials),
        "next_build_ok": sum(t.next_build_ok for t in trials),
        "stale_locks_cleared": probe.free_after_kill,
        "locks_still_held": probe.held_after_kill,
        "temp_generations_left": sum(len(t.leftovers) for t in trials),
        "delays_s": [t.delay_s for t in trials],
        "server_exit": exit_code,
    }


def tiny_disk() -> None:
    """Every file write past 16 kB fails with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, 16_384))


def drill_failed_write(work: Path) -> dict:
    seeds = make_seeds(work / "failed-write", 200)
    index = work / "failed-write" / "index"
    timed_build(seeds, index)
    live = gens.current(index).name
    add_marker_stories(seeds, 100, 50)
    failed = run_index(seeds, index, "--full", preexec=tiny_disk)
    message = failed.stderr.strip().splitlines()[-1] if failed.stderr.strip() else ""
    return {
        "exit_code": failed.returncode,
        "message": message[:200],
        "traceback": "Traceback" in failed.stderr,
        "served_generation_untouched": gens.current(index).name == live,
        "temp_generations_left": len(list(index.glob(f"{gens.TMP_PREFIX}*"))),
        "next_build_ok": run_index(seeds, index).returncode == 0,
    }


def drill_corrupt_index(work: Path) -> dict:
    folder = work / "corrupt"
    seeds = make_seeds(folder, 0)
    index = folder / "index"
    timed_build(seeds, index)
    for toc in gens.current(index).path.glob("*.toc"):
        toc.write_bytes(b"not a whoosh table of contents")
    server = LiveServer(index, seeds, folder / "gunicorn.log", workers=2).start()
    try:
        try:
            server.wait_ready(deadline_s=3.0)
            ready = True
        except TimeoutError:
            ready = False
        replies = [http_get(server.port, "/api/search?q=ishiba") for _ in range(20)]
        alive = server.process.poll() is None
    finally:
        exit_code = server.stop()
    logs = server.logs()
    return {
        "became_ready": ready,
        "statuses": sorted({r.status for r in replies}),
        "problem_json": all(
            r.headers.get("Content-Type") == "application/problem+json" for r in replies
        ),
        "detail_says_what_to_run": all(b"searchsvc index" in r.body for r in replies),
        "server_still_running": alive,
        "log_says_what_to_run": "searchsvc index" in logs,
        "tracebacks_in_log": logs.count("Traceback"),
        "worker_boots": logs.count("Booting worker"),
        "server_exit": exit_code,
    }


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Environment variables for the servers started inside (gunicorn reads GUNICORN_CMD_ARGS,
    the app its SEARCHSVC_* settings)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def latency_figures(replies: list[Timed]) -> dict:
    seconds = sorted(r.seconds for r in replies if r.status == 200) or [0.0]
    return {
        "requests": len(replies),
        "answered_200": sum(r.status == 200 for r in replies),
        "failed": sum(r.status != 200 for r in replies),
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "p95_ms": round(seconds[math.ceil(0.95 * len(seconds)) - 1] * 1000, 1),
        "max_ms": round(seconds[-1] * 1000, 1),
    }


SLOW_CLIENT_PATHS = ("/api/health", "/api/search?q=tokyo+summit", "/search?q=harbour&per_page=20")


def drill_slow_clients(work: Path, seeds: Path, index: Path, args: argparse.Namespace) -> dict:
    """Requests from 2 client threads while 8 idle and 4 slow-header connections are held."""
    server = LiveServer(index, seeds, work / "slow-clients.log", workers=2).start()
    replies: list[Timed] = []
    try:
        server.wait_ready()
        with HeldConnections(server.port, idle=8, slow=4, interval_s=3.0) as held:
            deadline = time.monotonic() + args.slow_seconds

            def client() -> None:
                while time.monotonic() < deadline:
                    replies.extend(timed_get(server.port, p, 10.0) for p in SLOW_CLIENT_PATHS)

            clients = [threading.Thread(target=client) for _ in range(2)]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            slow_open = held.slow_still_open()
            reopened, header_lines = held.reopened, held.header_lines_sent
    finally:
        exit_code = server.stop()
    logs = server.logs()
    return {
        "worker_class": "sync (baseline)" if os.environ.get("GUNICORN_CMD_ARGS") else "gthread",
        "held": "8 idle + 4 slow-header connections",
        "seconds": args.slow_seconds,
        **latency_figures(replies),
        "health": latency_figures([r for r in replies if r.path == "/api/health"]),
        "slow_connections_still_open": slow_open,
        "idle_closed_by_server_and_reopened": reopened,
        "slow_header_lines_sent": header_lines,
        "worker_timeouts_in_log": logs.count("WORKER TIMEOUT"),
        "server_exit": exit_code,
    }


def drill_exports(work: Path, seeds: Path, index: Path, limit_s: float) -> dict:
    """Two exports of every story at once (CSV and JSON Lines) under an export deadline of
    `limit_s`, while health is polled: each must say whether it is complete (and why not), and
    health must keep answering."""
    with environment(SEARCHSVC_EXPORT_TIME_LIMIT_S=str(limit_s)):
        server = LiveServer(index, seeds, work / "exports.log", workers=2).start()
    exports: list[dict] = []
    health: list[Timed] = []
    try:
        server.wait_ready()
        done = threading.Event()

        def export(fmt: str) -> None:
            started = time.monotonic()
            reply = http_get(server.port, f"/api/search.{fmt}?q=", timeout=60.0)
            elapsed = time.monotonic() - started
            text = reply.body.decode("utf-8")
            if fmt == "csv":
                rows, end = len(list(csv.reader(io.StringIO(text)))) - 1, None  # - the header
            else:
                lines = text.splitlines()
                end = json.loads(lines[-1]).get("_export") if lines else None
                rows = len(lines) - 1  # - the end line
            exports.append(
                {
                    "format": fmt,
                    "status": reply.status,
                    "seconds": round(elapsed, 2),
                    "rows_in_body": rows,
                    "x_export_rows": reply.headers.get("X-Export-Rows"),
                    "x_total_count": reply.headers.get("X-Total-Count"),
                    "truncated": reply.headers.get("X-Export-Truncated"),
                    "reason": reply.headers.get("X-Export-Truncated-Reason"),
                    "end_line": end,
                    "length_matches": int(reply.headers.get("Content-Length", -1))
                    == len(reply.body),
                }
            )

        def poll_health() -> None:
            while not done.is_set():
                health.append(timed_get(server.port, "/api/health", 10.0))

        poller = threading.Thread(target=poll_health)
        poller.start()
        runs = [threading.Thread(target=export, args=(fmt,)) for fmt in ("csv", "jsonl")]
        for thread in runs:
            thread.start()
        for thread in runs:
            thread.join()
        done.set()
        poller.join()
    finally:
        exit_code = server.stop()
    silent = [e for e in exports if not says_if_complete(e)]
    return {
        "export_time_limit_s": limit_s,
        "exports": exports,
        "every_export_says_if_complete": not silent and len(exports) == 2,
        "silently_cut": len(silent),
        "health_during_exports": latency_figures(health),
        "server_exit": exit_code,
    }


def says_if_complete(export: dict) -> bool:
    """The headers say complete or cut (and why), the rows match them, the body is whole, and a
    JSON Lines export ends with a line saying the same."""
    cut = export["truncated"] == "true"
    end = export["end_line"]
    return (
        export["status"] == 200
        and export["truncated"] in ("true", "false")
        and (not cut or export["reason"] in ("row limit", "time limit"))
        and export["x_export_rows"] == str(export["rows_in_body"])
        and export["length_matches"]
        and (export["format"] != "jsonl" or (end is not None and end["complete"] is not cut))
    )


def time_limit_shapes() -> dict[str, str]:
    """Issue 13 item 2's searches: prefixes ANDed and grouped (the page's "Group coverage"
    link), prefixes ORed and explained, a sentence grouped, 100 to a page."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    anded = " AND ".join(f"{a}{b}*" for a in "aeiou" for b in letters)[:500].rsplit(" AND ", 1)[0]
    ored = " OR ".join(f"{a}{b}*" for a in "scp" for b in letters)[:500].rsplit(" OR ", 1)[0]
    sentence = "what did the government say about the new trade deal with china"
    return {
        "prefixes_anded_collapse": f"q={quote(anded)}&collapse=1",
        "prefixes_ored_explain_100": f"q={quote(ored)}&explain=1&per_page=100",
        "sentence_collapse_100": f"q={quote(sentence)}&collapse=1&per_page=100",
    }


def news_index(work: Path, articles: int, index: Path | None) -> tuple[Path, Path, float]:
    """make_corpus.py's articles (benchmarks/corpus.py) and an index of them: `index` when
    given (built before from the same corpus), else built here."""
    from benchmarks.corpus import ensure_corpus

    seeds = ensure_corpus(articles)
    if index is not None:
        return seeds, index, 0.0
    index = work / f"news{articles}-index"
    return seeds, index, timed_build(seeds, index)


def drill_time_limit(work: Path, seeds: Path, index: Path, rounds: int, uncapped: bool) -> dict:
    """Each shape `rounds` times through gunicorn (2 workers), the worst time of each; with
    `uncapped`, the prefix-expansion cap is lifted so the deadline alone has to hold."""
    limit_s = 2.0
    env = {"SEARCHSVC_MAX_TOTAL_EXPANSION": "100000000"} if uncapped else {}
    with environment(**env):
        server = LiveServer(index, seeds, work / f"time-limit-{uncapped}.log", workers=2).start()
    shapes: dict[str, dict] = {}
    try:
        server.wait_ready(deadline_s=120.0)
        for name, query in time_limit_shapes().items():
            replies = []
            for _ in range(rounds):
                started = time.monotonic()
                reply = http_get(server.port, f"/api/search?{query}", timeout=60.0)
                replies.append((time.monotonic() - started, reply))
            worst = max(seconds for seconds, _ in replies)
            last = replies[-1][1]
            body = last.json() if last.status in (200, 400) else {}
            shapes[name] = {
                "query_chars": len(unquote(query.split("&")[0][2:])),
                "statuses": sorted({r.status for _, r in replies}),
                "worst_s": round(worst, 2),
                "median_s": round(statistics.median(s for s, _ in replies), 2),
                "timed_out": sorted(
                    {r.json().get("timed_out") for _, r in replies if r.status == 200}
                ),
                "total": body.get("total"),
                "hits": len(body.get("hits", [])),
                "detail": body.get("detail", "")[:120],
            }
    finally:
        exit_code = server.stop()
    logs = server.logs()
    margin_s = 1.0
    return {
        "limit_s": limit_s,
        "expansion_cap": "lifted" if uncapped else "default (2048)",
        "rounds": rounds,
        "shapes": shapes,
        "worst_s": max(shape["worst_s"] for shape in shapes.values()),
        "within_limit_plus_margin": all(
            shape["worst_s"] <= limit_s + margin_s for shape in shapes.values()
        ),
        "server_errors": sum(
            status >= 500 for shape in shapes.values() for status in shape["statuses"]
        ),
        "worker_restarts": max(0, logs.count("Booting worker") - 2),
        "worker_timeouts_in_log": logs.count("WORKER TIMEOUT"),
        "tracebacks_in_log": logs.count("Traceback"),
        "server_exit": exit_code,
    }


DAMAGE_WORDS = ("organisations", "profit", "tokyo", "summit", "harbour", "ishiba", MARKER)


def totals(port: int, generation: str | None = None) -> dict[str, tuple[int, int | None]]:
    """word → (status, total) as the service answers now (of a pinned generation if given)."""
    pin = f"&gen={generation}" if generation else ""
    found = {}
    for word in DAMAGE_WORDS:
        reply = http_get(port, f"/api/search?q={word}{pin}")
        found[word] = (reply.status, reply.json().get("total") if reply.status == 200 else None)
    return found


def overwrite_largest_segment(generation: gens.Generation) -> Path:
    """3 x 8 KB of the largest segment file overwritten in place, as the reviewer did."""
    largest = max(generation.path.glob("*.seg"), key=lambda p: p.stat().st_size)
    size = largest.stat().st_size
    with open(largest, "r+b") as fh:
        for offset in (size // 4, size // 2, 3 * size // 4):
            fh.seek(offset)
            fh.write(os.urandom(8192))
    return largest


def drill_damage(work: Path, seeds: Path, index: Path, rounds: int = 10) -> dict:
    """Damage the live generation's largest segment (shared by hard link with the one before,
    as after an incremental build) while gunicorn serves it: what health, searches (live and
    pinned) and the next `searchsvc index` do."""
    timed_build(seeds, index)  # incremental, nothing changed: the previous one shares files
    live = gens.current(index)
    older = [g.name for g in gens.generations(index) if g.name != live.name]
    server = LiveServer(index, seeds, work / "damage.log", workers=2).start()
    try:
        server.wait_ready(deadline_s=60.0)
        clean = totals(server.port)
        damaged = overwrite_largest_segment(live)
        damaged_size = damaged.stat().st_size
        healths = [http_get(server.port, "/api/health").json() for _ in range(rounds)]
        answers = [totals(server.port) for _ in range(rounds)]
        pinned = [totals(server.port, older[-1]) for _ in range(rounds)] if older else []
        replies = [a for round_ in answers + pinned for a in round_.items()]
        wrong = [(w, a) for w, a in replies if a[0] == 200 and a != clean[w]]
        repair = run_index(seeds, index)
        after = totals(server.port)
        health_after = http_get(server.port, "/api/health").json()
    finally:
        exit_code = server.stop()
    check = run_check(index, "--full")
    fresh = gens.current(index)
    return {
        "damaged_file": f"{live.name}/{damaged.name} ({damaged_size:,} bytes)",
        "health_degraded_naming_it": sum(
            h["status"] == "degraded" and damaged.name in str(h.get("problems")) for h in healths
        ),
        "health_checks": len(healths),
        "searches": len(replies),
        "answered_503": sum(a[0] == 503 for _, a in replies),
        "answered_200_correct": sum(a[0] == 200 and a == clean[w] for w, a in replies),
        "silently_wrong": len(wrong),
        "server_errors": sum(a[0] >= 500 and a[0] != 503 for _, a in replies),
        "pinned_generation": older[-1] if older else None,
        "repair_exit": repair.returncode,
        "repair_says": next((line for line in repair.stderr.splitlines() if "damaged" in line), "")[
            :160
        ],
        "repair_written_afresh": "(full)" in repair.stdout,
        "new_generation": fresh.name,
        "new_segments_linked": sum(p.stat().st_nlink > 1 for p in fresh.path.glob("*.seg")),
        "answers_after_repair_correct": after == clean,
        "health_after_repair": health_after["status"],
        "check_full_exit_after": check.returncode,
        "generations_kept": [g.name for g in gens.generations(index)],
        "tracebacks_in_log": server.logs().count("Traceback"),
        "server_exit": exit_code,
    }


def run_check(index: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "searchsvc", "check", "--index", str(index), *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def drill_pointer(work: Path, seeds: Path, index: Path, rounds: int = 20) -> dict:
    """Delete CURRENT while gunicorn serves: searches (live and pinned) and health."""
    timed_build(seeds, index)
    live = gens.current(index).name
    older = [g.name for g in gens.generations(index) if g.name != live]
    server = LiveServer(index, seeds, work / "pointer.log", workers=2).start()
    try:
        server.wait_ready(deadline_s=60.0)
        clean = totals(server.port)
        (index / gens.POINTER).unlink()
        answers = [totals(server.port) for _ in range(rounds)]
        pinned = [totals(server.port, older[-1]) for _ in range(rounds)] if older else []
        replies = [a for round_ in answers + pinned for a in round_.items()]
        healths = [http_get(server.port, "/api/health").json() for _ in range(rounds)]
        restored = run_index(seeds, index)
        health_after = http_get(server.port, "/api/health").json()
    finally:
        exit_code = server.stop()
    return {
        "searches": len(replies),
        "answered_200": sum(a[0] == 200 for _, a in replies),
        "same_totals_as_before": sum(a == clean[w] for w, a in answers[0].items()) == len(clean),
        "health_degraded_naming_pointer": sum(
            h["status"] == "degraded" and gens.POINTER in str(h.get("problems")) for h in healths
        ),
        "health_checks": len(healths),
        "next_build_exit": restored.returncode,
        "pointer_back": (index / gens.POINTER).is_file(),
        "health_after_build": health_after["status"],
        "server_exit": exit_code,
    }


def drill_writers(work: Path, count: int) -> dict:
    """SIGKILL full builds big enough to fork segment writers (over PARALLEL_THRESHOLD stories),
    each while its children run: how many of them are still running 5 s later, and whether the
    build lock is free for the next build."""
    from searchsvc.indexing.pipeline import PARALLEL_THRESHOLD

    seeds = make_seeds(work / "writers", PARALLEL_THRESHOLD + 500)
    index = work / "writers" / "index"
    build_s = timed_build(seeds, index)
    trials = []
    for delay in random_delays(count, longest=max(1.0, build_s * 0.9), seed=13):
        build = subprocess.Popen(index_command(seeds, index, "--full"), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        children: set[int] = set()
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and build.poll() is None:
            children.update(children_of(build.pid))
            time.sleep(0.02)
        if build.poll() is not None:
            trials.append({"delay_s": delay, "killed": False})
            continue
        children.update(children_of(build.pid))
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        gone = wait_for(lambda: not any(alive(pid) for pid in children), 5.0)  # noqa: B023
        trials.append(
            {
                "delay_s": delay,
                "killed": True,
                "children_seen": len(children),
                "children_alive_after_5s": sum(alive(pid) for pid in children),
                "gone_within_5s": gone,
                "lock_free": lock_is_free(index),
            }
        )
        run_index(seeds, index)  # the next build tidies up, as after any crash
    killed = [t for t in trials if t["killed"]]
    return {
        "stories": PARALLEL_THRESHOLD + 510,
        "full_build_s": round(build_s, 1),
        "trials": len(trials),
        "killed_mid_build": len(killed),
        "with_children": sum(t["children_seen"] > 0 for t in killed),
        "children_left_running": sum(t["children_alive_after_5s"] for t in killed),
        "locks_held_after_kill": sum(not t["lock_free"] for t in killed),
        "delays_s": [t["delay_s"] for t in trials],
    }


def table(title: str, rows: dict) -> str:
    width = max(len(k) for k in rows)
    lines = [f"\n{title}", "-" * len(title)]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fillers", type=int, default=3000, help="generated filler stories")
    parser.add_argument("--kills", type=int, default=12, help="SIGKILL trials")
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--max-requests", type=int, default=30_000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--slow-seconds", type=float, default=30.0, help="slow-client drill")
    parser.add_argument(
        "--export-time-limit", type=float, default=0.1, help="the export drill's short deadline"
    )
    parser.add_argument("--sync-baseline", action="store_true", help="slow clients vs sync")
    parser.add_argument(
        "--only",
        help="comma-separated drills: slow_clients,exports,time_limit,damage,pointer,writers",
    )
    parser.add_argument("--articles", type=int, default=20_000, help="time_limit: news articles")
    parser.add_argument(
        "--news-index", type=Path, help="time_limit: an index already built of those articles"
    )
    parser.add_argument("--rounds", type=int, default=5, help="time_limit: tries per shape")
    args = parser.parse_args()
    if args.only:
        return run_only(args, set(args.only.split(",")))

    with tempfile.TemporaryDirectory(prefix="searchsvc-reliability-") as tmp:
        work = Path(tmp)
        load = drill_rebuilds_under_load(work, args)
        build_s = load.pop("full_build_s_for_kills")
        seeds, index = Path(load.pop("seeds")), Path(load.pop("index"))
        print(table("Rebuilds under load (3 full + 1 incremental, gunicorn 2 workers)", load))
        kills = drill_kills(work, seeds, index, build_s, args.kills)
        print(table("SIGKILL during full rebuilds", kills))
        failed = drill_failed_write(work)
        print(table("Rebuild whose writes fail (RLIMIT_FSIZE 16 kB)", failed))
        corrupt = drill_corrupt_index(work)
        print(table("Corrupted index at start", corrupt))

    passed = (
        load["requests"] >= MIN_REQUESTS
        and load["failed"] == load["inconsistent"] == load["late_switches"] == 0
        and kills["survived"] == kills["trials"]
        and kills["locks_still_held"] == 0
        and kills["temp_generations_left"] == 0
        and failed["exit_code"] != 0
        and failed["served_generation_untouched"]
        and not failed["traceback"]
        and corrupt["statuses"] == [503]
        and corrupt["server_still_running"]
    )
    summary = {
        "passed": passed,
        "load": load,
        "kills": kills,
        "failed_write": failed,
        "corrupt": corrupt,
    }
    print(json.dumps(summary, sort_keys=True))
    return 0 if passed else 1


def run_only(args: argparse.Namespace, drills: set[str]) -> int:
    """The HTTP hardening drills alone, over one index of the seeds plus `--fillers` stories."""
    summary: dict = {}
    with tempfile.TemporaryDirectory(prefix="searchsvc-reliability-") as tmp:
        work = Path(tmp)
        if "time_limit" in drills:
            news_seeds, news, build_s = news_index(work, args.articles, args.news_index)
            print(
                f"index: {args.articles} news articles"
                + (f" built in {build_s:.1f} s" * bool(build_s))
            )
            for name, uncapped in (("time_limit", False), ("time_limit_uncapped", True)):
                summary[name] = drill_time_limit(work, news_seeds, news, args.rounds, uncapped)
                print(table(f"Item 2 shapes, {summary[name]['expansion_cap']} cap", summary[name]))
        if "writers" in drills:
            summary["writers"] = drill_writers(work, args.kills)
            print(table("SIGKILL of builds with forked segment writers", summary["writers"]))
        drills -= {"time_limit", "writers"}
        if not drills:
            return report_only(summary)
        seeds = make_seeds(work, args.fillers)
        index = work / "index"
        build_s = timed_build(seeds, index)
        print(f"index: {args.fillers + 10} stories built in {build_s:.1f} s")
        if "slow_clients" in drills:
            summary["slow_clients"] = drill_slow_clients(work, seeds, index, args)
            print(table("Slow and idle clients held open", summary["slow_clients"]))
            if args.sync_baseline:
                with environment(GUNICORN_CMD_ARGS="--worker-class sync --threads 1"):
                    baseline = drill_slow_clients(work, seeds, index, args)
                summary["slow_clients_sync_baseline"] = baseline
                print(table("The same against sync workers (before)", baseline))
        if "damage" in drills:
            summary["damage"] = drill_damage(work, seeds, index)
            print(table("Live segment overwritten (3 x 8 KB) while serving", summary["damage"]))
        if "pointer" in drills:
            summary["pointer"] = drill_pointer(work, seeds, index)
            print(table("CURRENT deleted while serving", summary["pointer"]))
        if "exports" in drills:
            for name, limit_s in (("exports", 10.0), ("exports_cut", args.export_time_limit)):
                summary[name] = drill_exports(work, seeds, index, limit_s)
                print(
                    table(f"Two whole exports at once, {limit_s} s export deadline", summary[name])
                )
    return report_only(summary)


def report_only(summary: dict) -> int:
    """The final JSON line of a --only run, and its exit status."""
    slow = summary.get("slow_clients", {"failed": 0, "slow_connections_still_open": 4})
    exports = [summary[name] for name in ("exports", "exports_cut") if name in summary]
    passed = (
        slow["failed"] == 0
        and slow["slow_connections_still_open"] == 4
        and all(e["every_export_says_if_complete"] for e in exports)
        and all(e["health_during_exports"]["failed"] == 0 for e in exports)
        and all(
            d["silently_wrong"] == d["server_errors"] == 0
            and d["health_degraded_naming_it"] == d["health_checks"]
            and d["repair_written_afresh"]
            and d["answers_after_repair_correct"]
            and d["check_full_exit_after"] == 0
            for d in [summary.get("damage")]
            if d is not None
        )
        and all(
            p["answered_200"] == p["searches"]
            and p["health_degraded_naming_pointer"] == p["health_checks"]
            for p in [summary.get("pointer")]
            if p is not None
        )
        and all(
            w["children_left_running"] == w["locks_held_after_kill"] == 0
            for w in [summary.get("writers")]
            if w is not None
        )
        # The default settings must hold; the lifted cap (the deadline alone) is for figures.
        and all(
            t["within_limit_plus_margin"] and t["server_errors"] == t["worker_restarts"] == 0
            for t in [summary.get("time_limit")]
            if t is not None
        )
    )
    print(json.dumps({"passed": passed, **summary}, sort_keys=True))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
