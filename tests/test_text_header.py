"""The generic plain-text reader's header block, on layouts made up for the test: what it reads
(title, outlet, date, byline), what it leaves as text, and that it never invents a value."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from searchsvc.extract.text import extract_text

PARAGRAPH = (
    "The harbour festival drew more than forty thousand visitors on Sunday, organisers said, "
    "the largest crowd since the event began."
)
SECOND = "Food stalls lined the waterfront and fireworks closed the evening to loud applause."


def read(*header: str) -> object:
    (article,) = extract_text("\n".join([*header, "", PARAGRAPH, "", SECOND]), "made-up.txt")
    return article


def test_title_outlet_date_and_byline_lines_are_read_and_kept_out_of_the_body():
    article = read(
        "Harbour Festival Draws Record Crowds",
        "By Ann Lee",
        "Source: Harbour Times",
        "Published: 3 July 2025",
    )
    assert article.title == "Harbour Festival Draws Record Crowds"
    assert (article.outlet, article.byline) == ("Harbour Times", "Ann Lee")
    assert article.published == date(2025, 7, 3)
    assert article.body == (PARAGRAPH, SECOND)


def test_one_line_can_carry_byline_outlet_and_date():
    article = read(
        "Harbour Festival Draws Record Crowds", "By Ann Lee | Harbour Times | 3 July 2025"
    )
    assert (article.outlet, article.byline, article.published) == (
        "Harbour Times",
        "Ann Lee",
        date(2025, 7, 3),
    )


def test_a_time_is_kept_only_with_its_zone():
    zoned = read("Harbour Festival", "July 3, 2025 14:30 JST").published
    assert isinstance(zoned, datetime) and zoned.utcoffset() == timedelta(hours=9)
    assert (zoned.hour, zoned.minute) == (14, 30)
    assert read("Harbour Festival", "July 3, 2025 14:30").published == date(2025, 7, 3)


@pytest.mark.parametrize(
    "line",
    [
        "July 2025",  # no day: not filled in
        "2025",
        "03/04/2025",  # March 4 or 3 April: not said
        "Reuters",  # a name alone could be a section as well as an outlet
        "The 2025 festival season",
        "By the way",
    ],
)
def test_ambiguous_lines_invent_nothing(line):
    article = read("Harbour Festival", line)
    assert article.published is None and article.outlet is None and article.byline is None


def test_a_section_beside_a_date_is_not_taken_for_the_outlet():
    article = read("Harbour Festival", "Politics · 3 July 2025")
    assert article.published == date(2025, 7, 3) and article.outlet is None


def test_an_updated_line_is_not_the_publication_date():
    article = read("Harbour Festival", "Updated 5 July 2025", "Published 3 July 2025")
    assert article.published == date(2025, 7, 3)
    assert "Updated" not in article.text


def test_header_lines_are_looked_for_only_above_the_first_paragraph():
    text = f"Harbour Festival\n\n{PARAGRAPH}\n\nBy Ann Lee\n\n3 July 2025\n\n{SECOND}"
    (article,) = extract_text(text, "late.txt")
    assert article.byline is None and article.published is None
    assert "By Ann Lee" in article.text


def test_every_line_read_is_recorded_as_removed():
    article = read("Harbour Festival", "By Ann Lee", "Source: Harbour Times", "3 July 2025")
    assert {r.rule for r in article.removed} >= {"byline_header", "outlet_header", "date_header"}
