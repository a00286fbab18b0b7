"""Atom feeds of a search: valid Atom (read back with feedparser), newest first, stable ids,
and 304 answers to conditional GETs until a rebuild indexes something new."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from searchsvc import create_app
from searchsvc.feeds import entry_id, render_feed
from searchsvc.indexing.pipeline import build
from searchsvc.search import Hit, SearchRequest, SearchResult
from searchsvc.web.app import SECURITY_HEADERS
from searchsvc.web.feeds import FeedLinks
from tests.support import G7_ID

ATOM = "application/atom+xml"


def read_feed(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == ATOM
    feed = feedparser.parse(response.data)
    assert feed.bozo is False, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


@pytest.mark.both_engines
def test_a_search_feed_is_valid_atom_newest_first(client):
    response = client.get("/feeds/search.atom?q=ishiba")
    feed = read_feed(response)
    api = client.get("/api/search?q=ishiba&sort=newest&per_page=20").get_json()
    assert [e.id for e in feed.entries] == [entry_id(h["id"]) for h in api["hits"]]
    assert len(feed.entries) == api["total"] == 7
    dated = [e.updated_parsed for e in feed.entries]
    assert dated == sorted(dated, reverse=True)
    first = feed.entries[0]
    assert first.id == f"tag:searchsvc,2025:story/{G7_ID}"
    assert first.title.startswith("Japan PM Ishiba, South Korea President Lee")
    assert first.updated == "2025-06-18T15:46:00+09:00"
    assert first.link == f"http://127.0.0.1:8000/articles/{G7_ID}"  # settings.bind: no public_url
    assert first.author == "Yomiuri Shimbun"
    assert first.summary_detail.type == "text/html"
    # The summary is a snippet as the page shows it, escaped once more for XML (feed readers
    # may drop the <mark>s).
    assert "Ishiba" in first.summary and "<" not in first.summary
    assert b"&lt;mark&gt;Ishiba&lt;/mark&gt;" in response.data
    assert feed.feed.title == "News search: “ishiba”"
    assert feed.feed.id == "tag:searchsvc,2025:search?q=ishiba"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "http://127.0.0.1:8000/feeds/search.atom?q=ishiba"
    assert links["alternate"] == "http://127.0.0.1:8000/search?q=ishiba&sort=newest"


@pytest.mark.both_engines
def test_a_feed_takes_the_same_filters_as_the_search(client):
    url = "/feeds/search.atom?q=korea&outlet=Yomiuri+Shimbun&from=2025-06-06"
    feed = read_feed(client.get(url))
    api = client.get(
        "/api/search?q=korea&outlet=Yomiuri+Shimbun&from=2025-06-06&sort=newest"
    ).get_json()
    assert [e.id for e in feed.entries] == [entry_id(h["id"]) for h in api["hits"]]
    assert {e.author for e in feed.entries} == {"Yomiuri Shimbun"}
    assert len(feed.entries) == 2
    assert "outlet Yomiuri Shimbun" in feed.feed.title


@pytest.mark.both_engines
def test_entry_ids_are_the_same_on_every_request_and_host(client):
    first = read_feed(client.get("/feeds/search.atom?q=korea"))
    again = read_feed(client.get("/feeds/search.atom?q=korea&page=3&sort=oldest"))
    elsewhere = read_feed(
        client.get("/feeds/search.atom?q=korea", base_url="https://news.example.org")
    )
    ids = [e.id for e in first.entries]
    assert ids == [e.id for e in again.entries] == [e.id for e in elsewhere.entries]
    assert first.feed.id == again.feed.id == elsewhere.feed.id


@pytest.mark.both_engines
def test_no_match_is_an_empty_valid_feed(client):
    feed = read_feed(client.get("/feeds/search.atom?q=SoftBank"))
    assert feed.entries == []
    assert feed.feed.updated  # the build time


def test_a_bad_query_is_a_400_not_a_feed(client):
    response = client.get('/feeds/search.atom?q="unclosed')
    assert response.status_code == 400
    assert response.mimetype != ATOM


@pytest.mark.both_engines
def test_conditional_gets_answer_304_with_the_security_headers(client):
    response = client.get("/feeds/search.atom?q=ishiba")
    etag = response.headers["ETag"]
    last_modified = response.headers["Last-Modified"]
    assert etag.startswith('"gen-') and response.headers["Cache-Control"] == "no-cache"
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        again = client.get("/feeds/search.atom?q=ishiba", headers=headers)
        assert again.status_code == 304, headers
        assert again.data == b""
        assert again.headers["ETag"] == etag
        for name, value in SECURITY_HEADERS.items():
            assert again.headers[name] == value
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_an_etag_belongs_to_one_search(client):
    ishiba = client.get("/feeds/search.atom?q=ishiba").headers["ETag"]
    korea = client.get("/feeds/search.atom?q=korea").headers["ETag"]
    assert ishiba != korea
    other = client.get("/feeds/search.atom?q=korea", headers={"If-None-Match": ishiba})
    assert other.status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    mixed = client.get(
        "/feeds/search.atom?q=korea",
        headers={"If-None-Match": ishiba, "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    )
    assert mixed.status_code == 200


def test_a_rebuild_with_a_new_story_ends_the_304s(seed_index: Path, seeds_copy: Path, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    app = create_app({"TESTING": True, "INDEX": index, "SEEDS": seeds_copy})
    client = app.test_client()
    before = client.get("/feeds/search.atom?q=ishiba")
    etag, last_modified = before.headers["ETag"], before.headers["Last-Modified"]
    (seeds_copy / "seoul-visit.txt").write_text(
        "Ishiba visits Seoul for talks\n2025-06-20\n\n"
        "Prime Minister Shigeru Ishiba arrived in Seoul on Friday for talks with President "
        "Lee Jae-myung about trade.\n\nThe two leaders discussed supply chains.\n",
        "utf-8",
    )
    build(seeds_copy, index)
    after = client.get("/feeds/search.atom?q=ishiba", headers={"If-None-Match": etag})
    feed = read_feed(after)
    assert after.headers["ETag"] != etag
    assert feed.entries[0].title == "Ishiba visits Seoul for talks"
    assert feed.entries[0].updated == "2025-06-20T00:00:00Z"
    # The stories that were there keep their ids.
    old_ids = [e.id for e in feedparser.parse(before.data).entries]
    assert [e.id for e in feed.entries[1:]] == old_ids
    # A reader holding only the old date also gets the new feed (the build is newer) ...
    since = client.get("/feeds/search.atom?q=ishiba", headers={"If-Modified-Since": last_modified})
    assert since.status_code in (200, 304)
    if since.status_code == 304:
        # ... unless both builds fell within the same second.
        assert since.headers["ETag"] == after.headers["ETag"]
    # ... and the new validators give 304s again.
    assert (
        client.get(
            "/feeds/search.atom?q=ishiba", headers={"If-None-Match": after.headers["ETag"]}
        ).status_code
        == 304
    )


def test_the_results_page_links_its_feed(client):
    html = client.get("/search?q=korea&outlet=Yomiuri+Shimbun&page=2&sort=oldest").get_data(
        as_text=True
    )
    feed_url = "/feeds/search.atom?q=korea&amp;outlet=Yomiuri+Shimbun"
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert f'href="{feed_url}"' in html
    assert ">Atom feed</a>" in html
    assert read_feed(client.get(feed_url.replace("&amp;", "&"))).entries


def test_a_query_with_a_problem_links_the_feed_of_its_literal_words(client):
    html = client.get('/search?q="unclosed+korea').get_data(as_text=True)
    assert 'href="/feeds/search.atom?q=unclosed+korea"' in html


def test_control_characters_never_break_the_xml():
    hit = Hit(
        id="abc",
        title="Bell\x07 in the title",
        outlet="Wire\x0b",
        published=None,
        published_approximate=False,
        category=None,
        score=None,
        snippet="a\x00b &amp; <mark>c</mark>",
        source_files=[],
    )
    result = SearchResult(
        query={"text": "c", "parsed": "c", "warnings": []},
        total=1,
        page=1,
        per_page=20,
        took_ms=0.0,
        hits=[hit],
        facets={},
    )
    built = datetime(2025, 6, 20, 9, 30, tzinfo=UTC)
    links = FeedLinks("http://x/feed", "http://x/search", lambda story_id: f"http://x/{story_id}")
    feed = feedparser.parse(render_feed(result, SearchRequest(q="c"), links, built))
    assert feed.bozo is False
    entry = feed.entries[0]
    assert entry.title == "Bell in the title" and entry.author == "Wire"
    assert entry.updated == "2025-06-20T09:30:00Z"  # undated: the build time
    assert "published" not in entry


def test_the_openapi_document_describes_the_feed(client):
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/feeds/search.atom"]["get"]
    assert {"200", "304", "400"} <= set(operation["responses"])
    assert ATOM in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "outlet", "category", "from", "to"}


@pytest.mark.browser
def test_a_browser_finds_the_feed_and_gunicorn_answers_304(page, live_server):
    page.goto(live_server.base_url + "/search?q=Ishiba")
    head_link = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    href = head_link.get_attribute("href")
    assert href == "/feeds/search.atom?q=Ishiba"
    visible = page.get_by_role("link", name="Atom feed")
    assert visible.is_visible() and visible.get_attribute("href") == href
    reply = page.request.get(live_server.base_url + href)
    assert reply.status == 200 and reply.headers["content-type"].startswith(ATOM)
    feed = feedparser.parse(reply.body())
    assert feed.bozo is False and len(feed.entries) == 7
    again = page.request.get(
        live_server.base_url + href, headers={"If-None-Match": reply.headers["etag"]}
    )
    assert again.status == 304
    assert again.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
