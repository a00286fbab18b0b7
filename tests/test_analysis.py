"""Analysis is defined once (searchsvc.analysis): the Whoosh analyzers fold, stop and stem every
word exactly as the engine-neutral definition does."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchsvc.analysis import fold, index_words, label_words, query_words, strip_accents
from searchsvc.engines.whoosh.analysis import english_analyzer, plain_analyzer

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
TRICKY = [
    "Jae-myung Lee's government",
    "Café naïve façade Ærø",
    "東京で首脳会談 and 서울",
    "the it's O’Brien ʼquoted‘ rock`n´roll",
    "U.S.-Japan ties, 2025-06-18, 1,000 yen",
    "running runners ran generalization",
    "a-b-c --- -- x-",
]


@pytest.mark.parametrize("text", TRICKY)
def test_query_words_are_what_the_whoosh_analyzer_gives(text):
    assert list(query_words(text)) == [t.text for t in english_analyzer()(text, mode="query")]


def test_every_seed_story_analyzes_the_same_both_ways():
    for path in sorted(SEEDS.iterdir()):
        text = path.read_text("utf-8", errors="replace")
        assert list(query_words(text)) == [t.text for t in english_analyzer()(text, mode="query")]


def test_accents_and_apostrophes_fold_once():
    assert strip_accents("Café Ærø") == "Cafe Ærø"  # Æ and ø are letters, not accented ones
    assert fold("O’Brien's") == "obrien"


def test_generations_built_before_the_engine_seam_still_open():
    """Their pickled schema names the analyzers searchsvc.analysis.<class>: still found there,
    while importing searchsvc.analysis alone loads no Whoosh."""
    import pickle
    import subprocess
    import sys

    from searchsvc.engines.whoosh import analysis as whoosh_analysis

    for name in ("EnglishAnalyzer", "FoldFilter", "HyphenFilter"):
        legacy = pickle.dumps(getattr(whoosh_analysis, name), protocol=0).replace(
            b"searchsvc.engines.whoosh.analysis", b"searchsvc.analysis"
        )
        assert pickle.loads(legacy) is getattr(whoosh_analysis, name)
    code = "import sys, searchsvc.analysis; print(any(m.startswith('whoosh') for m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


@pytest.mark.parametrize("text", TRICKY)
def test_index_words_are_the_terms_the_whoosh_index_holds(text):
    """Hyphenated words indexed as parts and joined, CJK as bigrams, stemmed: what another
    engine (OpenSearch's prefix counts, its stem overrides) must count as the index's words."""
    assert index_words(text) == set(english_analyzer().term_positions(text))


def test_every_seed_story_holds_the_same_index_words_both_ways():
    for path in sorted(SEEDS.iterdir()):
        text = path.read_text("utf-8", errors="replace")
        assert index_words(text) == set(english_analyzer().term_positions(text)), path.name


@pytest.mark.parametrize("label", ["Jiji Press", "The Asahi Shimbun", "World/Asia-Pacific", "Ōita"])
def test_label_words_are_what_the_label_fields_hold(label):
    assert label_words(label) == {t.text for t in plain_analyzer()(label, mode="index")}
