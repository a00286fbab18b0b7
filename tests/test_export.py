"""Export: every hit of a search as CSV or JSON Lines, from the API and from the CLI."""

from __future__ import annotations

import csv
import io
import json

from jsonschema import Draft202012Validator

from searchsvc import create_app
from searchsvc.cli import main
from searchsvc.export import COLUMNS
from searchsvc.web.openapi import openapi_document
from tests.support import G7_ID, SEEDS


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


def test_csv_cells_are_plain_text_with_absolute_urls(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/api/search.csv?q=Kananaskis").text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["url"] == f"http://localhost/articles/{G7_ID}"
    assert row["outlet"] == "Yomiuri Shimbun" and row["published_approximate"] == "False"
    assert "<mark>" not in row["snippet"] and "Kananaskis".lower() in row["snippet"].lower()
    assert row["matched_body"].lower() == "kananaskis"


def test_jsonl_has_one_object_per_hit_with_filters_applied(client):
    response = client.get("/api/search.jsonl?q=ishiba&outlet=Yomiuri+Shimbun&sort=newest")
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    rows = [json.loads(line) for line in lines]
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
    assert len(response.get_data(as_text=True).splitlines()) == 3
    assert response.headers["X-Total-Count"] == "7"
    assert response.headers["X-Export-Limit"] == "3"
    assert response.headers["X-Export-Truncated"] == "true"


def test_a_bad_query_is_a_problem_not_an_empty_file(client):
    response = client.get('/api/search.csv?q="unclosed')
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


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
    assert [json.loads(line)["id"] for line in result.output.splitlines()] == [G7_ID]
