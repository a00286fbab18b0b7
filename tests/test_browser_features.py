"""The timeline, match chips and export links in real headless Chromium over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_timeline_bar_opens_that_days_results(site, artifacts: Path):
    site.goto(site.base + "/search?q=Ishiba")
    figure = site.locator("figure.timeline")
    assert figure.is_visible()
    assert "approximate date" in figure.inner_text()
    box = site.locator("svg.timeline__chart").bounding_box()
    assert box and box["width"] > 400 and box["height"] > 40
    site.screenshot(path=str(artifacts / "timeline.png"))
    site.locator('svg.timeline__chart a[href*="from=2025-06-09"]').click()
    site.wait_for_url("**from=2025-06-09**")
    assert site.locator("h1#results-title").inner_text().startswith("2 results")


def test_chips_and_export_links_are_shown(site):
    site.goto(site.base + "/search?q=Kananaskis")
    assert site.locator(".matched .chip").first.inner_text().lower() == "kananaskis"
    href = site.get_by_role("link", name="CSV").get_attribute("href")
    assert href == "/api/search.csv?q=Kananaskis"
