"""The timeline: matching stories per day/week/month, on the results page and at /api/timeline."""

from __future__ import annotations

from datetime import date

import pytest

from searchsvc.search import SearchRequest, search
from searchsvc.timeline import bucket_bounds, bucket_count, build_timeline, collected_days
from tests.support.openapi import conforms


def buckets_by_day(data: dict) -> dict[str, dict]:
    return {b["start"]: b for b in data["buckets"]}


@pytest.mark.both_engines
def test_ishiba_timeline_counts_exact_days_and_sets_estimates_apart(client, spec):  # noqa: F811
    data = conforms(spec, "/api/timeline", client.get("/api/timeline?q=Ishiba"))
    assert data["interval"] == "day"
    assert (data["from"], data["to"]) == ("2025-06-04", "2025-06-18")
    days = buckets_by_day(data)
    assert days["2025-06-09"]["count"] == 2 and days["2025-06-09"]["state"] == "matched"
    assert days["2025-06-18"]["count"] == 1
    assert days["2025-06-07"]["state"] == "uncollected"  # a Saturday with no story at all
    # The Mainichi editorial (≈ 5 Jun) and the Yomiuri listing item (≈ 11 Jun) are estimates.
    assert data["approximate"] == {
        "count": 2,
        "days": [{"day": "2025-06-05", "count": 1}, {"day": "2025-06-11", "count": 1}],
    }
    assert days["2025-06-11"]["count"] == 0
    assert data["dated"] + data["approximate"]["count"] + data["undated"] == data["total"] == 7


@pytest.mark.both_engines
def test_nothing_matched_differs_from_nothing_collected(client, spec):  # noqa: F811
    data = conforms(spec, "/api/timeline", client.get("/api/timeline?q=Kananaskis"))
    states = {b["start"]: b["state"] for b in data["buckets"]}
    assert states["2025-06-18"] == "matched"
    assert states["2025-06-09"] == "unmatched"  # two stories that day, neither about Kananaskis
    assert states["2025-06-10"] == "uncollected"


@pytest.mark.both_engines
def test_bars_link_to_that_days_results(client, spec):  # noqa: F811
    data = conforms(spec, "/api/timeline", client.get("/api/timeline?q=Ishiba&outlet=Jiji+Press"))
    bar = buckets_by_day(data)["2025-06-09"]
    assert bar["count"] == 1
    page = client.get(bar["url"]).get_data(as_text=True)
    assert "Jiji Press" in page and "1 result for" in page


@pytest.mark.both_engines
def test_week_and_month_intervals(client, spec):  # noqa: F811
    week = conforms(spec, "/api/timeline", client.get("/api/timeline?q=Ishiba&interval=week"))
    assert [b["start"] for b in week["buckets"]] == ["2025-06-02", "2025-06-09", "2025-06-16"]
    assert [b["count"] for b in week["buckets"]] == [2, 2, 1]
    month = conforms(spec, "/api/timeline", client.get("/api/timeline?q=Ishiba&interval=month"))
    assert [(b["label"], b["count"]) for b in month["buckets"]] == [("June 2025", 5)]


def test_a_bad_interval_is_a_named_parameter_error(client, spec):  # noqa: F811
    response = client.get("/api/timeline?q=Ishiba&interval=decade")
    assert response.status_code == 400
    assert conforms(spec, "/api/timeline", response)["parameter"] == "interval"


@pytest.mark.both_engines
def test_no_match_has_no_bars(client, spec):  # noqa: F811
    data = conforms(spec, "/api/timeline", client.get("/api/timeline?q=SoftBank"))
    assert data["buckets"] == [] and data["total"] == 0


@pytest.mark.both_engines
def test_date_filters_set_the_span(opened):
    request = SearchRequest(q="Ishiba", date_from=date(2025, 6, 1), date_to=date(2025, 6, 30))
    made = build_timeline(
        search(opened, request), collected_days(opened), "auto", request.date_from, request.date_to
    )
    assert (made.start, made.end) == (date(2025, 6, 1), date(2025, 6, 30))
    assert len(made.buckets) == 30


def test_a_long_span_asked_per_day_falls_back_to_coarser_bars():
    assert bucket_count("day", date(1987, 1, 1), date(2017, 1, 1)) > 400
    assert len(bucket_bounds("day", date(1987, 1, 1), date(2017, 1, 1))) == 400
    assert len(bucket_bounds("month", date(1987, 1, 1), date(2017, 1, 1))) == 361


def test_results_page_draws_the_timeline_as_accessible_svg(client):
    html = client.get("/search?q=Ishiba").get_data(as_text=True)
    assert '<figure class="timeline"' in html
    assert '<title id="timeline-title">' in html and '<desc id="timeline-desc">' in html
    assert 'href="/search?q=Ishiba&amp;from=2025-06-09&amp;to=2025-06-09"' in html
    assert "nothing was collected" in html and "2 stories with an approximate date" in html
    assert "style=" not in html.split('<figure class="timeline"')[1].split("</figure>")[0]


def test_decades_are_drawn_per_quarter_or_year_in_at_most_100_bars():
    from searchsvc.timeline import choose_interval

    assert choose_interval("auto", date(2025, 6, 1), date(2025, 6, 30), []) == "day"
    assert choose_interval("auto", date(2024, 1, 1), date(2025, 6, 30), []) == "week"
    assert choose_interval("auto", date(2018, 1, 1), date(2025, 6, 30), []) == "month"
    assert choose_interval("auto", date(2005, 1, 1), date(2025, 6, 30), []) == "quarter"
    assert choose_interval("auto", date(1987, 2, 26), date(2017, 3, 30), []) == "year"
    bars = bucket_bounds("quarter", date(1987, 2, 26), date(1987, 10, 20))
    assert [label for _, _, label in bars] == ["Q1 1987", "Q2 1987", "Q3 1987", "Q4 1987"]
    assert bars[-1][:2] == (date(1987, 10, 1), date(1987, 12, 31))


def test_each_bar_keeps_a_minimum_width(client):
    html = client.get("/search?q=Ishiba").get_data(as_text=True)
    assert '<svg class="timeline__chart" width="120"' in html  # 15 day bars x 8 px


def test_the_description_names_the_busiest_day_plainly(client):
    data = client.get("/api/timeline?q=Ishiba").get_json()
    assert "the busiest day was 9 Jun 2025, with 2 stories" in data["description"]
