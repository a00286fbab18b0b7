"""Operating the service: health compares the index with the folder it was built from, and
`make run` honours the SEARCHSVC_* variables the README promises."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from searchsvc import create_app
from searchsvc.indexing.pipeline import build
from tests.support import ROOT


def test_health_compares_with_the_folder_the_index_was_built_from(seeds_copy, tmp_path):
    build(seeds_copy, tmp_path / "index")
    app = create_app({"TESTING": True, "INDEX": tmp_path / "index"})  # no seeds folder named
    seeds = app.test_client().get("/api/health").get_json()["seeds"]
    assert seeds["path"] == seeds_copy.name  # the name only: never the server's layout
    assert seeds["stale"] is False and seeds["removed_count"] == 0
    (seeds_copy / "late.txt").write_text("Late story\n\nIt arrived after the build was done.\n")
    app = create_app({"TESTING": True, "INDEX": tmp_path / "index"})
    assert "late.txt" in app.test_client().get("/api/health").get_json()["seeds"]["changed"]


def test_a_named_seeds_folder_wins_over_the_recorded_one(seeds_copy, tmp_path, seed_index):
    app = create_app({"TESTING": True, "INDEX": seed_index, "SEEDS": tmp_path})
    seeds = app.test_client().get("/api/health").get_json()["seeds"]
    assert seeds["path"] == tmp_path.name and seeds["removed_count"] == 5  # every seed file


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_honours_searchsvc_bind_and_seeds():
    env = {**os.environ, "SEARCHSVC_BIND": "127.0.0.1:9123", "SEARCHSVC_SEEDS": "/data/news"}
    plan = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "--bind 127.0.0.1:9123" in plan
    assert "index --seeds /data/news" in plan and "serve --index" in plan
    plan = subprocess.run(
        ["make", "-n", "run", "BIND=0.0.0.0:80"], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert "--bind 0.0.0.0:80" in plan


def test_serve_offers_a_seeds_option():
    from click.testing import CliRunner

    from searchsvc.cli import main

    assert "--seeds" in CliRunner().invoke(main, ["serve", "--help"]).output
