"""The service on OpenSearch (SEARCHSVC_ENGINE=opensearch): what a user of the CLI and the web
sees when the cluster cannot answer, pinned permalinks across real rebuilds, and a rebuild by
`searchsvc index` while gunicorn serves searches.

The unreachable-cluster tests need no cluster; the others use the suite's
(SEARCHSVC_TEST_OPENSEARCH_URL: they skip locally without one and fail in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from searchsvc import create_app
from tests.support import ROOT, SEEDS
from tests.support.engines import OpenSearchPrefixes, rebuild, settings_of
from tests.support.web import LiveServer, http_get

pytest.importorskip("opensearchpy")

PROBLEM = "application/problem+json"
NOWHERE = "http://127.0.0.1:9"  # nothing listens on the discard port
NEW_STORY = (
    "Ishiba visits Seoul for talks\n2025-06-20\n\n"
    "Prime Minister Shigeru Ishiba arrived in Seoul on Friday for talks with President "
    "Lee Jae-myung about trade.\n\nThe two leaders discussed supply chains.\n"
)
PROPAGATION_S = 10.0  # engines re-read the alias at most once a second


def environment(config: dict) -> dict[str, str]:
    """SEARCHSVC_* variables for a create_app config (a subprocess reads them)."""
    return {f"SEARCHSVC_{key}": str(value) for key, value in config.items()}


def run_cli(*args: str, config: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ, **environment(config))
    return subprocess.run(
        [sys.executable, "-m", "searchsvc", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def nowhere_config(tmp_path: Path) -> dict:
    return {
        "ENGINE": "opensearch",
        "OPENSEARCH_URL": NOWHERE,
        "OPENSEARCH_PREFIX": "searchsvc-nowhere",
        "INDEX": tmp_path / "index",
    }


def assert_one_line_error(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: the OpenSearch cluster at http://127.0.0.1:9 cannot be reached")


# --- a cluster that cannot answer ------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("index", "--seeds", str(SEEDS)),
        ("search", "Kananaskis"),
        ("search", "--format", "csv", "Kananaskis"),
        ("articles",),
    ],
)
def test_an_unreachable_cluster_is_one_line_and_exit_status_1(tmp_path, command):
    assert_one_line_error(run_cli(*command, config=nowhere_config(tmp_path)))


@pytest.mark.parametrize(
    "path", ["/api/search?q=ishiba", "/api/health", "/api/articles/5354a1b359afebe6"]
)
def test_an_unreachable_cluster_is_a_503_problem(tmp_path, path):
    client = create_app({"TESTING": True, **nowhere_config(tmp_path)}).test_client()
    response = client.get(path)
    assert response.status_code == 503 and response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["code"] == "engine_unavailable"
    assert "cannot be reached" in problem["detail"]


def test_an_unreachable_cluster_is_a_503_page(tmp_path):
    client = create_app({"TESTING": True, **nowhere_config(tmp_path)}).test_client()
    response = client.get("/search?q=ishiba")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "unavailable" in response.get_data(as_text=True)


@pytest.fixture
def red(opensearch: OpenSearchPrefixes) -> Iterator[dict]:
    """A prefix whose live generation has a shard with no copy anywhere (a red cluster)."""
    from searchsvc.engines import open_engine
    from searchsvc.engines.opensearch.mapping import index_body

    config = opensearch.config("red")
    engine = open_engine(settings_of(config))
    prefix = config["OPENSEARCH_PREFIX"]
    body = index_body(1, 0, 1.2, 0.75, {"name": "gen-000001", "doc_count": 0, "built_at": ""})
    body["settings"]["index"]["routing.allocation.require._name"] = "no-such-node"
    engine.client.indices.create(
        index=f"{prefix}-gen-000001", body=body, params={"wait_for_active_shards": "0"}
    )
    engine.client.indices.put_alias(index=f"{prefix}-gen-000001", name=prefix)
    try:
        yield config
    finally:
        engine.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        engine.close()


def test_a_red_cluster_is_a_503_problem_and_a_cli_error(red):
    client = create_app({"TESTING": True, **red}).test_client()
    for path in ("/api/search?q=ishiba", "/api/health"):
        response = client.get(path)
        assert response.status_code == 503 and response.mimetype == PROBLEM, path
        assert response.get_json()["code"] == "engine_unavailable"
    done = run_cli("search", "ishiba", config=red)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ")


# --- permalinks across rebuilds ------------------------------------------------------------------


def wait_for_generation(client: FlaskClient, name: str) -> None:
    deadline = time.monotonic() + PROPAGATION_S
    while client.get("/api/health").get_json().get("generation") != name:
        assert time.monotonic() < deadline, f"{name} never went live"
        time.sleep(0.1)


def test_a_pinned_generation_answers_until_pruned_then_410(opensearch, seeds_copy):
    config = opensearch.build(seeds_copy)
    client = create_app({"TESTING": True, "SEEDS": seeds_copy, **config}).test_client()
    first = client.get("/api/search?q=Ishiba").get_json()
    pinned = f"/api/search?q=Ishiba&gen={first['generation']}"
    (seeds_copy / "extra.txt").write_text(NEW_STORY, "utf-8")
    second = rebuild(config, seeds_copy, keep=3).generation
    wait_for_generation(client, second)
    assert client.get("/api/search?q=Ishiba").get_json()["total"] == first["total"] + 1
    assert client.get(pinned).get_json()["total"] == first["total"]
    rebuild(config, seeds_copy, keep=1)
    gone = client.get(pinned)
    assert gone.status_code == 410 and gone.mimetype == PROBLEM
    assert gone.get_json()["generation"] == first["generation"]
    page = client.get(f"/search?q=Ishiba&gen={first['generation']}")
    assert page.status_code == 410 and "no longer kept" in page.get_data(as_text=True)


# --- a rebuild under HTTP load -------------------------------------------------------------------


@dataclass
class HttpLoad:
    """Threads sending searches to a live server until stopped; every answer not 200, or with
    another total than expected, is a failure."""

    port: int
    queries: dict[str, int]  # query string → the total every answer must have
    threads: int = 4
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    generations: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> HttpLoad:
        self.workers = [threading.Thread(target=self.run) for _ in range(self.threads)]
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(timeout=60)

    def run(self) -> None:
        while not self.stop.is_set():
            for query, total in self.queries.items():
                self.one(query, total)

    def one(self, query: str, total: int) -> None:
        try:
            reply = http_get(self.port, f"/api/search?{query}")
            data = reply.json() if reply.status == 200 else {}
        except (OSError, ValueError) as exc:
            problem = f"{query}: {type(exc).__name__}: {exc}"
        else:
            problem = None if data.get("total") == total else f"{query}: {reply.status} {data}"
        with self.lock:
            self.answered += 1
            if problem:
                self.failures.append(problem[:300])
            else:
                self.generations.add(data["generation"])

    def wait_for(self, answers: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.answered < answers and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.mark.live
def test_searchsvc_index_swaps_the_alias_under_http_load_failing_no_request(opensearch, tmp_path):
    config = opensearch.build(SEEDS)
    server = LiveServer(
        config["INDEX"], SEEDS, tmp_path / "gunicorn.log", environment=environment(config)
    ).start()
    try:
        first = server.wait_ready()["generation"]
        queries = {"q=Ishiba": 7, "q=Kananaskis": 1, "q=": 7, "q=abduct*": 2}
        with HttpLoad(server.port, queries) as load:
            load.wait_for(20)
            for _ in range(2):
                done = run_cli("index", "--full", "--seeds", str(SEEDS), config=config)
                assert done.returncode == 0, done.stderr
            last = done.stdout.split()[1]
            deadline = time.monotonic() + PROPAGATION_S
            while last not in load.generations and time.monotonic() < deadline:
                time.sleep(0.1)
            answered = load.answered
            load.wait_for(answered + 20)
        assert load.failures == []
        assert {first, last} <= load.generations, load.generations
        assert http_get(server.port, f"/api/search?q=Ishiba&gen={first}").status == 200
    finally:
        server.stop()
