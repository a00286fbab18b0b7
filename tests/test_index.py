"""The rebuild script: incremental, atomic, one writer at a time, never aborted by a bad file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.errors import IndexBusy
from searchsvc.indexing.pipeline import build
from searchsvc.search import SearchRequest, search
from searchsvc.seeds import freshness
from tests.support.reliability import filler_stories

SEARCHSVC = [sys.executable, "-m", "searchsvc"]


def total(root: Path, q: str) -> int:
    handle = WhooshEngine(root)
    try:
        return search(handle.live(), SearchRequest(q=q)).total
    finally:
        handle.close()


def write_story(folder: Path, name: str, words: str) -> Path:
    path = folder / name
    body = "\n".join(
        f"{words} paragraph {i} with enough words to be a real paragraph of text." for i in range(4)
    )
    path.write_text(f"A headline about {words}\n{body}\n", "utf-8")
    return path


def test_incremental_build_reuses_unchanged_files(seeds_copy, tmp_path):
    root = tmp_path / "index"
    first = build(seeds_copy, root)
    assert first.full and first.files_read == 5 and first.stories == 7
    write_story(seeds_copy, "005_new.txt", "zanzibar")
    second = build(seeds_copy, root)
    assert not second.full
    assert second.files_read == 1 and second.files_reused == 5
    assert second.added == 1 and second.deleted == 0
    assert total(root, "zanzibar") == 1
    (seeds_copy / "005_new.txt").unlink()
    third = build(seeds_copy, root)
    assert third.deleted == 1 and third.stories == 7
    assert total(root, "zanzibar") == 0
    assert total(root, "Kananaskis") == 1


def test_changed_file_is_reflected(seeds_copy, tmp_path):
    root = tmp_path / "index"
    path = write_story(seeds_copy, "005_new.txt", "zanzibar")
    build(seeds_copy, root)
    write_story(seeds_copy, "005_new.txt", "kathmandu")
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    summary = build(seeds_copy, root)
    assert summary.files_read == 1
    assert total(root, "zanzibar") == 0 and total(root, "kathmandu") == 1


def test_full_rebuild_gives_the_same_ids(seeds_copy, tmp_path):
    from searchsvc.stories import all_stories

    def ids(root: Path) -> list[str]:
        handle = WhooshEngine(root)
        return sorted(s["id"] for s in all_stories(handle.live()))

    a, b = tmp_path / "a", tmp_path / "b"
    build(seeds_copy, a)
    (seeds_copy / "000_20ed3aca2b42eea2.txt").rename(seeds_copy / "zzz_renamed.txt")
    build(seeds_copy, b, full=True)
    assert ids(a) == ids(b)


def test_old_generations_are_cleaned_up(seeds_copy, tmp_path):
    root = tmp_path / "index"
    for _ in range(5):  # --full: an unchanged incremental rebuild publishes nothing
        build(seeds_copy, root, keep=3, full=True)
    names = [g.name for g in gens.generations(root)]
    assert len(names) == 3
    assert gens.current(root).name == names[-1] == "gen-000005"


def test_bad_files_are_reported_and_skipped(seeds_copy, tmp_path):
    (seeds_copy / "empty.txt").write_text("")
    (seeds_copy / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (seeds_copy / "latin1.txt").write_bytes(
        "Café owners in Zürich\n\nThe café société met in Zürich to discuss a long "
        "agenda of local matters affecting owners.\n".encode("cp1252")
    )
    unreadable = seeds_copy / "secret.txt"
    unreadable.write_text("secret")
    outside = tmp_path / "outside.txt"
    outside.write_text("Outside story\n\nThis file lives outside the seeds folder entirely.\n")
    (seeds_copy / "link.txt").symlink_to(outside)
    summary = build(seeds_copy, tmp_path / "index", max_bytes=10_000)
    reasons = dict(summary.skipped)
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "outside" in reasons["link.txt"]
    assert "004_61a9e09eb2a5f23a.txt" in reasons  # larger than the 10 kB limit set here
    assert summary.stories >= 6
    assert total(tmp_path / "index", "Zürich") == 1  # cp1252 decoded, accents folded


def test_nothing_indexable_leaves_no_generation(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "empty.txt").write_text("")
    summary = build(seeds, tmp_path / "index")
    assert summary.stories == 0 and gens.current(tmp_path / "index") is None


def test_second_concurrent_build_is_refused(seeds_copy, tmp_path):
    root = tmp_path / "index"
    with gens.build_lock(root), pytest.raises(IndexBusy, match="another build"):
        build(seeds_copy, root)
    assert build(seeds_copy, root).stories == 7  # the lock died with its holder


@pytest.mark.slow
def test_killed_rebuild_leaves_the_old_index_answering(seeds_copy, tmp_path):
    root = tmp_path / "index"
    build(seeds_copy, root)
    live = gens.current(root).name
    filler_stories(seeds_copy, 1500)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [*SEARCHSVC, "index", "--seeds", str(seeds_copy), "--index", str(root), "--full"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(root.glob(".tmp-gen-*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert gens.current(root).name == live
    assert total(root, "Kananaskis") == 1
    assert total(root, "filler3x4") == 0

    summary = build(seeds_copy, root)  # no manual clean-up needed
    assert summary.stories == 1507
    assert not list(root.glob(".tmp-gen-*"))
    assert total(root, "filler3x4") == 1


def test_freshness_reports_changed_and_removed(seeds_copy, tmp_path):
    root = tmp_path / "index"
    build(seeds_copy, root)
    assert freshness(seeds_copy, WhooshEngine(root).live())["stale"] is False
    write_story(seeds_copy, "005_new.txt", "zanzibar")
    (seeds_copy / "001_b66959c7f5a1448a.txt").unlink()
    fresh = freshness(seeds_copy, WhooshEngine(root).live())
    assert fresh == {
        "stale": True,
        "changed": ["005_new.txt"],
        "removed": ["001_b66959c7f5a1448a.txt"],
    }


def test_fast_segment_writer_writes_whoosh_s_bytes(seeds_copy, tmp_path):
    """FastSegmentWriter replaces Whoosh's pool and analysis path: the files must not change."""
    from whoosh.writing import SegmentWriter

    from searchsvc.engines.whoosh.segments import FastSegmentWriter
    from searchsvc.extract import extract_file
    from searchsvc.indexing.dedup import merge_duplicates
    from tests.support.segments import segment_bytes, write_with

    articles = [a for p in sorted(seeds_copy.iterdir()) for a in extract_file(p, p.name)]
    stories = merge_duplicates(articles)
    written = {}
    for name, writer_class in (("whoosh", SegmentWriter), ("fast", FastSegmentWriter)):
        write_with(tmp_path / name, stories, writer_class)
        written[name] = segment_bytes(tmp_path / name)
    assert written["fast"] == written["whoosh"]


def test_rebuild_reusing_derived_data_matches_a_full_build(seeds_copy, tmp_path, monkeypatch):
    """Kept shingle keys, cluster signatures and the updated vocabulary equal fresh ones."""
    import json

    from searchsvc.indexing import pipeline as indexer

    monkeypatch.setattr(indexer, "PARALLEL_THRESHOLD", 1)  # the forked segment writers too
    a, b = tmp_path / "a", tmp_path / "b"
    build(seeds_copy, a)
    write_story(seeds_copy, "005_new.txt", "zanzibar")
    (seeds_copy / "000_20ed3aca2b42eea2.txt").unlink()
    assert not build(seeds_copy, a).full
    build(seeds_copy, b, full=True)
    live_a, live_b = gens.current(a), gens.current(b)
    assert live_a and live_b
    for name in ("vocab.json", "clusters.json"):
        left, right = (json.loads((g.path / name).read_text()) for g in (live_a, live_b))
        left.pop("seconds", None), right.pop("seconds", None)
        assert left == right, name
    assert live_a.meta()["fingerprints"] == live_b.meta()["fingerprints"]
    assert total(a, "zanzibar") == total(b, "zanzibar") == 1


def test_fast_segment_writer_merging_a_segment_writes_whoosh_s_bytes(seeds_copy, tmp_path):
    """Documents added while an older segment is merged in (its postings come through the
    pool's add(), the new ones through the analyzer fast path, for the same terms): the merged
    segment is the one Whoosh's own writer makes."""
    from whoosh import index as whoosh_index
    from whoosh.writing import SegmentWriter

    from searchsvc.engines.whoosh.schema import story_document
    from searchsvc.engines.whoosh.segments import FastSegmentWriter
    from searchsvc.extract import extract_file
    from searchsvc.indexing.dedup import merge_duplicates
    from tests.support.segments import segment_bytes, write_with

    articles = [a for p in sorted(seeds_copy.iterdir()) for a in extract_file(p, p.name)]
    stories = merge_duplicates(articles)
    written = {}
    for name, writer_class in (("whoosh", SegmentWriter), ("fast", FastSegmentWriter)):
        folder = tmp_path / name
        write_with(folder, stories[:3], SegmentWriter)
        writer = writer_class(whoosh_index.open_dir(str(folder)), compound=False)
        for story in stories[3:]:
            writer.add_document(**story_document(story))
        writer.commit(optimize=True)
        written[name] = segment_bytes(folder)
    assert len([s for s, _ in written["fast"] if s == ".trm"]) == 1  # one merged segment
    assert written["fast"] == written["whoosh"]
