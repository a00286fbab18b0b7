"""The engine contract (engines/base.py), written against the interface only: every engine runs
these unchanged. Parametrised by ENGINES: Whoosh over the session's seed index, OpenSearch over
the seeds built into the test cluster (the `opensearch_seeds` fixture: skips locally without
SEARCHSVC_TEST_OPENSEARCH_URL, fails in CI).

Only engine-neutral names are used: Engine, Generation, SearchPlan, Filters, search().
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from searchsvc.config import load_settings
from searchsvc.engines import open_engine
from searchsvc.engines.base import Engine, Generation
from searchsvc.errors import ArticleNotFound, GenerationGone
from searchsvc.model import Filters, SearchPlan, SearchRequest
from searchsvc.query import parse
from searchsvc.search import search
from tests.support import G7_ID
from tests.support.engines import settings_of

ENGINES = ["whoosh", "opensearch"]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest, seed_index: Path) -> Iterator[Engine]:
    """The seed stories in the named engine, each built by the real pipeline."""
    if request.param == "whoosh":
        settings = load_settings(engine="whoosh", index=seed_index)
    else:
        settings = settings_of(request.getfixturevalue(f"{request.param}_seeds"))
    opened = open_engine(settings)
    yield opened
    opened.close()


@pytest.fixture
def live(engine: Engine) -> Generation:
    return engine.live()


def plan(q: str | None, **changes: object) -> SearchPlan:
    return SearchPlan(tree=parse(q) if q else None, mode="all" if q else "browse", **changes)


def test_run_answers_the_window_with_the_exact_total_and_facets(live):
    every = live.run(plan("japan", limit=100))
    page = live.run(plan("japan", offset=2, limit=2))
    assert page.total == every.total >= 4
    assert [h.id for h in page.hits] == [h.id for h in every.hits[2:4]]
    outlets = {f["value"]: f["count"] for f in every.facets["outlet"]}
    assert sum(outlets.values()) == every.total
    assert set(every.facets) >= {"outlet", "category", "month", "day_label"}


def test_hits_carry_marked_snippets_and_matched_words(live):
    hit = live.run(plan("Kananaskis")).hits[0]
    assert hit.id == G7_ID
    assert "<mark>kananaskis</mark>" in hit.snippet.lower()  # as printed: KANANASKIS/BANFF
    assert [word.lower() for word in hit.matched["body"]] == ["kananaskis"]


def test_filters_or_within_a_facet_and_across_facets(live):
    both = Filters(outlets=("Yomiuri Shimbun", "Japan Today"))
    answered = live.run(plan(None, filters=both, limit=50))
    assert {h.outlet for h in answered.hits} <= {"Yomiuri Shimbun", "Japan Today"}
    one = live.run(plan(None, filters=Filters(outlets=("Japan Today",)), limit=50))
    other = live.run(plan(None, filters=Filters(outlets=("Yomiuri Shimbun",)), limit=50))
    assert answered.total == one.total + other.total
    dated = Filters(outlets=both.outlets, date_from=date(2025, 6, 1), date_to=date(2025, 6, 30))
    assert live.run(plan(None, filters=dated, limit=50)).total <= answered.total


def test_a_passed_deadline_is_reported_not_raised(live):
    answered = live.run(plan("japan OR korea", deadline=time.monotonic() - 1, collapse=True))
    assert answered.total >= 0  # what was found; timed_out says whether it is everything


def test_sorting_by_date(live):
    newest = live.run(plan("japan", sort="newest", limit=50)).hits
    days = [h.published for h in newest if h.published]
    assert days == sorted(days, reverse=True)


def test_search_over_the_contract_widens_and_suggests(live):
    widened = search(live, SearchRequest(q="kananaskis zzzqqq"))
    assert widened.mode == "any" and widened.total == 1
    assert search(live, SearchRequest(q="kananaskiss")).suggestion == "kananaskis"


def test_whole_story_reads(live):
    assert live.story(G7_ID).outlet == "Yomiuri Shimbun"
    with pytest.raises(ArticleNotFound):
        live.story("0000000000000000")
    assert len({s.id for s in live.stories()}) == live.info.doc_count == 7
    related = live.related(G7_ID, 3)
    assert len(related) <= 3 and G7_ID not in [s.id for s in related]
    assert live.labels("outlet") == sorted(live.labels("outlet"))
    assert "Yomiuri Shimbun" in live.labels("outlet")
    assert live.vocabulary().get("kananaskis", 0) >= 1
    assert all(isinstance(day, date) for day in live.collected_days())


def test_pinned_generations(engine, live):
    assert engine.pinned(live.name).name == live.name
    with pytest.raises(GenerationGone):
        engine.pinned("gen-999999")


def test_health_names_the_live_generation(engine, live):
    health = engine.health()
    assert health["status"] == "ok" and health["generation"] == live.name
