"""Pinned permalinks (`gen=`): the same URL gives the same results while its index generation is
kept, through real rebuilds; once the generation is deleted the page says so and shows the
current results, and the API answers 410 Gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from searchsvc import create_app
from searchsvc.engines.whoosh import generations as gens
from searchsvc.engines.whoosh.engine import OLD_GENERATIONS_OPEN, WhooshEngine
from searchsvc.errors import GenerationGone
from searchsvc.indexing.pipeline import build
from searchsvc.web.openapi import openapi_document
from tests.support.pages import Page

NEW_STORY = (
    "Ishiba visits Seoul for talks\n2025-06-20\n\n"
    "Prime Minister Shigeru Ishiba arrived in Seoul on Friday for talks with President "
    "Lee Jae-myung about trade.\n\nThe two leaders discussed supply chains.\n"
)


class Site:
    """A copy of the seed index served by a test app, rebuilt from a copy of the seeds."""

    def __init__(self, seed_index: Path, seeds: Path, folder: Path) -> None:
        self.index = folder / "index"
        shutil.copytree(seed_index, self.index)
        self.seeds = seeds
        self.app = create_app({"TESTING": True, "INDEX": self.index, "SEEDS": seeds})
        self.client = self.app.test_client()

    @property
    def live(self) -> str:
        return gens.current(self.index).name

    def rebuild(self, story: str | None = None, name: str = "extra.txt") -> str:
        if story is not None:
            (self.seeds / name).write_text(story, "utf-8")
        return build(self.seeds, self.index, keep=3).generation

    def api(self, url: str, status: int = 200) -> dict:
        response = self.client.get(url)
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        return response.get_json()


@pytest.fixture
def site(seed_index: Path, seeds_copy: Path, tmp_path: Path) -> Site:
    return Site(seed_index, seeds_copy, tmp_path)


def comparable(result: dict) -> dict:
    """A result without what may differ between two runs of the same search (timing, and the
    passage a snippet picks among equally good ones)."""
    hits = [{k: v for k, v in hit.items() if k != "snippet"} for hit in result["hits"]]
    return {**result, "took_ms": None, "hits": hits}


def test_a_pin_to_the_live_generation_changes_nothing(site: Site):
    live = site.live
    plain = site.api("/api/search?q=ishiba&sort=newest")
    pinned = site.api(f"/api/search?q=ishiba&sort=newest&gen={live}")
    assert pinned["generation"] == plain["generation"] == live
    assert comparable(pinned) == comparable(plain)


def test_the_same_url_gives_the_same_results_after_a_rebuild(site: Site):
    first = site.live
    before = site.api(f"/api/search?q=ishiba&sort=newest&gen={first}")
    second = site.rebuild(NEW_STORY)
    assert second != first and site.live == second
    now = site.api("/api/search?q=ishiba&sort=newest")
    assert now["total"] == before["total"] + 1
    assert now["hits"][0]["title"] == "Ishiba visits Seoul for talks"
    again = site.api(f"/api/search?q=ishiba&sort=newest&gen={first}")
    assert again["generation"] == first
    assert comparable(again) == comparable(before)
    timeline = site.api(f"/api/timeline?q=ishiba&gen={first}")
    assert timeline["generation"] == first and timeline["total"] == before["total"]
    export = site.client.get(f"/api/search.jsonl?q=ishiba&sort=newest&gen={first}")
    *rows, end = export.get_data(as_text=True).splitlines()
    assert len(rows) == before["total"] and '"complete": true' in end


def test_a_pinned_page_says_so_and_its_links_stay_pinned(site: Site):
    first = site.live
    site.rebuild(NEW_STORY)
    html = site.client.get(f"/search?q=ishiba&per_page=2&gen={first}").get_data(as_text=True)
    page = Page(html)
    assert f"Pinned results from index generation {first}" in page.text
    assert "newer stories may have been indexed since" in page.text
    assert "See the current results" in page.text
    assert "Results 1–2 of 7" in page.text  # not the 8 of the live generation
    assert "/search?q=ishiba&per_page=2" in page.links()  # the way back to the live one
    pager = [a["href"] for a in page.all("a", rel="next")]
    assert pager == [f"/search?q=ishiba&page=2&per_page=2&gen={first}"]
    facets = [link for link in page.links() if "outlet=" in link]
    assert facets and all(f"gen={first}" in link for link in facets)


def test_the_results_page_links_its_own_permalink(site: Site):
    live = site.live
    page = Page(site.client.get("/search?q=korea&sort=oldest").get_data(as_text=True))
    [permalink] = page.all("a", rel="bookmark")
    assert permalink["href"] == f"/search?q=korea&sort=oldest&gen={live}"
    assert "Pinned results" not in page.text
    site.rebuild(NEW_STORY)
    followed = Page(site.client.get(permalink["href"]).get_data(as_text=True))
    assert "Pinned results" in followed.text
    assert [a["href"] for a in followed.all("a", rel="bookmark")] == [permalink["href"]]


def test_once_the_generation_is_deleted_the_page_offers_the_current_results(site: Site):
    first = site.live
    site.rebuild(NEW_STORY)
    site.rebuild(NEW_STORY.replace("supply chains", "semiconductors"))
    assert (site.index / first).is_dir()  # three kept: still answerable
    assert site.api(f"/api/search?q=ishiba&gen={first}")["total"] == 7
    last = site.rebuild(NEW_STORY.replace("supply chains", "tourism"))
    assert not (site.index / first).exists()
    response = site.client.get(f"/search?q=ishiba&gen={first}")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert "Those pinned results are no longer kept" in page.text
    assert f"index generation {first}, which has since been replaced" in page.text
    assert "the newest 3 generations are kept" in page.text
    assert "8 results" in page.text  # the live generation's
    [permalink] = page.all("a", rel="bookmark")
    assert permalink["href"] == f"/search?q=ishiba&gen={last}"
    assert not any("gen=" in link for link in page.links() if link != permalink["href"])


def test_once_the_generation_is_deleted_the_api_answers_410(site: Site):
    first = site.live
    for word in ("trade", "chips", "tourism"):
        site.rebuild(NEW_STORY.replace("trade", word))
    problem = site.api(f"/api/search?q=ishiba&gen={first}", status=410)
    assert problem["code"] == "generation_gone"
    assert problem["generation"] == first
    assert problem["current_generation"] == site.live
    assert "Leave out gen=" in problem["detail"]
    document = openapi_document()
    schema = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    Draft202012Validator(schema).validate(problem)
    for url in ("/api/timeline?q=ishiba", "/api/search.csv?q=ishiba"):
        assert site.client.get(f"{url}&gen={first}").status_code == 410


def test_a_generation_that_never_existed_is_gone_too(site: Site):
    assert site.api("/api/search?q=ishiba&gen=gen-999999", status=410)["code"] == (
        "generation_gone"
    )


@pytest.mark.parametrize(
    "value",
    ["../CURRENT", "gen-1", "gen-0000001", "GEN-000001", "gen-00000a", "/etc", ".tmp-gen-000002"],
)
def test_only_well_formed_generation_names_are_accepted(site: Site, value: str):
    problem = site.api(f"/api/search?q=ishiba&gen={value}", status=400)
    assert problem["code"] == "invalid_parameter" and problem["parameter"] == "gen"
    assert site.client.get(f"/search?q=ishiba&gen={value}").status_code == 400


def test_an_unfinished_build_cannot_be_pinned(site: Site):
    (site.index / ".tmp-gen-000009").mkdir()
    shutil.copytree(site.index / site.live, site.index / "gen-000009")
    (site.index / "gen-000009" / gens.META).unlink()  # a folder without meta is not complete
    assert site.api("/api/search?q=ishiba&gen=gen-000009", status=410)


def test_only_a_few_old_generations_stay_open(site: Site):
    names = [site.live] + [site.rebuild(NEW_STORY.replace("trade", w)) for w in ("a1", "b2")]
    handle = WhooshEngine(site.index)
    try:
        for name in names[:-1]:
            assert handle.pinned(name).name == name
        assert len(handle._old) == min(OLD_GENERATIONS_OPEN, len(names) - 1)
        assert handle.pinned(names[-1]) is handle.live()  # the live one, not a copy
        site.rebuild(NEW_STORY.replace("trade", "c3"))
        with pytest.raises(GenerationGone):
            handle.pinned(names[0])  # deleted by the last build
        assert names[0] not in handle._old
    finally:
        handle.close()


def test_the_openapi_document_describes_gen(client):
    document = client.get("/api/openapi.json").get_json()
    for path in ("/api/search", "/api/timeline", "/api/search.csv", "/api/search.jsonl"):
        operation = document["paths"][path]["get"]
        assert "gen" in {p["name"] for p in operation["parameters"]}
        assert "410" in operation["responses"]
