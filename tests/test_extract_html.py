"""HTML pages → Article records: what a reader of the index sees is kept, page chrome is dropped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from searchsvc.extract import html as html_extract
from searchsvc.extract.html import decode_html, extract_html, parse_published
from searchsvc.extract.html_vote import keep_agreed

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def extract_fixture(name: str):
    articles = extract_html((FIXTURES / name).read_bytes(), name)
    assert len(articles) == 1
    return articles[0]


@pytest.fixture(scope="module")
def bridge():
    return extract_fixture("news_with_sidebars.html")


def test_news_page_keeps_every_story_paragraph_and_subheading(bridge):
    text = bridge.text
    assert bridge.body[0].startswith("The harbour bridge reopened to traffic on Tuesday")
    assert "new drainage system" in text
    assert "Commuters relieved" in bridge.body
    assert text.rstrip().endswith("lifted in the summer.")


@pytest.mark.parametrize(
    "dropped",
    [
        "Ferry operator cuts winter timetable",  # related articles list
        "Related articles",
        "Celebrity chef opens restaurant",  # most-read / access ranking sidebar
        "Most read",
        "Finally! I have been waiting",  # comment thread
        "Forty million euros for a bridge is outrageous",
        "All rights reserved",  # footer copyright
        "Sign up for our morning newsletter",
        "Share on Facebook",
        "The Daily Ledger",  # masthead in <header>
        "window.tracking",  # script
        "color: red",  # style
    ],
)
def test_news_page_drops_boilerplate(bridge, dropped):
    assert dropped not in bridge.text


def test_headline_is_the_title_not_a_body_paragraph(bridge):
    assert bridge.title == "Harbour bridge reopens after two years of repairs"
    assert bridge.title not in bridge.body


def test_only_text_reaches_the_article(bridge):
    for paragraph in bridge.body:
        assert "<" not in paragraph and ">" not in paragraph
        assert "javascript:" not in paragraph
        assert "onclick" not in paragraph


def test_metadata_comes_from_open_graph_and_author_meta(bridge):
    assert bridge.outlet == "The Daily Ledger"
    assert bridge.category == "Local"
    assert bridge.byline == "Maria Lindqvist"
    assert bridge.published == datetime.fromisoformat("2024-03-05T09:30:00+01:00")
    assert bridge.published.tzinfo is not None


def test_removed_blocks_are_recorded_by_rule(bridge):
    rules = {removed.rule for removed in bridge.removed}
    assert {"class:related", "class:comments", "tag:footer"} <= rules
    assert not any(removed.rule == "tag:script" for removed in bridge.removed)


def test_story_only_in_json_ld_is_found_with_its_metadata():
    article = extract_fixture("jsonld_only.html")
    assert article.body == (
        "Satellite images show that the glacier lost a fifth of its area in a decade, "
        "researchers reported on Monday.",
        "The team compared radar images taken every month since 2013 and found the fastest "
        "retreat during the warm summers of 2018 and 2022.",
    )
    assert article.title == "Glacier retreat measured from orbit"
    assert article.published == date(2023, 11, 20)
    assert not isinstance(article.published, datetime)
    assert article.byline == "Ana Ruiz, Tom Berg"
    assert article.outlet == "Northern Wire"
    assert article.category == "Science"
    assert "enable JavaScript" not in article.text


def test_cp1252_page_claiming_shift_jis_decodes_as_cp1252():
    article = extract_fixture("cp1252_claims_shift_jis.html")
    assert "crème brûlée" in article.text
    assert "“We did not expect so many people,”" in article.text
    assert article.title == "Café opens"


def test_shift_jis_page_claiming_latin1_decodes_as_shift_jis():
    article = extract_fixture("shift_jis_claims_latin1.html")
    assert article.title == "東京の桜"
    assert "上野公園" in article.text
    assert "夜桜のライトアップ" in article.text


def test_br_separated_text_becomes_paragraphs():
    article = extract_fixture("br_paragraphs.html")
    assert len(article.body) == 3
    assert article.body[1].startswith("Second paragraph")
    assert article.body[2].endswith("must not be lost.")


def test_time_without_zone_is_reduced_to_its_day():
    article = extract_fixture("br_paragraphs.html")
    assert article.published == date(2019, 7, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05T09:30:00Z", datetime.fromisoformat("2024-03-05T09:30:00+00:00")),
        ("Tue, 05 Mar 2024 09:30:00 EST", datetime.fromisoformat("2024-03-05T09:30:00-05:00")),
        ("2024-03-05T09:30:00", date(2024, 3, 5)),
        ("Tue, 05 Mar 2024 09:30:00 IST", date(2024, 3, 5)),  # ambiguous zone: day only
        ("", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_published_never_invents_a_zone(value, expected):
    parsed = parse_published(value)
    assert parsed == expected
    assert type(parsed) is type(expected)
    if isinstance(parsed, datetime):
        assert parsed.utcoffset() is not None


def test_utf8_page_with_lying_latin1_declaration_stays_utf8():
    page = '<meta charset="iso-8859-1"><p>Zoë’s naïve café</p>'.encode()
    assert "Zoë’s naïve café" in decode_html(page)


def test_bom_and_xml_declaration_are_handled():
    page = b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?><html><body><p>Hej d\xc3\xa5</p>"
    text = decode_html(page)
    assert not text.startswith("\ufeff")
    assert "<?xml" not in text
    assert "Hej då" in text


def test_ten_thousand_levels_of_nesting_do_not_crash():
    depth = 10_000
    page = (
        b"<html><body>"
        + b"<div><span>" * depth
        + b"<p>The buried sentence survives the deep nesting of this page.</p>"
        + b"</span></div>" * depth
        + b"</body></html>"
    )
    articles = extract_html(page, "deep.html")
    assert articles and "buried sentence survives" in articles[0].text


def test_recursion_error_falls_back_to_flat_text(monkeypatch):
    def too_deep(text: str, source_file: str):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(html_extract, "_extract_tree", too_deep)
    page = (
        b"<html><head><script>var hidden = 1;</script></head><body>"
        b"<p>First flat paragraph &amp; more.</p><p>Second flat paragraph.</p></body></html>"
    )
    [article] = extract_html(page, "flat.html")
    assert article.body == ("First flat paragraph & more.", "Second flat paragraph.")
    assert article.layout == "html-flat"
    assert "hidden" not in article.text


def test_empty_page_gives_no_article():
    assert extract_html(b"   ", "blank.html") == []


def test_json_ld_teaser_does_not_replace_a_full_story():
    paragraphs = "".join(
        f"<p>Paragraph {n} of the full story carries enough words to count as real prose.</p>"
        for n in range(8)
    )
    page = (
        '<html><head><script type="application/ld+json">'
        '{"@type": "NewsArticle", "articleBody": "Paragraph 0 of the full story."}'
        f"</script></head><body><article>{paragraphs}</article></body></html>"
    ).encode()
    [article] = extract_html(page, "teaser.html")
    assert len(article.body) == 8
    assert article.body[-1].startswith("Paragraph 7")


def test_published_datetime_is_timezone_aware_when_given():
    page = (
        b'<html><head><meta property="article:published_time" content="2020-01-02T03:04:05+09:00">'
        b"</head><body><p>Short story body that is long enough to be kept as text.</p>"
        b"</body></html>"
    )
    [article] = extract_html(page, "tz.html")
    assert article.published.utcoffset() == timedelta(hours=9)


def _story_page(before: str, after: str, title: str = "Harbour bridge reopens") -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {n} of the bridge story, long enough to read as real prose.</p>"
        for n in range(6)
    )
    return (
        f'<html><head><meta property="og:title" content="{title}"></head><body><article>'
        f"{before}{paragraphs}{after}</article></body></html>"
    ).encode()


def test_figure_captions_are_kept_apart_from_the_body():
    figure = "<figure><img src='b.jpg'><figcaption>The bridge at dawn (Image: Agency)</figcaption>"
    [article] = extract_html(_story_page(figure + "</figure>", ""), "caption.html")
    assert article.caption == "The bridge at dawn (Image: Agency)"
    assert "bridge at dawn" not in article.text


def test_repeated_headline_and_timestamp_are_trimmed_from_the_head():
    head = "<p>Harbour bridge reopens</p><p>Tuesday, 3 March 2020 at 10:15</p>"
    [article] = extract_html(_story_page(head, ""), "head.html")
    assert article.body[0].startswith("Paragraph 0")


def test_cross_links_and_contact_foot_are_trimmed():
    middle_link = "<p>Read more: Ferry operator cuts its winter timetable</p>"
    foot = (
        "<p>Write to the reporter at reporter@example.com</p>"
        "<p>Follow us on Twitter and Facebook for more local news.</p>"
    )
    [article] = extract_html(_story_page(middle_link, foot), "foot.html")
    assert article.body[0].startswith("Paragraph 0")
    assert article.body[-1].startswith("Paragraph 5")


def test_an_e_mail_address_inside_the_story_is_kept():
    inside = "<p>Tips reached the desk at tips@example.com before the bridge reopened.</p>"
    [article] = extract_html(_story_page(inside, ""), "inside.html")
    assert "tips@example.com" in article.text


def test_paragraph_only_one_extractor_kept_is_outvoted():
    story = ("First story paragraph.", "Second story paragraph.")
    chosen = (*story, "You may also like: ten other stories")
    voters = [chosen, story, story, (*story, "Comments (3)")]
    assert keep_agreed(chosen, voters) == story


def test_voting_ignores_spacing_and_needs_enough_voters():
    chosen = ("東京の桜 が 満開", "Promo box")
    assert keep_agreed(chosen, [chosen, ("東京の桜が満開",), ("東京の桜が満開",)]) == chosen
    voters = [chosen, ("東京の桜が満開",), ("東京の桜が満開",), ("東京の 桜が満開",)]
    assert keep_agreed(chosen, voters) == ("東京の桜 が 満開",)


def test_voting_never_empties_the_body():
    chosen = ("Only this extractor found text.",)
    assert keep_agreed(chosen, [chosen, ("a",), ("b",), ("c",)]) == chosen


def test_a_story_ending_that_mentions_a_newsletter_is_kept():
    foot = "<p>The council's own newsletter first reported the closure of the old ferry pier.</p>"
    [article] = extract_html(_story_page("", foot), "newsletter.html")
    assert article.body[-1].startswith("The council's own newsletter")
