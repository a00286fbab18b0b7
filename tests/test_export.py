"""Export: every hit of a search as CSV or JSON Lines, from the API and from the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from jsonschema import Draft202012Validator

from searchsvc import create_app
from searchsvc import export as export_module
from searchsvc.cli import main
from searchsvc.config import load_settings
from searchsvc.export import COLUMNS, FORMULA_STARTS, neutralise_formula
from searchsvc.indexing.pipeline import build
from searchsvc.web.openapi import openapi_document
from tests.support import G7_ID, SEEDS


@pytest.mark.both_engines
def test_csv_lists_every_hit_not_one_page_in_result_order(client):
    response = client.get("/api/search.csv?q=korea&per_page=2&page=3")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="search.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    api = client.get("/api/search?q=korea&per_page=100").get_json()
    assert int(response.headers["X-Total-Count"]) == api["total"] == len(rows) == 7
    assert [r["id"] for r in rows] == [h["id"] for h in api["hits"]]
    assert [int(r["rank"]) for r in rows] == list(range(1, 8))
    assert tuple(rows[0]) == COLUMNS
    assert response.headers["X-Export-Truncated"] == "false"


@pytest.mark.both_engines
def test_csv_cells_are_plain_text_with_relative_urls(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/api/search.csv?q=Kananaskis").text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["url"] == f"/articles/{G7_ID}"  # relative: no public_url is configured
    assert (
        row["outlet"] == "Yomiuri Shimbun" and row["published_approximate"] == "false"
    )  # spreadsheet booleans
    assert "<mark>" not in row["snippet"] and "Kananaskis".lower() in row["snippet"].lower()
    assert row["matched_body"].lower() == "kananaskis"


@pytest.mark.both_engines
def test_jsonl_has_one_object_per_hit_with_filters_applied(client):
    response = client.get("/api/search.jsonl?q=ishiba&outlet=Yomiuri+Shimbun&sort=newest")
    assert response.mimetype == "application/x-ndjson"
    *rows, end = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert end == {"_export": {"complete": True, "rows": 3, "total": 3, "reason": None}}
    assert len(rows) == 3 and {r["outlet"] for r in rows} == {"Yomiuri Shimbun"}
    assert rows[0]["id"] == G7_ID  # newest first
    assert set(rows[0]) == set(COLUMNS)
    document = openapi_document()
    schema = {"$ref": "#/components/schemas/ExportRow", "components": document["components"]}
    for row in rows:
        Draft202012Validator(schema).validate(row)


def test_an_export_stops_at_the_documented_limit_and_says_so(seed_index):
    app = create_app({"TESTING": True, "INDEX": seed_index, "SEEDS": SEEDS, "EXPORT_MAX_HITS": 3})
    response = app.test_client().get("/api/search.jsonl")
    *rows, end = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(rows) == 3
    assert end == {"_export": {"complete": False, "rows": 3, "total": 7, "reason": "row limit"}}
    assert response.headers["X-Total-Count"] == "7"
    assert response.headers["X-Export-Limit"] == "3"
    assert response.headers["X-Export-Rows"] == "3"
    assert response.headers["X-Export-Truncated"] == "true"
    assert response.headers["X-Export-Truncated-Reason"] == "row limit"
    csv_export = app.test_client().get("/api/search.csv")
    assert len(list(csv.DictReader(io.StringIO(csv_export.text)))) == 3
    assert csv_export.headers["X-Export-Truncated-Reason"] == "row limit"


@pytest.fixture
def small_pages(monkeypatch):
    """Exports collect 2 hits per search, so the 7 seed stories take 4 searches."""
    monkeypatch.setattr(export_module, "PAGE_SIZE", 2)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_out_of_time_is_cut_between_pages_and_flagged(seed_index, small_pages, fmt):
    app = create_app(
        {"TESTING": True, "INDEX": seed_index, "SEEDS": SEEDS, "EXPORT_TIME_LIMIT_S": 1e-6}
    )
    response = app.test_client().get(f"/api/search.{fmt}?q=korea")
    assert response.status_code == 200
    assert response.headers["X-Export-Truncated"] == "true"
    assert response.headers["X-Export-Truncated-Reason"] == "time limit"
    assert response.headers["X-Total-Count"] == "7"
    assert response.headers["X-Export-Rows"] == "2"  # the first search's page, then time is up
    assert response.headers["Content-Length"] == str(len(response.data))
    if fmt == "jsonl":
        end = json.loads(response.text.splitlines()[-1])
        assert end == {
            "_export": {"complete": False, "rows": 2, "total": 7, "reason": "time limit"}
        }
    else:
        assert len(list(csv.DictReader(io.StringIO(response.text)))) == 2


def test_an_export_within_its_time_is_complete(client, small_pages):
    response = client.get("/api/search.jsonl?q=korea")
    assert response.headers["X-Export-Truncated"] == "false"
    assert "X-Export-Truncated-Reason" not in response.headers
    assert json.loads(response.text.splitlines()[-1])["_export"]["complete"] is True
    assert len(response.text.splitlines()) == 7 + 1


def test_the_time_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("SEARCHSVC_EXPORT_TIME_LIMIT_S", "2.5")
    assert load_settings().export_time_limit_s == 2.5
    monkeypatch.delenv("SEARCHSVC_EXPORT_TIME_LIMIT_S")
    assert load_settings().export_time_limit_s == 10.0


def test_cli_export_out_of_time_says_so(seed_index, small_pages, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("SEARCHSVC_EXPORT_TIME_LIMIT_S", "0.000001")
    result = CliRunner().invoke(
        main, ["search", "korea", "--index", str(seed_index), "--format", "jsonl"]
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and json.loads(lines[-1])["_export"]["reason"] == "time limit"
    assert "export cut by the time limit: 2 of 7 matches written" in result.stderr


def test_a_bad_query_is_a_problem_not_an_empty_file(client):
    response = client.get('/api/search.csv?q="unclosed')
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


@pytest.mark.both_engines
def test_no_match_gives_just_the_header(client):
    text = client.get("/api/search.csv?q=SoftBank").get_data(as_text=True)
    assert text.strip() == ",".join(COLUMNS)


def test_results_page_links_to_both_exports_without_paging(client):
    html = client.get("/search?q=korea&page=2&per_page=2").get_data(as_text=True)
    assert 'href="/api/search.csv?q=korea"' in html
    assert 'href="/api/search.jsonl?q=korea"' in html


def test_cli_prints_every_hit_as_csv_and_jsonl(seed_index):
    from click.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(
        main, ["search", "korea", "--index", str(seed_index), "--per-page", "2", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 7 and rows[0]["url"].startswith("/articles/")
    result = runner.invoke(
        main, ["search", "Kananaskis", "--index", str(seed_index), "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    *rows, end = [json.loads(line) for line in result.output.splitlines()]
    assert [row["id"] for row in rows] == [G7_ID] and end["_export"]["complete"] is True


FORMULA_ARTICLE = """<!doctype html>
<html><head><meta charset="utf-8">
<title>=HYPERLINK("http://evil.example/x","click") Harbour pilots strike</title>
<meta property="article:section" content='+cmd|" /C calc"!A0'>
<meta property="og:site_name" content="@Evil Gazette">
</head><body><article>
<h1>=HYPERLINK("http://evil.example/x","click") Harbour pilots strike</h1>
<p>=SUM(A1:A9) harbour pilots walked out on Monday over the new rota, stopping ferries between
the islands for most of the day.</p>
<p>The port authority said talks with the pilots' union would resume on Tuesday, and that
freight would be given priority once the ferries sail again.</p>
</article></body></html>
"""


@pytest.fixture
def formula_index(seeds_copy, tmp_path):
    """The seeds plus one article whose title, section, outlet and first words are formulas."""
    (seeds_copy / "900_formula.html").write_text(FORMULA_ARTICLE, "utf-8")
    index = tmp_path / "index"
    assert build(seeds_copy, index).stories == 8
    return index


def test_formula_cells_are_neutralised_in_the_csv_export(formula_index):
    app = create_app({"TESTING": True, "INDEX": formula_index, "SEEDS": SEEDS})
    client = app.test_client()
    [row] = csv.DictReader(io.StringIO(client.get("/api/search.csv?q=title:pilots").text))
    assert row["title"] == '\'=HYPERLINK("http://evil.example/x","click") Harbour pilots strike'
    assert row["category"] == '\'+cmd|" /C calc"!A0'
    assert row["outlet"] == "'@Evil Gazette"
    assert row["snippet"].startswith("'=SUM(A1:A9)")
    assert all(not cell.startswith(FORMULA_STARTS) for cell in row.values())
    # JSON is not read by spreadsheets: the values stay exactly as written.
    jsonl = client.get("/api/search.jsonl?q=title:pilots").text
    [jsonl_row, _] = [json.loads(line) for line in jsonl.splitlines()]
    assert jsonl_row["title"].startswith("=HYPERLINK") and jsonl_row["outlet"] == "@Evil Gazette"


def test_formula_cells_are_neutralised_in_the_cli_export(formula_index):
    from click.testing import CliRunner

    result = CliRunner().invoke(
        main, ["search", "title:pilots", "--index", str(formula_index), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    [row] = csv.DictReader(io.StringIO(result.stdout))
    assert row["title"].startswith("'=HYPERLINK(") and row["category"].startswith("'+cmd|")
    assert row["outlet"] == "'@Evil Gazette" and row["snippet"].startswith("'=SUM(")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (3, 3),
        (-1.5, -1.5),
    ],
)
def test_neutralise_formula(cell, shown):
    assert neutralise_formula(cell) == shown
