"""Synonyms: the parsed query gains the other names of what the user typed."""

from __future__ import annotations

from pathlib import Path

from searchsvc import synonyms
from searchsvc.query import parse, render


def expanded(text: str, table: synonyms.SynonymTable | None = None) -> str:
    return render(synonyms.expand(parse(text), table or synonyms.load()))


def test_an_abbreviation_also_searches_what_it_stands_for() -> None:
    assert expanded("ROK") == '(ROK OR "south korea" OR "republic of korea")'


def test_a_multi_word_entry_typed_as_words_also_searches_the_abbreviation() -> None:
    assert expanded("Prime Minister Ishiba") == "(((Prime AND Minister) OR pm) AND Ishiba)"


def test_quoted_phrases_fields_and_prefixes_are_searched_as_written() -> None:
    assert expanded('"prime minister" ishiba') == '("prime minister" AND ishiba)'
    assert expanded("title:pm") == "title:pm"
    assert expanded("pm*") == "pm*"


def test_case_and_accents_are_ignored_but_dots_count() -> None:
    assert expanded("Pm") == '(Pm OR "prime minister")'
    assert expanded("us") == "us"  # the pronoun, not U.S.
    assert "united states" in expanded("U.S.")


def test_an_operator_file_adds_groups_and_a_missing_one_is_ignored(tmp_path: Path) -> None:
    extra = tmp_path / "mine.txt"
    extra.write_text("# ours\nmoon, moon jae-in\n", "utf-8")
    assert expanded("moon", synonyms.load(str(extra))) == '(moon OR "moon jae-in")'
    assert synonyms.load(str(tmp_path / "absent.txt")).of(("pm",)) == ("prime minister",)
