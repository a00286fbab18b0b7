"""The command line as a user runs it (click's CliRunner on the real index)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from searchsvc.cli import main
from tests.support import SEEDS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_search_prints_readable_results(runner, seed_index):
    result = runner.invoke(main, ["search", "Kananaskis", "--index", str(seed_index)])
    assert result.exit_code == 0
    assert "1 result for 'Kananaskis'" in result.output
    assert "2025-06-18T15:46:00+09:00" in result.output


def test_search_json_is_the_result_value(runner, seed_index):
    result = runner.invoke(main, ["search", "abduct*", "--json", "--index", str(seed_index)])
    data = json.loads(result.output)
    assert data["total"] == 2 and len(data["hits"]) == 2
    assert set(data) >= {"query", "total", "page", "per_page", "took_ms", "hits", "facets"}
    assert all("<mark>" in hit["snippet"] for hit in data["hits"])


def test_malformed_query_exits_2_with_position(runner, seed_index):
    result = runner.invoke(main, ["search", '"shuttle diplomacy', "--index", str(seed_index)])
    assert result.exit_code == 2
    assert "unbalanced quote" in result.output
    assert "Traceback" not in result.output
    assert "^" in result.output


def test_missing_index_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(main, ["search", "x", "--index", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "searchsvc index" in result.output


def test_articles_json_lists_every_story(runner, seed_index):
    result = runner.invoke(main, ["articles", "--json", "--index", str(seed_index)])
    stories = json.loads(result.output)
    assert len(stories) == 7
    assert {"id", "title", "outlet", "published", "category", "also_in", "body"} <= set(stories[0])
    assert sum(len(s["also_in"]) > 1 for s in stories) == 2


def test_extract_json_shows_kept_and_removed(runner):
    result = runner.invoke(main, ["extract", str(SEEDS / "000_20ed3aca2b42eea2.txt"), "--json"])
    (record,) = json.loads(result.output)
    assert isinstance(record["body"], str) and "\n\n" in record["body"]
    assert "SoftBank" not in record["body"]
    assert any("SoftBank" in r["text"] or r["rule"] for r in record["removed"])
    listing = runner.invoke(main, ["extract", str(SEEDS / "004_61a9e09eb2a5f23a.txt"), "--json"])
    assert len(json.loads(listing.output)) == 5


def test_index_command_summary_and_if_stale(runner, seeds_copy, tmp_path):
    index = tmp_path / "index"
    args = ["index", "--seeds", str(seeds_copy), "--index", str(index)]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "7 stories indexed" in first.output and "2 duplicates merged" in first.output
    again = runner.invoke(main, [*args, "--if-stale"])
    assert "up to date" in again.output
    (seeds_copy / "junk.bin").write_bytes(b"\x00\x01\x02" * 100)
    stale = runner.invoke(main, [*args, "--if-stale"])
    assert "skipped:  junk.bin" in stale.output


def test_index_exits_nonzero_when_nothing_indexable(runner, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("")
    result = runner.invoke(main, ["index", "--seeds", str(seeds), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert "nothing could be indexed" in result.output


def test_search_prints_snippets_without_markup_each_passage_indented(runner, seed_index):
    result = runner.invoke(main, ["search", "ishiba", "lee", "--index", str(seed_index)])
    assert result.exit_code == 0
    assert "**" not in result.output and "<mark>" not in result.output
    passages = [line for line in result.output.splitlines() if "Lee" in line]
    assert len(passages) >= 3
    assert all(line.startswith("   ") for line in passages if not line[0].isdigit())


def test_index_summary_counts_in_plain_english(runner, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "one.txt").write_text(
        "A headline\n2025-06-09\n\nOne story with enough words in it to be indexed as a story.\n"
    )
    result = runner.invoke(
        main, ["index", "--seeds", str(seeds), "--index", str(tmp_path / "index")]
    )
    assert "1 story written" in result.output and "1 story indexed" in result.output
    assert "0 duplicates merged" in result.output
