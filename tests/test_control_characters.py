"""Raw control characters in article files never reach the index, pages, JSON, CSV or terminal."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from searchsvc import create_app
from searchsvc.cli import main
from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.extract import extract_bytes
from searchsvc.extract.article import article_to_dict
from searchsvc.indexing.pipeline import build

# Every C0 and C1 control character but tab, newline and carriage return (which HTML, CSV and
# JSON text legitimately hold between lines).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
STORY = (
    "Harbour \x1b[31mRED\x1b[0m alert\x01 for ferries\n\n"
    "The harbour\x07 master said ferries\x9b2J would sail \x1b]0;pwned\x07again on Tuesday after "
    "the storm, officials at the port confirmed to reporters.\n\n"
    "A second paragraph\x0b about harbour pilots and their union, which met on Monday evening "
    "in the town hall\x7f to vote.\n"
)
HTML_STORY = (
    "<html><head><title>Pilots\x1b[2J vote\x02 to strike</title>"
    "<meta property='article:section' content='Ports\x1b[5m'>"
    "<meta property='og:site_name' content='Coast\x85 Gazette'></head><body><article>"
    "<h1>Pilots\x1b[2J vote\x02 to strike</h1>"
    "<p>Harbour pilots voted\x03 on Monday to strike over the new rota, their union said, "
    "stopping ferries between the islands.</p>"
    "<p>The port authority\x1b[0m said talks would resume on Tuesday with freight first.</p>"
    "</article></body></html>"
)


def test_extraction_strips_them_and_keeps_tabs_and_newlines():
    [article] = extract_bytes(STORY.encode("utf-8"), "story.txt", is_html=False)
    assert article.title == "Harbour RED alert for ferries"
    assert article.body[0].startswith("The harbour master said ferries would sail again on")
    assert "town hall to vote" in article.body[1] and "paragraph about" in article.body[1]
    assert not any(CONTROL.search(text) for text in (article.title, *article.body))
    [page] = extract_bytes(HTML_STORY.encode("utf-8"), "story.html", is_html=True)
    assert page.title == "Pilots vote to strike"
    assert (page.category, page.outlet) == ("Ports", "Coast Gazette")


@pytest.fixture(scope="module")
def dirty_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("control")
    seeds = folder / "seeds"
    seeds.mkdir()
    (seeds / "ferries.txt").write_text(STORY, "utf-8")
    (seeds / "pilots.html").write_text(HTML_STORY, "utf-8")
    index = folder / "index"
    assert build(seeds, index).stories == 2
    return index


def test_nothing_stored_in_the_index_holds_one(dirty_index):
    engine = WhooshEngine(dirty_index)
    try:
        stored = [article_to_dict(story) for story in engine.live().stories()]
    finally:
        engine.close()
    assert len(stored) == 2
    for fields in stored:
        for text in strings_in(fields):
            assert not CONTROL.search(text), text


def strings_in(value: object) -> list[str]:
    """Every string inside a stored record (nested lists and dicts included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings_in(item)]
    return []


def test_no_page_api_answer_or_export_holds_one(dirty_index):
    client = create_app({"TESTING": True, "INDEX": dirty_index}).test_client()
    hits = client.get("/api/search?q=harbour").get_json()["hits"]
    assert len(hits) == 2
    paths = ["/search?q=harbour", "/api/search?q=harbour", "/api/search.csv?q=harbour"]
    paths += ["/api/search.jsonl?q=harbour", "/feeds/search.atom?q=harbour", "/"]
    for hit in hits:
        paths += [f"/articles/{hit['id']}", f"/api/articles/{hit['id']}"]
    for path in paths:
        text = client.get(path).text
        assert not CONTROL.search(text), path
        assert "\\u001b" not in text and "\\u0007" not in text and "pwned" not in text, path
        assert "[31m" not in text and "[2J" not in text, path
    article = client.get(f"/api/articles/{hits[0]['id']}").get_json()
    assert not CONTROL.search(json.dumps(article, ensure_ascii=False))


def test_the_cli_prints_none(dirty_index):
    runner = CliRunner()
    for arguments in (
        ["search", "harbour"],
        ["search", "harbour", "--json"],
        ["search", "harbour", "--format", "csv"],
        ["articles"],
    ):
        result = runner.invoke(main, [*arguments, "--index", str(dirty_index)])
        assert result.exit_code == 0, result.output
        assert not CONTROL.search(result.output), arguments


def test_the_cli_never_prints_a_raw_escape_even_from_a_file_name(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(STORY, "utf-8")
    empty = tmp_path / "evil\x1b[31m\x9b2J.txt"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["extract", str(story), str(empty)])
    assert "Harbour RED alert for ferries" in result.stdout
    assert "evil\ufffd[31m\ufffd2J.txt" in result.stderr  # shown, but inert
    assert not CONTROL.search(result.output)
