"""Drills on real OpenSearch clusters, searches running from threads through the engine:

- an alias swap under load, on the suite's cluster (SEARCHSVC_TEST_OPENSEARCH_URL): three
  rebuilds write, publish and prune generations while four threads search; no search fails and
  every answer is complete;
- a node killed -9 under load, on a 3-node cluster this test starts itself (opensearch/cluster.py,
  ports 9470-9472, heap 512m): no search fails, the cluster goes yellow, and green again once the
  node is back; no story is lost. About a minute; the one 3-node drill CI runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import ROOT, require
from tests.support.engines import stories_and_clusters

pytest.importorskip("opensearchpy")

from searchsvc.engines.base import GenerationInfo  # noqa: E402
from searchsvc.model import SearchPlan  # noqa: E402
from searchsvc.query import parse  # noqa: E402

pytestmark = pytest.mark.live

URL = os.environ.get("SEARCHSVC_TEST_OPENSEARCH_URL", "")
CLUSTER = ROOT / "opensearch" / "cluster.py"
DRILL_PORT = int(os.environ.get("SEARCHSVC_DRILL_OPENSEARCH_PORT", "9470"))
SEARCH_THREADS = 4
FIXED_QUERY = "Ishiba"  # found in every seed story


def engine_for(url: str, prefix: str, local: Path, shards: int, replicas: int):
    from searchsvc.engines.opensearch import OpenSearchEngine

    settings = SimpleNamespace(
        opensearch_url=url,
        opensearch_prefix=prefix,
        opensearch_shards=shards,
        opensearch_replicas=replicas,
        index=local,
    )
    return OpenSearchEngine(settings)


def build(engine, stories: list) -> str:
    writer = engine.writer()
    name = writer.next_name()
    writer.write(stories, [], GenerationInfo(name, len(stories), "now"), None)
    writer.publish(name)
    writer.prune(3)
    return name


@dataclass
class Load:
    """Threads searching through one engine until stopped; what went wrong, by kind."""

    engine: object
    expected: dict[str, int]  # query → the total every answer must have
    searches: int = 0
    failures: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    generations: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self.search) for _ in range(SEARCH_THREADS)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def search(self) -> None:
        plans = {
            q: SearchPlan(tree=parse(q), mode="browse" if not q else "all", limit=10)
            for q in self.expected
        }
        while not self.stop.is_set():
            for q, plan in plans.items():
                try:
                    generation = self.engine.live()  # re-resolved as the engine does
                    total = generation.run(plan).total
                except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                    with self.lock:
                        self.failures.append(f"{q!r}: {type(exc).__name__}: {exc}")
                    continue
                with self.lock:
                    self.searches += 1
                    self.generations.add(generation.name)
                    if total != self.expected[q]:
                        self.incomplete.append(f"{q!r} on {generation.name}: {total}")

    def wait_for(self, searches: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.searches < searches and time.monotonic() < deadline:
            time.sleep(0.05)


def test_alias_swaps_under_search_load_fail_no_search(opened, tmp_path):
    require(bool(URL), "SEARCHSVC_TEST_OPENSEARCH_URL names no OpenSearch cluster")
    prefix = f"searchsvc-drill-{uuid.uuid4().hex[:8]}"
    stories = stories_and_clusters(opened)[0]
    builder = engine_for(URL, prefix, tmp_path / "build", shards=3, replicas=0)
    reader = engine_for(URL, prefix, tmp_path / "serve", shards=3, replicas=0)
    try:
        first = build(builder, stories)
        expected = {
            "": len(stories),
            FIXED_QUERY: reader.live().run(SearchPlan(tree=parse(FIXED_QUERY), limit=1)).total,
        }
        with Load(reader, expected) as load:
            load.wait_for(20)
            built = [build(builder, stories) for _ in range(3)]
            time.sleep(1.5)  # the serving engine re-reads the alias at most once a second
            done = load.searches
            load.wait_for(done + 20)
        assert load.failures == [] and load.incomplete == []
        assert load.searches > 40
        assert reader.live().name == built[-1] != first
        assert built[-1] in load.generations and len(load.generations) >= 2
    finally:
        builder.client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
        builder.close()
        reader.close()


def cluster(command: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, str(CLUSTER), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"cluster.py {' '.join(command)} failed:\n{done.stderr[-3000:]}"
    return done.stdout.strip()


def test_a_node_killed_under_search_load_fails_no_search_and_loses_no_story(opened, tmp_path):
    require(
        shutil.which("java") is not None and shutil.which("mvn") is not None,
        "the 3-node drill needs java and mvn to start its own cluster",
    )
    env = {
        **os.environ,
        "OPENSEARCH_NODES": "3",
        "OPENSEARCH_PORT": str(DRILL_PORT),
        "OPENSEARCH_DIR": str(tmp_path / "cluster"),
        "OPENSEARCH_HEAP": os.environ.get("OPENSEARCH_HEAP", "512m"),
    }
    try:
        urls = cluster(["up"], env).splitlines()[-1]
        stories = stories_and_clusters(opened)[0]
        engine = engine_for(urls, "drill", tmp_path / "local", shards=3, replicas=1)
        build(engine, stories)
        engine.client.cluster.health(wait_for_status="green", timeout="60s", request_timeout=70)
        expected = {"": len(stories), FIXED_QUERY: len(stories)}
        statuses = []
        with Load(engine, expected) as load:
            load.wait_for(20)
            cluster(["kill-node", "2"], env)
            before = load.searches
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                status = engine.client.cluster.health(request_timeout=10)["status"]
                statuses.append(status)
                if status == "yellow" and load.searches > before + 40:
                    break
                time.sleep(0.5)
            cluster(["start-node", "2"], env)
            restarted = load.searches
            load.wait_for(restarted + 20)
        health = engine.client.cluster.health(
            wait_for_status="green", timeout="60s", request_timeout=70
        )
        assert load.failures == [] and load.incomplete == []
        assert "yellow" in statuses and health["status"] == "green"
        assert health["number_of_nodes"] == 3
        assert engine.live().run(SearchPlan(tree=None, mode="browse", limit=0)).total == len(
            stories
        )
        engine.close()
    finally:
        cluster(["down"], env)
