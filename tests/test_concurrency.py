"""The read side is safe to call from several threads at once: searches of every mode, run
concurrently on one generation, answer exactly as they do one after another."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.indexing.pipeline import build
from searchsvc.model import SearchRequest
from searchsvc.search import search
from tests.support import SEEDS
from tests.support.reliability import filler_stories

THREADS = 8
REQUESTS = [
    SearchRequest(q="korea"),  # all (cached postings)
    SearchRequest(q="tokyo seoul"),
    SearchRequest(q="zzqx korea"),  # all → any
    SearchRequest(q="lee OR ishiba"),
    SearchRequest(q="tokyo seoul summit trade treaty railway", per_page=40),  # natural, feedback
    SearchRequest(q="tokyo seoul summit trade treaty"),  # natural, head only
    SearchRequest(q='"shuttle diplomacy"'),  # phrase
    SearchRequest(q="abduct*"),  # prefix
    SearchRequest(q="japan -korea"),
    SearchRequest(q="japan", outlet="Japan Today"),  # filtered
    SearchRequest(q="japan", date_from=date(2025, 6, 9), date_to=date(2025, 6, 30)),
    SearchRequest(q="korea", collapse=True),  # collapse (matcher path)
    SearchRequest(q="korea", sort="newest"),  # sorted
    SearchRequest(q="tokyo", sort="oldest", page=2, per_page=5),
    SearchRequest(q="korea", explain=True),
    SearchRequest(q=""),  # browse
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("concurrency")
    seeds = folder / "seeds"
    shutil.copytree(SEEDS, seeds)
    filler_stories(seeds, 300)
    build(seeds, folder / "index")
    opened = WhooshEngine(folder / "index")
    yield opened
    opened.close()


def answer(generation, request: SearchRequest) -> tuple:
    result = search(generation, request.validate(), time_limit_s=None)
    data = result.to_dict()
    data.pop("took_ms")
    return result.mode, data


def test_concurrent_searches_answer_as_sequential_ones(engine: WhooshEngine):
    sequential = [answer(engine.live(), r) for r in REQUESTS]
    assert {mode for mode, _ in sequential} >= {"all", "any", "natural", "browse"}
    fresh = WhooshEngine(engine.root)  # caches built under contention, not reused warm
    try:
        jobs = [r for _ in range(THREADS) for r in REQUESTS]
        with ThreadPoolExecutor(THREADS) as pool:
            concurrent = list(pool.map(lambda r: answer(fresh.live(), r), jobs))
    finally:
        fresh.close()
    assert concurrent == sequential * THREADS


def test_related_stories_score_with_the_default_model_whatever_ran_before(engine: WhooshEngine):
    generation = engine.live()
    story_id = next(iter(generation.stories())).id
    before = [s.id for s in generation.related(story_id, 5)]
    search(generation, SearchRequest(q="tokyo seoul summit trade treaty railway"))
    assert [s.id for s in generation.related(story_id, 5)] == before
