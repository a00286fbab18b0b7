"""What a reader sees around the results: counts, ranges, the tools row, browsing order, error
pages that keep the search, and the wording of the small things."""

from __future__ import annotations

import pytest

from tests.support.pages import get_page


def test_browsing_lists_the_newest_story_first(client):
    hits = client.get("/api/search").get_json()["hits"]
    days = [h["published"][:10] for h in hits]
    assert days[0] == "2025-06-18"  # the G7 meeting, the newest story
    assert days == sorted(days, reverse=True)


def test_browsing_offers_no_relevance_order(client):
    page, _ = get_page(client, "/search")
    assert "Relevance" not in [
        a.strip() for a in page.text.split("Sort:")[1].split("Per page")[0].split("  ")
    ]
    current = [a for a in page.all("a", **{"aria-current": "true"})]
    assert any("sort=newest" in (a.get("href") or "") for a in current)


def test_a_later_page_says_which_results_it_shows(client):
    page, _ = get_page(client, "/search?q=ishiba&per_page=3&page=2")
    assert "Results 4–6 of 7 for “ishiba”" in page.text


def test_one_page_of_results_just_counts_them(client):
    page, _ = get_page(client, "/search?q=ishiba")
    assert "7 results for “ishiba”" in page.text


def test_per_page_choices_link_to_the_first_page(client):
    page, _ = get_page(client, "/search?q=ishiba&per_page=3&page=2")
    links = page.links()
    for size in ("", "&per_page=25", "&per_page=50", "&per_page=100"):
        assert f"/search?q=ishiba{size}" in links


def test_exports_feed_and_permalink_share_one_row(client):
    html = client.get("/search?q=korea").get_data(as_text=True)
    row = html[
        html.index('class="take-away"') : html.index("</p>", html.index('class="take-away"'))
    ]
    for label in ("CSV", "JSON Lines", "Atom feed", "Permalink"):
        assert f">{label}</a>" in row


def test_a_filters_link_leads_to_the_filters(client):
    page, _ = get_page(client, "/search?q=korea")
    assert "#refine" in page.links()
    assert page.all("aside", id="refine")


@pytest.mark.parametrize(
    ("query", "label", "echo"),
    [
        ("q=korea&from=junk", "Published from", "from=junk"),
        ("q=korea&per_page=500", "Results per page", "per_page=500"),
        ("q=korea&sort=best", "Order", "sort=best"),
    ],
)
def test_a_bad_parameter_keeps_the_search_and_names_the_field(client, query, label, echo):
    page, _ = get_page(client, f"/search?{query}", status=400)
    [box] = page.all("input", id="q")
    assert box["value"] == "korea"
    assert f"{label} ({echo}):" in page.text


def test_a_bad_date_keeps_the_good_one(client):
    page, _ = get_page(client, "/search?q=korea&from=junk&to=2025-06-30", status=400)
    [to] = page.all("input", id="to")
    assert to["value"] == "2025-06-30"
    assert any("open" in attrs for tag, attrs in page.tags if tag == "details")  # filters shown


def test_a_generation_never_built_is_not_said_to_be_deleted(client):
    page, _ = get_page(client, "/search?q=korea&gen=gen-000099")
    assert "That index generation does not exist" in page.text
    assert "deleted" not in page.text


def test_home_counts_with_separators_and_plurals(client):
    page, _ = get_page(client, "/")
    assert "across 7 stories from 5 outlets" in page.text
    assert "newest first" in page.text


@pytest.fixture(scope="module")
def years_client(tmp_path_factory):
    """Three stories a year apart, in the make_corpus layout (title, date, blank, body)."""
    from searchsvc import create_app
    from searchsvc.indexing.pipeline import build

    folder = tmp_path_factory.mktemp("years")
    seeds = folder / "seeds"
    seeds.mkdir()
    for year, topic in ((2015, "coffee"), (2016, "cocoa"), (2017, "sugar")):
        body = (
            f"The price of {topic} rose sharply on the commodity exchange this week, traders said."
        )
        (seeds / f"{year}.txt").write_text(f"{topic.title()} prices rise\n{year}-03-30\n\n{body}\n")
    build(seeds, folder / "index")
    app = create_app({"TESTING": True, "INDEX": folder / "index", "SEEDS": seeds})
    return app.test_client()


def test_several_years_are_refined_by_year_not_by_hundreds_of_months(years_client):
    page, _ = get_page(years_client, "/search?q=prices")
    assert "Year" in page.text and "Month" not in page.text
    assert "/search?q=prices&from=2016-01-01&to=2016-12-31" in page.links()
    within, _ = get_page(years_client, "/search?q=prices&from=2016-01-01&to=2016-12-31")
    assert "March 2016" in within.text


def test_quick_ranges_count_back_from_the_newest_story(years_client):
    page, _ = get_page(years_client, "/search?q=prices")
    assert "up to the newest story, 30 Mar 2017" in page.text
    links = page.links()
    assert "/search?q=prices&from=2017-03-24&to=2017-03-30" in links  # past week
    assert "/search?q=prices&from=2016-03-31&to=2017-03-30" in links  # past year


def test_times_carry_their_time_zone(client):
    page, _ = get_page(client, "/search?q=Kananaskis")
    assert "18 Jun 2025, 15:46 JST" in page.text


def test_zones_other_than_japan_show_their_offset():
    from searchsvc.web.pages import human_date

    assert human_date("2025-06-18T15:46:00+05:30") == "18 Jun 2025, 15:46 UTC+5:30"
    assert human_date("2025-06-18T06:46:00+00:00") == "18 Jun 2025, 06:46 UTC"
    assert human_date("2025-06-11T10:00:00+09:00", approximate=True) == "≈ 11 Jun 2025"


def test_api_and_csv_write_the_same_iso_8601_dates(client):
    import csv
    import io

    api = {h["id"]: h["published"] for h in client.get("/api/search?q=korea").get_json()["hits"]}
    rows = csv.DictReader(io.StringIO(client.get("/api/search.csv?q=korea").get_data(as_text=True)))
    assert {row["id"]: row["published"] for row in rows} == api
