"""A damaged index is noticed, never served, never spread (issue 13 items 6 and 8).

Each generation records its files (size, modification time, checksum) in a manifest when it is
published; /api/health and opening compare the cheap facts, `searchsvc check --full` every
checksum, and a rebuild never reuses a damaged file. Deleting the pointer file while serving
keeps what is open.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from searchsvc import create_app
from searchsvc.cli import main
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.writing import WhooshWriter
from searchsvc.indexing.pipeline import build
from tests.support import SEEDS

PROBLEM = "application/problem+json"


def index_of_two_generations(tmp_path: Path, full: bool = False) -> tuple[Path, Path]:
    """seeds/ built twice: gen-000001, then gen-000002 (live), incrementally (sharing its
    segment files with gen-000001 through hard links) unless `full`."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = tmp_path / "index"
    build(seeds, index)
    # A touched file makes the second build publish (an unchanged seeds folder is a no-op).
    first = sorted(seeds.iterdir())[0]
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    build(seeds, index, full=full)
    assert gens.current(index).name == "gen-000002"
    return seeds, index


def damage_largest_segment(generation: gens.Generation) -> Path:
    """Overwrite 3 x 8 KB inside the largest segment file, as the reviewer did."""
    largest = max(generation.path.glob("*.seg"), key=lambda p: p.stat().st_size)
    size = largest.stat().st_size
    with open(largest, "r+b") as fh:
        for offset in (size // 4, size // 2, 3 * size // 4):
            fh.seek(offset)
            fh.write(b"\xa5" * min(8192, size // 8))
    return largest


def test_a_damaged_segment_is_reported_by_health_and_never_searched(tmp_path):
    _, index = index_of_two_generations(tmp_path)
    client = create_app({"TESTING": True, "INDEX": index}).test_client()
    assert client.get("/api/search?q=ishiba").get_json()["total"] == 7
    assert client.get("/api/health").get_json()["status"] == "ok"
    damaged = damage_largest_segment(gens.current(index))

    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded"
    assert any(damaged.name in problem for problem in health["problems"]), health
    for path in ("/api/search?q=ishiba", "/api/search?q=organisations", "/search?q=ishiba"):
        reply = client.get(path)
        assert reply.status_code == 503, (path, reply.status_code)  # never a wrong answer
    problem = client.get("/api/search?q=ishiba").get_json()
    assert problem["code"] == "index_damaged" and problem["generation"] == "gen-000002"
    assert damaged.name in problem["detail"] and "searchsvc index" in problem["detail"]
    # The older generation shares that file (a hard link): refused too, naming itself.
    pinned = client.get("/api/search?q=ishiba&gen=gen-000001")
    assert pinned.status_code == 503 and pinned.get_json()["generation"] == "gen-000001"


def test_an_intact_pinned_generation_is_served_while_the_live_one_is_damaged(tmp_path):
    _, index = index_of_two_generations(tmp_path, full=True)  # no file shared
    client = create_app({"TESTING": True, "INDEX": index}).test_client()
    damage_largest_segment(gens.current(index))
    assert client.get("/api/search?q=ishiba").status_code == 503
    pinned = client.get("/api/search?q=ishiba&gen=gen-000001")
    assert pinned.status_code == 200 and pinned.get_json()["total"] == 7


def test_check_names_the_damaged_file_and_fails(tmp_path):
    _, index = index_of_two_generations(tmp_path)
    runner = CliRunner()
    healthy = runner.invoke(main, ["check", "--index", str(index), "--full"])
    assert healthy.exit_code == 0, healthy.output
    assert "gen-000002 (live): ok" in healthy.output and "0 damaged" in healthy.output
    damaged = damage_largest_segment(gens.current(index))
    for flags in ([], ["--full"]):
        result = runner.invoke(main, ["check", "--index", str(index), *flags])
        assert result.exit_code == 1, result.output  # a clean exit status, no traceback
        assert isinstance(result.exception, SystemExit)
        assert f"gen-000002/{damaged.name}" in result.output
        assert f"gen-000001/{damaged.name}" in result.output  # the same file, hard-linked
        assert "2 damaged" in result.output


def test_the_next_build_writes_damaged_files_afresh_and_keeps_the_clean_generation(tmp_path):
    seeds, index = index_of_two_generations(tmp_path)
    damaged = damage_largest_segment(gens.current(index))

    summary = build(seeds, index)  # nothing changed in seeds/
    assert summary.generation == "gen-000003" and summary.full  # written afresh
    fresh = gens.current(index).path
    assert all(path.stat().st_nlink == 1 for path in fresh.glob("*.seg"))  # nothing linked
    assert not (fresh / damaged.name).exists() or (fresh / damaged.name).stat().st_ino != (
        damaged.stat().st_ino
    )
    # gen-000001 and gen-000002 shared the damaged file: both deleted, never served again.
    assert [g.name for g in gens.generations(index)] == ["gen-000003"]
    result = CliRunner().invoke(main, ["check", "--index", str(index), "--full"])
    assert result.exit_code == 0, result.output
    client = create_app({"TESTING": True, "INDEX": index}).test_client()
    assert client.get("/api/search?q=ishiba").get_json()["total"] == 7


def test_the_last_verified_generation_is_never_pruned(tmp_path):
    _, index = index_of_two_generations(tmp_path, full=True)
    damage_largest_segment(gens.current(index))  # the live one, gen-000002
    WhooshWriter(index).prune(keep=1)
    assert [g.name for g in gens.generations(index)] == ["gen-000001", "gen-000002"]


def test_a_truncated_toc_is_reported_and_rebuilt_without_a_traceback(tmp_path):
    seeds, index = index_of_two_generations(tmp_path)
    toc = next(gens.current(index).path.glob("*.toc"))
    toc.write_bytes(toc.read_bytes()[:100])
    client = create_app({"TESTING": True, "INDEX": index}).test_client()
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded" and toc.name in str(health["problems"])
    assert client.get("/api/search?q=ishiba").status_code == 503

    result = CliRunner().invoke(
        main, ["index", "--seeds", str(seeds), "--index", str(index), "--if-stale"]
    )
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "up to date" not in result.output and "Built gen-000003 (full)" in result.output
    assert client.get("/api/search?q=ishiba").get_json()["total"] == 7


def test_a_deleted_pointer_keeps_serving_what_is_open_and_health_says_so(tmp_path):
    _, index = index_of_two_generations(tmp_path)
    client = create_app({"TESTING": True, "INDEX": index}).test_client()
    assert client.get("/api/search?q=ishiba").get_json()["generation"] == "gen-000002"
    os.unlink(index / gens.POINTER)

    answer = client.get("/api/search?q=ishiba")
    assert answer.status_code == 200 and answer.get_json()["generation"] == "gen-000002"
    assert client.get("/api/search?q=ishiba&gen=gen-000001").get_json()["total"] == 7
    assert client.get("/").status_code == 200
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded"
    assert any("pointer file CURRENT is missing" in p for p in health["problems"]), health
    # A worker started since (nothing open yet) serves the newest complete generation.
    restarted = create_app({"TESTING": True, "INDEX": index}).test_client()
    assert restarted.get("/api/search?q=ishiba").get_json()["generation"] == "gen-000002"


def test_an_incremental_manifest_copies_the_checksums_of_linked_files(tmp_path):
    """Files hard-linked from the previous generation keep its recorded checksums (not read
    again: hundreds of MB at 100k stories); the files written now are hashed; all are right."""
    from searchsvc.engines.whoosh import integrity

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = tmp_path / "index"
    build(seeds, index)
    first = gens.current(index)
    (seeds / "zz-new-story.txt").write_text(
        "Seoul and Tokyo agree on a ferry line\n\n"
        + "The two governments signed an agreement on a new ferry line on Tuesday. " * 20,
        "utf-8",
    )
    assert build(seeds, index).added == 1
    second = gens.current(index)
    assert second != first
    before, after = integrity.manifest(first), integrity.manifest(second)
    linked = [
        n
        for n in after
        if (first.path / n).exists() and os.path.samefile(first.path / n, second.path / n)
    ]
    written = [n for n in after if n not in linked]
    assert linked and any(n.endswith(".seg") for n in written), (linked, written)
    for name in linked:
        assert after[name] == before[name]
    for name, entry in after.items():
        assert entry["blake2b"] == integrity.checksum(second.path / name), name
    assert integrity.check(second, full=True) == []

    # A linked file changed in place without its time changing is recorded as built, not as
    # changed: the manifest written again over it still names it.
    segment = second.path / next(n for n in linked if n.endswith(".seg"))
    stat = segment.stat()
    with open(segment, "r+b") as fh:
        fh.seek(stat.st_size // 2)
        fh.write(b"\x00" * 64)
    os.utime(segment, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    integrity.write_manifest(second.path, before)
    assert [p.file for p in integrity.check(second, full=True)] == [segment.name]
