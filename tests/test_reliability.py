"""Short reliability drills (the long ones are benchmarks/reliability.py): rebuilds under load,
rebuilds killed with SIGKILL, rebuilds that fail on write, and a corrupted index at start."""

from __future__ import annotations

import resource
import shutil
import signal
from pathlib import Path

import pytest

from searchsvc.engines.whoosh import generations as gens
from searchsvc.indexing.pipeline import build
from tests.support.reliability import (
    MARKER,
    add_marker_stories,
    filler_stories,
    kill_trial,
    random_delays,
    rebuilds_under_load,
    run_index,
)
from tests.support.web import LiveServer, http_get


@pytest.fixture
def served(seeds_copy: Path, tmp_path: Path):
    add_marker_stories(seeds_copy, 0, 3)
    index = tmp_path / "index"
    build(seeds_copy, index)
    server = LiveServer(index, seeds_copy, tmp_path / "gunicorn.log", workers=2).start()
    server.wait_ready()
    yield server, seeds_copy, index
    assert server.stop() == 0
    assert "Traceback" not in server.logs()


def test_every_request_succeeds_through_full_and_incremental_rebuilds(served):
    server, seeds, index = served
    report = rebuilds_under_load(
        server,
        seeds,
        index,
        full_rebuilds=3,
        incremental=1,
        concurrency=4,
        max_requests=3_000,
        max_seconds=90,
    )
    assert report.requests >= 50
    assert report.failures == []
    assert report.inconsistent == []
    assert report.late == []
    assert len({s.generation for s in report.switches}) == 4


def test_killed_rebuilds_leave_the_service_answering(served):
    server, seeds, index = served
    filler_stories(seeds, 400)
    assert run_index(seeds, index).returncode == 0

    def answer() -> int:
        reply = http_get(server.port, f"/api/search?q={MARKER}")
        assert reply.status == 200
        return reply.json()["total"]

    for delay in random_delays(3, longest=2.0):
        trial = kill_trial(seeds, index, delay, answer)
        assert trial.old_answered, trial
        assert trial.next_build_ok, trial
        assert trial.leftovers == [], trial


def test_a_rebuild_that_cannot_write_fails_cleanly(seeds_copy: Path, tmp_path: Path):
    index = tmp_path / "index"
    build(seeds_copy, index)
    live = gens.current(index).name
    add_marker_stories(seeds_copy, 0, 50)

    def tiny_disk() -> None:  # every file write past 16 kB fails with EFBIG, like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, 16_384))

    failed = run_index(seeds_copy, index, "--full", preexec=tiny_disk)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert "left as it was" in failed.stderr
    assert gens.current(index).name == live
    assert not list(index.glob(f"{gens.TMP_PREFIX}*"))
    assert run_index(seeds_copy, index).returncode == 0


@pytest.mark.live
def test_corrupted_index_answers_503_without_a_crash_loop(seed_index: Path, tmp_path: Path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    live = gens.current(index)
    for toc in live.path.glob("*.toc"):
        toc.write_bytes(b"not a whoosh table of contents")
    server = LiveServer(index, tmp_path, tmp_path / "gunicorn.log", workers=2).start()
    try:
        health = server.wait_ready()  # health answers, naming what is damaged
        assert health["status"] == "degraded" and ".toc" in str(health["problems"]), health
        reply = http_get(server.port, "/api/search?q=ishiba")
        assert reply.status == 503, reply.body[:300]
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert "searchsvc index" in reply.json()["detail"]
        assert server.process.poll() is None  # still serving, not restarting workers in a loop
        assert "Traceback" not in server.logs()
    finally:
        assert server.stop() == 0
