"""The search page in real headless Chromium (Debian's), driven by Playwright over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_search_refine_page_and_open_an_article(site, artifacts: Path):
    site.goto(site.base + "/")
    site.get_by_label("Search the stories").fill("Ishiba")
    assert not site.locator('input[name="outlet"]:checked').count()  # none ticked: all outlets
    site.get_by_role("button", name="Search").click()
    site.wait_for_url(re.compile(r"/search\?q=Ishiba"))

    heading = site.get_by_role("heading", level=1)
    assert re.match(r"7 results for “Ishiba”", heading.inner_text())
    marks = site.locator(".hit__snippet mark")
    assert marks.count() >= 3
    assert marks.first.inner_text().lower() == "ishiba"
    site.screenshot(path=str(artifacts / "results.png"), full_page=True)

    site.get_by_role("link", name="Yomiuri Shimbun").click()
    site.wait_for_url(re.compile(r"outlet=Yomiuri\+Shimbun"))
    assert site.get_by_role("heading", level=1).inner_text().startswith("3 results")
    assert site.locator(".hit .meta__outlet").all_inner_texts() == ["Yomiuri Shimbun"] * 3
    ticked = site.locator('input[name="outlet"]:checked')
    assert [ticked.nth(i).get_attribute("value") for i in range(ticked.count())] == [
        "Yomiuri Shimbun"
    ]

    # Two outlets ticked in the form: stories of either.
    site.locator(".filters summary").click()
    site.get_by_label("Jiji Press").check()
    site.get_by_role("button", name="Search").click()
    site.wait_for_url(re.compile(r"outlet=Jiji\+Press"))
    outlets = set(site.locator(".hit .meta__outlet").all_inner_texts())
    assert outlets == {"Yomiuri Shimbun", "Jiji Press"}

    site.goto(site.base + "/search?q=Ishiba&per_page=2")
    first_titles = site.locator(".hit__title").all_inner_texts()
    site.get_by_role("link", name="Next →").click()
    site.wait_for_url(re.compile(r"page=2"))
    second_titles = site.locator(".hit__title").all_inner_texts()
    assert len(second_titles) == 2 and not set(first_titles) & set(second_titles)
    assert site.locator('.pager [aria-current="page"]').inner_text() == "2"

    title = second_titles[0]
    site.get_by_role("link", name=title).click()
    site.wait_for_url(re.compile(r"/articles/[0-9a-f]+$"))
    assert site.get_by_role("heading", level=1).inner_text() == title
    assert len(site.locator(".story__body").inner_text()) > 300
    assert site.locator(".related li").count() >= 1
    site.get_by_role("link", name="Search for similar stories").click()
    site.wait_for_url(re.compile(r"/search\?q="))
    assert site.locator(".hit").count() >= 1


def test_did_you_mean_is_followed(site):
    site.goto(site.base + "/search?q=diplomcy")
    site.get_by_role("link", name="diplomacy").first.click()
    site.wait_for_url(re.compile(r"q=diplomacy"))
    assert site.locator(".hit").count() >= 1
    assert site.get_by_label("Search the stories").input_value() == "diplomacy"


def test_script_in_a_query_is_shown_as_text(site):
    query = "<script>alert(1)</script>"
    site.goto(site.base + "/")
    site.get_by_label("Search the stories").fill(query)
    site.get_by_label("Search the stories").press("Enter")
    site.wait_for_url(re.compile(r"/search\?"))
    assert site.get_by_label("Search the stories").input_value() == query
    assert query in site.locator("main").inner_text()
    assert site.locator("main script").count() == 0
    # the fixture fails the test if an alert dialog opened


def test_malformed_query_keeps_the_query_and_shows_literal_results(site):
    site.goto(site.base + "/search?q=" + "ishiba%20(summit")
    alert = site.get_by_role("alert")
    assert "never closed" in alert.inner_text()
    assert alert.locator("mark.spot").inner_text() == "("
    assert site.get_by_label("Search the stories").input_value() == "ishiba (summit"
    assert site.locator(".hit").count() >= 1


def test_phone_width_layout_has_no_sideways_scroll(browser, live_server, artifacts: Path):
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
    page = context.new_page()
    try:
        for path in ("/", "/search?q=ishiba+%22summit", "/search?q=Ishiba&per_page=3"):
            page.goto(live_server.base_url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, path
        page.screenshot(path=str(artifacts / "results-phone.png"), full_page=True)
    finally:
        context.close()


def test_keyboard_focus_is_visible(site):
    site.goto(site.base + "/")
    site.keyboard.press("Tab")
    focused = site.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    outline = site.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
