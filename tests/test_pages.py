"""The HTML pages through Flask's test client: what a reader sees, with no JavaScript at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from searchsvc import create_app
from tests.support import G7_ID, SEEDS
from tests.support.pages import get_page


@pytest.mark.both_engines
def test_home_has_a_get_form_with_choices_filled_from_the_index(client):
    page, _ = get_page(client, "/")
    form = page.all("form")[0]
    assert form["method"] == "get" and form["action"] == "/search"
    assert page.all("label", for_="q") and page.all("input", name="q")
    outlets = {box["value"] for box in page.all("input", type="checkbox", name="outlet")}
    assert {
        "Yomiuri Shimbun",
        "Asahi Shimbun",
        "Jiji Press",
        "The Mainichi",
        "Japan Today",
    } <= outlets
    categories = {box["value"] for box in page.all("input", type="checkbox", name="category")}
    assert {"Politics", "Business"} <= categories
    for name in ("from", "to", "sort"):
        assert page.all("label", for_=name), name
    assert page.all("input", type="date", name="from") and page.all("input", type="date", name="to")


@pytest.mark.both_engines
def test_results_show_count_time_and_a_full_hit(client):
    page, html = get_page(client, "/search?q=Kananaskis")
    assert re.search(r"1 result for “Kananaskis” \(\d+\.\d ms\)", page.text)
    assert f'href="/articles/{G7_ID}"' in html
    assert "<mark>KANANASKIS</mark>" in html
    assert "Yomiuri Shimbun" in page.text
    assert "18 Jun 2025, 15:46" in page.text
    assert page.all("time", datetime="2025-06-18T15:46:00+09:00")
    assert "Politics" in page.text
    assert page.all("input", name="q", value="Kananaskis")


@pytest.mark.both_engines
def test_approximate_dates_are_marked(client):
    page, _ = get_page(client, "/search?outlet=The+Mainichi")
    assert "≈ 5 Jun 2025" in page.text
    assert "(approximate)" in page.text


@pytest.mark.both_engines
def test_facet_links_refine_the_search(client):
    page, _ = get_page(client, "/search?q=Ishiba")
    links = page.links()
    assert "/search?q=Ishiba&outlet=Yomiuri+Shimbun" in links
    assert "/search?q=Ishiba&category=Business" in links
    assert "/search?q=Ishiba&from=2025-06-01&to=2025-06-30" in links
    refined, _ = get_page(client, "/search?q=Ishiba&outlet=Yomiuri+Shimbun")
    assert "3 results for" in refined.text
    assert "Outlet: Yomiuri Shimbun" in refined.text
    assert "/search?q=Ishiba" in refined.links()  # the filter's remove link


@pytest.mark.both_engines
def test_sort_switch_and_pagination(client):
    page, html = get_page(client, "/search?q=Ishiba&per_page=2")
    links = page.links()
    assert "/search?q=Ishiba&per_page=2&sort=newest" in links
    assert "/search?q=Ishiba&per_page=2&sort=oldest" in links
    assert page.all("a", rel="next")[0]["href"] == "/search?q=Ishiba&page=2&per_page=2"
    assert 'aria-current="page"' in html
    second, _ = get_page(client, "/search?q=Ishiba&page=2&per_page=2")
    assert second.all("a", rel="prev")[0]["href"] == "/search?q=Ishiba&per_page=2"
    past, _ = get_page(client, "/search?q=Ishiba&page=9&per_page=2")
    assert "No more results" in past.text and "7 results" in past.text


@pytest.mark.both_engines
def test_did_you_mean_is_a_link(client):
    page, _ = get_page(client, "/search?q=diplomcy")
    assert "/search?q=diplomacy" in page.links()
    assert "Did you mean" in page.text


@pytest.mark.both_engines
def test_empty_state_helps(client):
    page, _ = get_page(client, "/search?q=%22SoftBank+merger%22")
    assert "No stories match" in page.text
    assert "/search?q=SoftBank+OR+merger" in page.links()
    assert "/help" in page.links()


@pytest.mark.both_engines
def test_parser_warnings_are_shown(client):
    page, _ = get_page(client, "/search?q=the+Kananaskis")
    assert "too common a word" in page.text


@pytest.mark.both_engines
def test_malformed_query_is_never_a_dead_end(client):
    page, html = get_page(client, "/search?q=ishiba+%22summit")
    assert "unbalanced quote" in page.text
    assert '<mark class="spot" title="the problem is here">&#34;</mark>' in html
    assert page.all("input", name="q", value='ishiba "summit')
    assert "results for “ishiba summit”" in page.text
    assert "<mark>" in html.replace('<mark class="spot"', "")


def test_query_text_is_escaped_everywhere(client):
    _, html = get_page(client, "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_bad_parameter_on_the_page_is_a_400_page(client):
    page, _ = get_page(client, "/search?q=x&page=zero", status=400)
    assert "must be a whole number" in page.text
    assert page.all("a", href="/")


def test_missing_index_page_says_how_to_build(tmp_path: Path):
    app = create_app({"TESTING": True, "INDEX": tmp_path / "none", "SEEDS": SEEDS})
    page, _ = get_page(app.test_client(), "/search?q=x", status=503)
    assert "searchsvc index" in page.text


@pytest.mark.both_engines
def test_article_page(client):
    page, html = get_page(client, f"/articles/{G7_ID}")
    assert page.all("h1")
    assert "Japan PM Ishiba, South Korea President Lee Agree on Reciprocal Visits" in page.text
    assert "Yomiuri Shimbun" in page.text and "18 Jun 2025, 15:46" in page.text
    assert len(page.all("p")) > 8
    assert "Related stories" in page.text
    related = [h for h in page.links() if h.startswith("/articles/") and h != f"/articles/{G7_ID}"]
    assert 1 <= len(related) <= 5
    similar = [a for a in page.all("a") if (a.get("href") or "").startswith("/search?q=")]
    assert similar, "search for similar link"


@pytest.mark.both_engines
def test_article_with_other_copies_names_them_by_outlet_not_file(client):
    hits = client.get("/api/search?per_page=7").get_json()["hits"]
    merged = next(h for h in hits if h["copies"])
    page, _ = get_page(client, f"/articles/{merged['id']}")
    assert "Also published" in page.text
    assert merged["copies"][0]["outlet"] in page.text
    assert not any(name in page.text for name in merged["source_files"])


@pytest.mark.parametrize("path", ["/articles/nope", "/articles/..%2F..%2Fetc%2Fpasswd", "/nope"])
def test_unknown_pages_are_404_pages(client, path):
    page, _ = get_page(client, path, status=404)
    assert "Start a new search" in page.text


def test_help_page_explains_the_syntax(client):
    page, _ = get_page(client, "/help")
    for example in ('"shuttle diplomacy"', "abduct*", "title:summit", "OR"):
        assert example in page.text


@pytest.mark.parametrize(
    "path", ["/", "/search?q=Ishiba", f"/articles/{G7_ID}", "/help", "/search?q=%22"]
)
def test_pages_load_nothing_from_elsewhere_and_run_no_script(client, path):
    page, html = get_page(client, path)
    assert not page.all("script")
    assert " style=" not in html and "<style" not in html
    for _, attrs in page.tags:
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            assert not re.match(r"(https?:)?//", value), value
    assert page.all("main") and page.all("header") and page.all("footer") and page.all("nav")
    assert page.all("meta", name="viewport")
    assert page.all("link", rel="icon")


def test_static_files_are_served(client):
    assert client.get("/static/style.css").status_code == 200
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.mimetype == "image/svg+xml"


def test_post_to_a_page_is_405(client):
    response = client.post("/search?q=x")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
