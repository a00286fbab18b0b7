"""Choosing the engine from the settings (SEARCHSVC_ENGINE) and the engine's generations."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from searchsvc.config import load_settings
from searchsvc.engines import open_engine
from searchsvc.engines.base import Engine, Generation
from searchsvc.errors import EngineUnavailable, GenerationGone
from searchsvc.model import SearchRequest
from searchsvc.search import search
from tests.support import G7_ID


def test_whoosh_is_the_default_engine(seed_index: Path):
    engine = open_engine(load_settings(index=seed_index))
    try:
        assert isinstance(engine, Engine)
        live = engine.live()
        assert isinstance(live, Generation)
        assert live.info.doc_count == 7 and live.info.built_at
        assert search(live, SearchRequest(q="Kananaskis")).hits[0].id == G7_ID
        assert engine.health()["generation"] == live.name
        with pytest.raises(GenerationGone):
            engine.pinned("gen-999999")
    finally:
        engine.close()


def test_the_engine_setting_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEARCHSVC_ENGINE", "opensearch")
    monkeypatch.setenv("SEARCHSVC_OPENSEARCH_SHARDS", "5")
    settings = load_settings()
    assert (settings.engine, settings.opensearch_shards) == ("opensearch", 5)
    assert (settings.opensearch_prefix, settings.opensearch_replicas) == ("searchsvc", 1)


def test_an_unknown_engine_is_a_named_error():
    with pytest.raises(EngineUnavailable, match="unknown engine 'elastic'"):
        open_engine(load_settings(engine="elastic"))


@pytest.mark.skipif(
    importlib.util.find_spec("searchsvc.engines.opensearch") is not None,
    reason="the opensearch engine is installed here",
)
def test_an_absent_opensearch_package_is_a_named_error():
    with pytest.raises(EngineUnavailable, match="not available"):
        open_engine(load_settings(engine="opensearch"))


def test_generation_reads_are_engine_neutral_values(opened):
    story = opened.story(G7_ID)
    assert story.outlet == "Yomiuri Shimbun"
    assert len(list(opened.stories())) == 7
    assert G7_ID not in [s.id for s in opened.related(G7_ID, 5)]
    assert "Yomiuri Shimbun" in opened.labels("outlet")
    assert sum(opened.collected_days().values()) <= 7
    assert opened.vocabulary()
