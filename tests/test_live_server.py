"""gunicorn with 2 workers over real HTTP, while the index is rebuilt underneath it by the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support import ROOT, SEEDS
from tests.support.web import LiveServer, Reply, http_get

pytestmark = pytest.mark.live

NEW_STORY = """Zanzibar Ferry Summit Opens With Regional Talks

ZANZIBAR — Ministers from several countries met on Friday in Zanzibar to discuss regional ferry
safety and maritime cooperation, officials said.

The Zanzibar talks follow a series of accidents on busy island routes, and delegates agreed to
share inspection data and training programmes.
"""


class BackgroundSearches(threading.Thread):
    """Searches over HTTP in a loop until stopped, keeping every reply (or transport error)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.replies: list[Reply] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.replies.append(http_get(self.port, "/api/search?q=Ishiba&per_page=3"))
            except OSError as exc:
                self.errors.append(repr(exc))

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def test_rebuild_under_a_running_server(seed_index: Path, seeds_copy: Path, tmp_path: Path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    server = LiveServer(index, seeds_copy, tmp_path / "gunicorn.log", workers=2).start()
    try:
        health = server.wait_ready()
        old_generation = health["generation"]
        assert health["doc_count"] == 7

        reply = http_get(server.port, "/api/search?q=Kananaskis")
        assert reply.status == 200, reply.body[:300]
        assert reply.headers["Server"] == "searchsvc"
        assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
        data = reply.json()
        assert data["total"] == 1 and data["hits"][0]["outlet"] == "Yomiuri Shimbun"
        page = http_get(server.port, "/search?q=Kananaskis")
        assert page.status == 200 and b"<mark>KANANASKIS</mark>" in page.body

        (seeds_copy / "900_new_story.txt").write_text(NEW_STORY, "utf-8")
        assert http_get(server.port, "/api/health").json()["seeds"]["stale"] is True

        searches = BackgroundSearches(server.port)
        searches.start()
        build = subprocess.run(
            [sys.executable, "-m", "searchsvc", "index", "--seeds", str(seeds_copy)]
            + ["--index", str(index)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert build.returncode == 0, build.stdout + build.stderr

        # Every request after the switch, whichever worker takes it, sees the new generation.
        after = [http_get(server.port, "/api/search?q=Zanzibar") for _ in range(12)]
        searches.stop()

        assert searches.errors == []
        assert searches.replies, "the background searches ran"
        assert {r.status for r in searches.replies} == {200}
        for reply in after:
            assert reply.status == 200
            data = reply.json()
            assert data["generation"] != old_generation
            assert data["total"] == 1
            assert data["hits"][0]["title"] == "Zanzibar Ferry Summit Opens With Regional Talks"
        health = http_get(server.port, "/api/health").json()
        assert health["doc_count"] == 8 and health["seeds"]["stale"] is False
        log = server.logs()
        assert log.count("serving index") == 2, log[-4000:]  # each worker opened the index itself
        assert "Traceback" not in log
    finally:
        exit_code = server.stop()
    assert exit_code == 0, server.log_tail()


def test_server_without_an_index_starts_and_answers_503(tmp_path: Path, seeds_copy: Path):
    server = LiveServer(tmp_path / "no-index", seeds_copy, tmp_path / "gunicorn.log").start()
    try:
        with pytest.raises(TimeoutError):
            server.wait_ready(deadline_s=3.0)  # health stays 503 while there is no index
        reply = http_get(server.port, "/api/search?q=ishiba")
        assert reply.status == 503
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert "searchsvc index" in reply.json()["detail"]
        assert "no index yet" in server.logs()
        assert "Traceback" not in server.logs()
    finally:
        assert server.stop() == 0


def test_serve_command_runs_gunicorn(seed_index: Path, tmp_path: Path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    server = LiveServer(index, SEEDS, tmp_path / "serve.log", workers=2).start_with_cli()
    try:
        assert server.wait_ready()["doc_count"] == 7
        reply = http_get(server.port, "/search?q=Hayashi")
        assert reply.status == 200 and b"Japan Today" in reply.body
        assert reply.headers["Server"] == "searchsvc"
        log = server.logs()
        assert "Starting gunicorn" in log and "Booting worker" in log
    finally:
        assert server.stop() == 0
