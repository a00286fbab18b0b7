"""The JSON API through Flask's test client on the real seed index, checked against its OpenAPI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from searchsvc import create_app
from tests.support import G7_ID, SEEDS
from tests.support.openapi import conforms

PROBLEM = "application/problem+json"


@pytest.mark.both_engines
def test_searching_kananaskis_returns_the_g7_story(client, spec):
    response = client.get("/api/search?q=Kananaskis")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = conforms(spec, "/api/search", response)
    assert data["total"] == 1
    hit = data["hits"][0]
    assert hit["outlet"] == "Yomiuri Shimbun"
    assert hit["published"] == "2025-06-18T15:46:00+09:00"
    assert hit["url"] == f"/articles/{G7_ID}"
    assert "<mark>" in hit["snippet"]


@pytest.mark.both_engines
def test_phrase_and_name_find_the_japan_today_story(client, spec):
    for q in ('"shuttle diplomacy"', "Hayashi"):
        data = conforms(spec, "/api/search", client.get("/api/search", query_string={"q": q}))
        assert [h["outlet"] for h in data["hits"]] == ["Japan Today"], q


@pytest.mark.both_engines
def test_prefix_search_and_no_softbank(client, spec):
    data = conforms(spec, "/api/search", client.get("/api/search?q=abduct*"))
    assert data["total"] == 2
    data = conforms(spec, "/api/search", client.get("/api/search?q=SoftBank"))
    assert data["total"] == 0 and data["hits"] == []


@pytest.mark.both_engines
def test_misspelling_gets_a_suggestion(client, spec):
    data = conforms(spec, "/api/search", client.get("/api/search?q=diplomcy"))
    assert data["suggestion"] == "diplomacy"


@pytest.mark.both_engines
def test_empty_query_browses_every_story_with_facets(client, spec):
    data = conforms(spec, "/api/search", client.get("/api/search"))
    assert data["total"] == 7 and data["mode"] == "browse"
    outlets = {f["value"]: f["count"] for f in data["facets"]["outlet"]}
    assert sum(outlets.values()) == 7
    assert data["facets"]["month"] == [{"value": "2025-06", "count": 7}]


@pytest.mark.both_engines
def test_filters_and_sort(client, spec):
    data = conforms(
        spec, "/api/search", client.get("/api/search?outlet=Yomiuri+Shimbun&sort=newest")
    )
    assert data["total"] == 3
    assert {h["outlet"] for h in data["hits"]} == {"Yomiuri Shimbun"}
    dates = [h["published"][:10] for h in data["hits"]]
    assert dates == sorted(dates, reverse=True)
    data = conforms(spec, "/api/search", client.get("/api/search?from=2025-06-10&to=2025-06-30"))
    assert data["total"] == 2
    assert all(h["published"][:10] >= "2025-06-10" for h in data["hits"])


@pytest.mark.both_engines
def test_paging_has_link_headers(client, spec):
    first = client.get("/api/search?per_page=2")
    data = conforms(spec, "/api/search", first)
    assert data["pages"] == 4 and len(data["hits"]) == 2
    assert first.headers["Link"] == '</api/search?page=2&per_page=2>; rel="next"'
    middle = client.get("/api/search?per_page=2&page=2")
    assert 'rel="prev"' in middle.headers["Link"] and 'rel="next"' in middle.headers["Link"]
    last = client.get("/api/search?per_page=2&page=4")
    assert len(last.get_json()["hits"]) == 1 and 'rel="next"' not in last.headers["Link"]
    ids = {
        h["id"]
        for p in (1, 2, 3, 4)
        for h in client.get(f"/api/search?per_page=2&page={p}").get_json()["hits"]
    }
    assert len(ids) == 7


@pytest.mark.both_engines
def test_page_past_the_end_is_empty_with_the_true_total(client, spec):
    response = client.get("/api/search?q=Ishiba&page=50")
    data = conforms(spec, "/api/search", response)
    assert response.status_code == 200
    assert data["hits"] == [] and data["total"] == 7


@pytest.mark.both_engines
def test_malformed_query_is_a_400_problem_with_position(client, spec):
    response = client.get("/api/search", query_string={"q": 'ishiba "summit'})
    assert response.status_code == 400
    assert response.mimetype == PROBLEM
    problem = conforms(spec, "/api/search", response)
    assert problem["code"] == "query_syntax"
    assert problem["position"] == 7
    assert "quote" in problem["detail"]


@pytest.mark.parametrize(
    ("query_string", "parameter"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=" + "9" * 5000, "page"),
        ("page=99999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("per_page=-3", "per_page"),
        ("sort=random", "sort"),
        ("from=yesterday", "from"),
        ("from=2025-02-30", "from"),
        ("to=2025-13-01", "to"),
        ("from=2025-06-20&to=2025-06-01", "from"),
        ("q=" + "a" * 501, "q"),
        ("q=ishiba%00", "q"),
        ("outlet=Asahi%00", "outlet"),
        ("category=" + "x" * 300, "category"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, spec, query_string, parameter):
    response = client.get(f"/api/search?{query_string}")
    assert response.status_code == 400, response.data[:300]
    problem = conforms(spec, "/api/search", response)
    assert problem["parameter"] == parameter
    assert problem["code"] in ("invalid_parameter", "query_too_long")


@pytest.mark.both_engines
@pytest.mark.parametrize(
    "query_string",
    [
        "q=%ff%fe",
        "q=%E0%A4%A",
        "q=%",
        "q=((((((((((",
        "q=" + "%22" * 101,
        "q=*",
        "q=title:",
        "q=-",
        "q=a" + "%20OR%20a" * 120,
        "q=%F0%9F%98%80",
        "q=\u202e",
        "outlet=%ff",
        "page=%00",
        "per_page=%20",
        "page=１",
    ],
)
def test_no_input_yields_a_500(client, query_string):
    response = client.get(f"/api/search?{query_string}")
    assert response.status_code in (200, 400), response.data[:300]
    assert response.is_json


# --- /api/articles/<id> ------------------------------------------------------------------------


@pytest.mark.both_engines
def test_article_has_body_paragraphs_and_related_stories(client, spec):
    response = client.get(f"/api/articles/{G7_ID}")
    data = conforms(spec, "/api/articles/{id}", response)
    assert data["id"] == G7_ID
    assert data["outlet"] == "Yomiuri Shimbun"
    assert data["body"][0].startswith("KANANASKIS")
    assert len(data["body"]) > 3
    assert 1 <= len(data["related"]) <= 5
    assert G7_ID not in {r["id"] for r in data["related"]}
    assert all(r["url"] == f"/articles/{r['id']}" for r in data["related"])


@pytest.mark.both_engines
def test_approximate_dates_are_flagged(client):
    stories = client.get("/api/search?per_page=7").get_json()["hits"]
    mainichi = [s for s in stories if s["outlet"] == "The Mainichi"]
    assert mainichi and mainichi[0]["published_approximate"] is True


@pytest.mark.both_engines
@pytest.mark.parametrize(
    "path",
    [
        "/api/articles/0000000000000000",
        "/api/articles/..%2F..%2Fetc%2Fpasswd",
        "/api/articles/../../etc/passwd",
        "/api/articles/%2e%2e",
        "/api/articles/a%00b",
        "/api/articles/" + "f" * 500,
    ],
)
def test_unknown_or_hostile_article_ids_are_404(client, spec, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM
    if response.request.path.startswith("/api/articles/"):
        assert conforms(spec, "/api/articles/{id}", response)["code"] == "not_found"


# --- /api/health, /api/openapi.json --------------------------------------------------------------


@pytest.mark.both_engines
def test_health_reports_generation_count_and_freshness(client, spec):
    data = conforms(spec, "/api/health", client.get("/api/health"))
    assert data["status"] == "ok"
    assert data["generation"].startswith("gen-")
    assert data["doc_count"] == 7
    assert data["built_at"]
    assert data["seeds"]["stale"] is False and data["seeds"]["changed"] == []


def test_health_notices_seed_files_newer_than_the_index(seed_index, seeds_copy, tmp_path, spec):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    app = create_app({"TESTING": True, "INDEX": index, "SEEDS": seeds_copy})
    (seeds_copy / "new-story.txt").write_text("Fresh story\n\nSomething new happened today.\n")
    data = conforms(spec, "/api/health", app.test_client().get("/api/health"))
    assert data["seeds"]["stale"] is True
    assert "new-story.txt" in data["seeds"]["changed"]


def test_openapi_document_is_served_and_describes_every_endpoint(client, spec):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["openapi"].startswith("3.1")
    assert set(data["paths"]) == {
        "/api/search",
        "/api/articles/{id}",
        "/api/health",
        "/api/openapi.json",
        "/api/timeline",
        "/api/search.csv",
        "/api/search.jsonl",
        "/feeds/search.atom",
    }
    assert data == spec


# --- no index, methods, headers ------------------------------------------------------------------


def test_missing_index_is_a_503_problem_saying_how_to_build(tmp_path: Path, spec, caplog):
    with caplog.at_level("WARNING", logger="searchsvc"):
        app = create_app({"TESTING": True, "INDEX": tmp_path / "nothing", "SEEDS": SEEDS})
    assert any("no index yet" in r.getMessage() for r in caplog.records)
    client = app.test_client()
    for path, spec_path in [
        ("/api/search?q=ishiba", "/api/search"),
        ("/api/health", "/api/health"),
        (f"/api/articles/{G7_ID}", "/api/articles/{id}"),
    ]:
        response = client.get(path)
        assert response.status_code == 503
        problem = conforms(spec, spec_path, response)
        assert problem["code"] == "index_missing"
        assert "searchsvc index" in problem["detail"]


def test_index_built_after_startup_is_picked_up(tmp_path: Path, seed_index):
    index = tmp_path / "index"
    app = create_app({"TESTING": True, "INDEX": index, "SEEDS": SEEDS})
    assert app.test_client().get("/api/health").status_code == 503
    shutil.copytree(seed_index, index)
    assert app.test_client().get("/api/search?q=Kananaskis").get_json()["total"] == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client, spec, method):
    response = client.open("/api/search?q=ishiba", method=method)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert conforms(spec, "/api/search", response)["code"] == "method_not_allowed"


@pytest.mark.both_engines
def test_head_is_allowed(client):
    response = client.head("/api/search?q=ishiba")
    assert response.status_code == 200 and response.data == b""


@pytest.mark.parametrize(
    "path", ["/api/search?q=x", "/api/health", "/api/nope", "/", "/static/style.css"]
)
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert "default-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_unknown_api_path_is_a_404_problem(client):
    response = client.get("/api/nope")
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_health_lists_at_most_twenty_seed_files_with_exact_counts(
    seed_index, seeds_copy, tmp_path, spec
):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    app = create_app({"TESTING": True, "INDEX": index, "SEEDS": seeds_copy})
    for n in range(25):
        (seeds_copy / f"new-story-{n:02}.txt").write_text(f"Story {n}\n\nSomething new.\n")
    data = conforms(spec, "/api/health", app.test_client().get("/api/health"))
    assert data["seeds"]["stale"] is True
    assert len(data["seeds"]["changed"]) == 20 and data["seeds"]["changed_count"] == 25
    assert data["seeds"]["removed"] == [] and data["seeds"]["removed_count"] == 0
    (seeds_copy / "new-story-99.txt").write_text("Story 99\n\nSomething newer.\n")
    again = app.test_client().get("/api/health").get_json()
    assert again["seeds"]["changed_count"] == 26  # a new file is seen at once


@pytest.mark.parametrize(
    "path", ["/api/search?q=x", "/search?q=x", "/", "/api/health", "/static/style.css"]
)
@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
def test_options_is_refused_like_other_methods_and_never_advertised(client, path, method):
    reply = client.open(path, method=method)
    assert reply.status_code == 405
    assert reply.headers["Allow"] == "GET, HEAD"
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]


@pytest.mark.parametrize("page", ["١٢", "１２", "²"])
def test_page_numbers_in_other_scripts_are_refused(client, page):
    for path in ("/api/search", "/search"):
        reply = client.get(path, query_string={"q": "korea", "page": page})
        assert reply.status_code == 400
    assert (
        client.get("/api/search", query_string={"q": "korea", "page": page}).get_json()["parameter"]
        == "page"
    )


def test_static_file_with_a_trailing_slash_is_not_found(client):
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/style.css/").status_code == 404


@pytest.mark.both_engines
def test_health_names_the_seeds_folder_without_its_absolute_path(client):
    seeds = client.get("/api/health").get_json()["seeds"]
    assert seeds["path"] == "seeds"
    assert str(SEEDS.parent) not in json.dumps(seeds)


@pytest.mark.both_engines
@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        ("/", "no-cache"),
        ("/search?q=korea", "no-cache"),
        ("/api/search?q=korea", "no-cache"),
        ("/api/timeline?q=korea", "no-cache"),
        ("/api/search?q=(", "no-cache"),
        ("/api/health", "no-store"),
        ("/api/search.csv?q=korea", "no-store"),
        ("/api/search.jsonl?q=korea", "no-store"),
        ("/feeds/search.atom?q=korea", "no-cache"),
    ],
)
def test_every_answer_says_how_it_may_be_cached(client, path, cache_control):
    assert client.get(path).headers["Cache-Control"] == cache_control
