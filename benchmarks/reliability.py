"""The long reliability drills (tests/test_reliability.py runs short versions of the same).

    .venv/bin/python benchmarks/reliability.py [--fillers 3000] [--kills 12] [--concurrency 6]

Everything is real and on loopback: gunicorn with 2 workers over a temp index built from seeds/
plus generated filler stories, `python -m searchsvc index` as the rebuild, SIGKILL for crashes,
RLIMIT_FSIZE for a failing disk. Prints a table per drill and a final JSON line.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchsvc.engines.whoosh import generations as gens  # noqa: E402
from tests.support.reliability import (  # noqa: E402
    MARKER,
    add_marker_stories,
    filler_stories,
    kill_trial,
    random_delays,
    rebuilds_under_load,
    run_index,
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
    args = parser.parse_args()

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


if __name__ == "__main__":
    sys.exit(main())
