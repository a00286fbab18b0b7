"""Did-you-mean corrections against a vocabulary."""

from __future__ import annotations

import pytest

from searchsvc.spelling import Speller

VOCABULARY = {"diplomacy": 5, "ishiba": 7, "kananaskis": 1, "summit": 6, "summits": 1,
              "relations": 7, "abduction": 2}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("diplomcy", "diplomacy"),  # one deletion
        ("sumit", "summit"),  # the more frequent of two one-edit words
        ("isihba", "ishiba"),  # transposition
        ("kanansakis", "kananaskis"),  # two edits in a long word
        ("Ishiba sumit", "Ishiba summit"),  # known words stay as typed
        ("sumit OR diplomcy", "summit OR diplomacy"),  # operators stay
    ],
)
def test_typos_are_corrected(typed, meant):
    assert Speller(VOCABULARY).suggest(typed) == meant


@pytest.mark.parametrize("typed", ["summit", "zanzibar", "Zero Clicks", "abc"])
def test_known_unfixable_and_short_words_get_no_suggestion(typed):
    assert Speller(VOCABULARY).suggest(typed) is None
