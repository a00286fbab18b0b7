"""Where a story comes from: its address at the outlet ("Read at … ↗"), the other copies as
outlet · date, and never an internal file name on a page."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from flask import Flask

from searchsvc import create_app
from searchsvc.extract import extract_bytes
from searchsvc.indexing.pipeline import build
from tests.support import SEEDS

ADDRESS = "https://news.example.com/2025/06/10/ishiba-lee-call"
PARAGRAPH = (
    "Prime Minister Shigeru Ishiba and President Lee Jae-myung spoke by telephone for the second "
    "time on Tuesday, agreeing that the two governments should keep their new momentum going "
    "and prepare a meeting on the sidelines of the summit in Canada later this month."
)
PAGE = f"""<!doctype html><html><head>
<title>Ishiba and Lee talk again | Example Times</title>
<link rel="canonical" href="{ADDRESS}">
<meta property="og:url" content="https://news.example.com/amp/ishiba-lee-call">
<meta property="og:site_name" content="Example Times">
<meta property="og:title" content="Ishiba and Lee talk again">
<meta property="article:published_time" content="2025-06-10T14:30:00+09:00">
</head><body><article><h1>Ishiba and Lee talk again</h1>
<p>{PARAGRAPH}</p><p>{PARAGRAPH.replace("Tuesday", "the phone")}</p>
<p>Officials said the call lasted about twenty minutes and covered North Korea and trade.</p>
</article></body></html>"""


def html_article(page: str):
    return extract_bytes(page.encode("utf-8"), "page.html", is_html=True)[0]


def test_the_canonical_link_is_the_story_address():
    assert html_article(PAGE).url == ADDRESS


def test_og_url_is_used_when_there_is_no_canonical_link():
    page = PAGE.replace(f'<link rel="canonical" href="{ADDRESS}">', "")
    assert html_article(page).url == "https://news.example.com/amp/ishiba-lee-call"


def test_a_relative_or_scripted_address_is_not_guessed_at():
    page = PAGE.replace(ADDRESS, "/2025/06/10/ishiba-lee-call").replace(
        "https://news.example.com/amp/ishiba-lee-call", "javascript:alert(1)"
    )
    assert html_article(page).url is None


def test_a_plain_text_file_keeps_its_stated_address_out_of_the_body():
    text = f"Ishiba and Lee talk again\nSource: {ADDRESS}\n\n{PARAGRAPH}\n"
    article = extract_bytes(text.encode(), "note.txt", is_html=False)[0]
    assert article.url == ADDRESS
    assert ADDRESS not in article.text
    assert article.title == "Ishiba and Lee talk again"


@pytest.fixture(scope="module")
def provenance_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The seeds plus an HTML page stating its address and a plain-text reprint of it."""
    folder = tmp_path_factory.mktemp("provenance")
    seeds = folder / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "100_example.html").write_text(PAGE, encoding="utf-8")
    reprint = f"Ishiba, Lee hold second call\n2025-06-11\n\n{PARAGRAPH}\n"
    (seeds / "101_reprint.txt").write_text(reprint, encoding="utf-8")
    build(seeds, folder / "index")
    return create_app({"TESTING": True, "INDEX": folder / "index", "SEEDS": seeds})


@pytest.fixture
def provenance_client(provenance_app: Flask):
    return provenance_app.test_client()


def example_hit(client) -> dict:
    hits = client.get("/api/search?q=ishiba+lee+talk+again").get_json()["hits"]
    return next(h for h in hits if h["outlet"] == "Example Times")


def test_hits_and_articles_carry_the_source_address(provenance_client):
    hit = example_hit(provenance_client)
    assert hit["source_url"] == ADDRESS
    assert hit["url"] == f"/articles/{hit['id']}"  # `url` stays the story's page here
    story = provenance_client.get(f"/api/articles/{hit['id']}").get_json()
    assert story["source_url"] == ADDRESS
    assert story["url"] == f"/articles/{hit['id']}"


def test_the_page_offers_read_at_the_outlet(provenance_client):
    hit = example_hit(provenance_client)
    for path in ("/search?q=ishiba+lee+talk+again", f"/articles/{hit['id']}"):
        html = provenance_client.get(path).get_data(as_text=True)
        assert f'href="{ADDRESS}"' in html
        assert "Read at Example Times" in html


def test_a_reprint_is_listed_as_outlet_and_date_never_as_a_file(provenance_client):
    hit = example_hit(provenance_client)
    assert hit["source_files"] == ["100_example.html", "101_reprint.txt"]
    assert [(c["published"], c["title"]) for c in hit["copies"]] == [
        ("2025-06-11", "Ishiba, Lee hold second call")
    ]
    html = provenance_client.get(f"/articles/{hit['id']}").get_data(as_text=True)
    assert "Also published" in html
    assert "11 Jun 2025" in html and "Ishiba, Lee hold second call" in html
    assert "101_reprint" not in html and "100_example" not in html


@pytest.mark.parametrize("path", ["/search", "/search?q=ishiba", "/search?q=phone+talks"])
def test_no_page_shows_a_file_name(client, path):
    html = client.get(path).get_data(as_text=True)
    assert ".txt" not in html
    hits = client.get("/api" + path).get_json()["hits"]
    merged = [h for h in hits if len(h["source_files"]) > 1]
    assert all(h["copies"] for h in merged)
    assert all("also_in" not in h for h in hits)


def test_the_asahi_story_names_its_listing_copy_by_outlet_and_date(client):
    hits = client.get("/api/search?q=phone+talks+asahi").get_json()["hits"]
    asahi = next(h for h in hits if h["outlet"] == "Asahi Shimbun")
    html = client.get(f"/articles/{asahi['id']}").get_data(as_text=True)
    assert "Also published" in html
    assert "Asahi Shimbun · ≈ 10 Jun 2025" in html


def test_exports_and_feeds_carry_the_source_address(provenance_client):
    rows = list(
        csv.DictReader(
            io.StringIO(provenance_client.get("/api/search.csv?q=ishiba").get_data(as_text=True))
        )
    )
    example = next(r for r in rows if r["outlet"] == "Example Times")
    assert example["source_url"] == ADDRESS
    assert example["source_files"] == "100_example.html; 101_reprint.txt"
    assert {r["published_approximate"] for r in rows} <= {"true", "false"}
    lines = provenance_client.get("/api/search.jsonl?q=ishiba").get_data(as_text=True)
    assert f'"source_url": "{ADDRESS}"' in lines
    feed = provenance_client.get("/feeds/search.atom?q=ishiba").get_data(as_text=True)
    assert f'<link rel="related" href="{ADDRESS}" type="text/html"' in feed
