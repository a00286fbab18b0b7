"""Hostile and odd article files: each is indexed correctly or skipped with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.indexing.pipeline import build
from searchsvc.search import SearchRequest, search
from searchsvc.stories import all_stories

PARAGRAPH = (
    "The delegation from Kagoshima arrived on Tuesday to discuss fisheries, ferry schedules "
    "and the long-delayed harbour renovation with their counterparts from Busan."
)


def build_and_open(seeds: Path, tmp_path: Path, **kwargs):
    summary = build(seeds, tmp_path / "index", **kwargs)
    return summary, WhooshEngine(tmp_path / "index").live()


def texts(opened) -> str:
    return json.dumps(all_stories(opened), ensure_ascii=False)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "plain.txt").write_text(f"Harbour talks resume\n{PARAGRAPH}\n{PARAGRAPH}\n")
    return folder


def test_script_handlers_and_iframes_never_reach_the_index(seeds, tmp_path):
    (seeds / "evil.html").write_text(
        "<html><head><title>Ferry pact signed</title>"
        "<script>alert('xss-script')</script></head><body><article>"
        "<h1 onclick=\"alert('xss-attr')\">Ferry pact signed</h1>"
        f'<p onmouseover="steal()">{PARAGRAPH}</p>'
        "<p><a href=\"javascript:alert('xss-link')\">Read the full ferry agreement</a> "
        f"{PARAGRAPH}</p>"
        '<iframe src="https://evil.example/">iframe-text</iframe>'
        "<img src=x onerror=\"alert('xss-img')\">"
        "</article></body></html>"
    )
    summary, opened = build_and_open(seeds, tmp_path)
    assert summary.skipped == []
    dump = texts(opened)
    for marker in (
        "xss-script",
        "xss-attr",
        "steal()",
        "javascript:",
        "iframe-text",
        "onerror",
        "<p",
        "<a ",
    ):
        assert marker not in dump
    assert "Ferry pact signed" in dump


def test_deeply_nested_html_is_indexed_or_skipped(seeds, tmp_path):
    depth = 10_000
    (seeds / "deep.html").write_text(
        "<html><body>"
        + "<div>" * depth
        + "<p>Nested story: the Deepword committee met in Sapporo to plan winter festivals, "
        "snow sculptures and a new tram line for visitors from the mainland.</p>"
        + "</div>" * depth
        + "</body></html>"
    )
    summary, opened = build_and_open(seeds, tmp_path)
    reasons = dict(summary.skipped)
    found = search(opened, SearchRequest(q="deepword")).total
    assert found == 1 or "deep.html" in reasons


def test_large_files_are_skipped_with_a_reason(seeds, tmp_path):
    (seeds / "huge.txt").write_text("Huge\n" + (PARAGRAPH + "\n") * 2000)
    summary, _ = build_and_open(seeds, tmp_path, max_bytes=100_000)
    assert "too large" in dict(summary.skipped)["huge.txt"]
    assert summary.stories == 1


def test_binary_with_a_txt_name_is_skipped(seeds, tmp_path):
    (seeds / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    summary, _ = build_and_open(seeds, tmp_path)
    assert "binary" in dict(summary.skipped)["image.txt"]


@pytest.mark.parametrize(
    ("name", "encoding", "text", "query"),
    [
        (
            "sjis.txt",
            "shift_jis",
            "日韓首脳が電話会談\n石破首相と李在明大統領は電話で会談し、関係改善の必要性で一致した。"
            "両国の協力を進めることを確認した。\n",
            "電話会談",
        ),
        (
            "cp1252.txt",
            "cp1252",
            "Café talks in Zürich\nThe société of café owners met in Zürich to discuss a long "
            "agenda of local matters affecting owners and their naïve customers.\n",
            "Zurich",
        ),
        (
            "utf16.txt",
            "utf-16",
            "Ferry schedule talks\nOfficials from Busan and Fukuoka agreed on a new winter ferry "
            "schedule, the Ferryword plan, after months of talks.\n",
            "ferryword",
        ),
    ],
)
def test_other_encodings_are_decoded(seeds, tmp_path, name, encoding, text, query):
    (seeds / name).write_bytes(text.encode(encoding))
    summary, opened = build_and_open(seeds, tmp_path)
    assert summary.skipped == []
    assert search(opened, SearchRequest(q=query)).total == 1


def test_symlink_outside_seeds_is_refused(seeds, tmp_path):
    secret = tmp_path / "passwords.txt"
    secret.write_text(f"Secret\n{PARAGRAPH} Topsecretword.\n")
    (seeds / "link.txt").symlink_to(secret)
    summary, opened = build_and_open(seeds, tmp_path)
    assert "outside" in dict(summary.skipped)["link.txt"]
    assert search(opened, SearchRequest(q="topsecretword")).total == 0


def test_file_that_disappears_mid_build_is_skipped(seeds, tmp_path, monkeypatch):
    import searchsvc.indexing.pipeline as indexer

    doomed = seeds / "doomed.txt"
    doomed.write_text(f"Doomed\n{PARAGRAPH}\n")
    real_seed_files = indexer.seed_files

    def listing_then_delete(folder, skipped, known=None):
        files = real_seed_files(folder, skipped, known)
        doomed.unlink()  # gone between the directory walk and the read, as in a real race
        return files

    monkeypatch.setattr(indexer, "seed_files", listing_then_delete)
    summary, _ = build_and_open(seeds, tmp_path)
    assert "doomed.txt" in dict(summary.skipped)
    assert summary.stories == 1


def test_undecodable_file_names_and_linked_folders_are_reported(seeds, tmp_path):
    import os

    os.close(os.open(os.fsencode(seeds) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))
    (seeds / os.fsdecode(b"caf\xe9.txt")).write_text(f"Cafe\n{PARAGRAPH}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (seeds / "linked").symlink_to(elsewhere, target_is_directory=True)
    summary, _ = build_and_open(seeds, tmp_path)
    reasons = dict(summary.skipped)
    assert reasons["caf\ufffd.txt"] == "file name is not valid UTF-8"
    assert reasons["linked"] == "symlinked folder not followed"
    assert summary.stories == 1
