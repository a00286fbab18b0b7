"""Plain-text extraction on the real seed scrapes: what each layout keeps and what it drops."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.extract.article import Article
from searchsvc.extract.text import extract_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
JST = timedelta(hours=9)

# Words that only occur in boilerplate (headline lists, promos) of the seed files.
BOILERPLATE_WORDS = (
    "Takaichi",
    "SoftBank",
    "hibakusha",
    "music industry",
    "Osaka-Kansai",
    "Ueda",
    "Seafood",
    "mega solar",
    "rare earths",
    "Japanese-Americans",
    "recipes",
    "declassified",
    "Zero Clicks",
    "Permanent Residency",
)
KEPT_FIELDS = ("title", "caption", "outlet", "category", "byline", "dateline")


def extract_seed(prefix: str) -> list[Article]:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return extract_text(path.read_text(encoding="utf-8"), path.name)


def only(prefix: str) -> Article:
    (article,) = extract_seed(prefix)
    return article


def kept_text(article: Article) -> str:
    return "\n".join([*article.body, *(getattr(article, name) or "" for name in KEPT_FIELDS)])


def rules(article: Article) -> set[str]:
    return {removed.rule for removed in article.removed}


def assert_jst(published: object, *parts: int) -> None:
    assert isinstance(published, datetime)
    assert published.utcoffset() == JST
    assert published.replace(tzinfo=None) == datetime(*parts)


@pytest.fixture(scope="module")
def all_seed_articles() -> list[Article]:
    return [
        article
        for prefix in ("000", "001", "002", "003", "004")
        for article in extract_seed(prefix)
    ]


def test_seeds_yield_nine_articles(all_seed_articles: list[Article]) -> None:
    assert len(all_seed_articles) == 9


@pytest.mark.parametrize("word", BOILERPLATE_WORDS)
def test_no_boilerplate_word_survives_in_kept_fields(
    all_seed_articles: list[Article], word: str
) -> None:
    for article in all_seed_articles:
        assert word.lower() not in kept_text(article).lower(), article.source_file


def test_removed_records_are_audit_only(all_seed_articles: list[Article]) -> None:
    removed_text = " ".join(r.text for a in all_seed_articles for r in a.removed)
    assert "Takaichi" in removed_text and "music industry" in removed_text


def test_japan_news_keeps_title_caption_date_and_paragraphs() -> None:
    article = only("000")
    assert article.layout == "japan_news"
    assert article.title.startswith("Japanese PM Ishiba Seeks Early Summit")
    assert article.outlet == "Yomiuri Shimbun"
    assert article.caption.startswith("Prime Minister Ishiba answers questions")
    assert_jst(article.published, 2025, 6, 5, 15, 33)
    assert not article.published_approximate
    assert article.category == "Politics"
    assert len(article.body) == 11
    assert article.body[0].startswith("Prime Minister Shigeru Ishiba is seeking")
    assert article.body[-1].endswith("a Foreign Ministry senior official said.")
    assert all(
        not paragraph.startswith("Prime Minister Ishiba answers") for paragraph in article.body
    )


def test_japan_news_drops_tags_popular_and_ranking_blocks() -> None:
    article = only("000")
    assert {"date_header", "related_tags", "popular_articles", "access_ranking"} <= rules(article)
    assert "Related Tags" not in article.text
    assert "ACCESS RANKING" not in article.text
    assert "POPULAR ARTICLE" not in article.text
    assert sum(r.rule == "access_ranking" for r in article.removed) == 6  # header + 5 headlines
    assert all(paragraph != "-" for paragraph in article.body)


def test_japan_news_second_file_is_dated_from_its_own_header() -> None:
    article = only("003")
    assert article.title.startswith("Japan PM Ishiba, South Korea President Lee Agree")
    assert_jst(article.published, 2025, 6, 18, 15, 46)
    assert article.body[0].startswith("KANANASKIS/BANFF, Canada")
    assert article.body[-1].endswith("has become more important.”")
    assert "shakes hands" in article.caption


def test_japan_today_header_fields_and_dropped_lines() -> None:
    article = only("001")
    assert article.layout == "japan_today"
    assert article.title == "Ishiba expresses hope for stable ties with S Korea under Lee"
    assert article.outlet == "Japan Today"
    assert article.published == date(2025, 6, 4)
    assert not isinstance(article.published, datetime)  # a day only: no invented time
    assert article.category == "Politics"
    assert article.dateline == "TOKYO"
    assert article.caption.endswith("Image: Kyodo")
    assert article.body[0].startswith("Japanese Prime Minister Shigeru Ishiba on Wednesday")
    assert article.body[-1].endswith("the top government spokesman said.")
    assert {"date_header", "image_alt", "comment_count", "copyright"} <= rules(article)
    for dropped in ("1 Comment", "© KYODO", "Japanese PM Ishiba", "TOKYO", "politics"):
        assert dropped not in article.body


def test_asahi_masthead_byline_and_promos() -> None:
    article = only("002")
    assert article.layout == "asahi"
    assert article.title is None
    assert article.outlet == "Asahi Shimbun"
    assert_jst(article.published, 2025, 6, 9, 18, 37)
    assert article.caption.endswith("(Takeshi Iwashita)")
    assert article.byline == "Kei Kobayashi, and correspondent Akihiko Kaise"
    assert article.body[0].startswith("Prime Minister Shigeru Ishiba and newly elected")
    assert article.body[-1].endswith("as early as this occasion.")
    assert "This article was written" not in article.text
    assert "THE ASAHI SHIMBUN" not in article.text
    assert {"masthead", "date_header", "promo"} <= rules(article)
    assert sum(r.rule == "promo" for r in article.removed) == 5


def test_listing_splits_into_five_entries_with_numbered_sources() -> None:
    entries = extract_seed("004")
    assert len(entries) == 5
    assert [entry.source_file for entry in entries] == [
        f"004_61a9e09eb2a5f23a.txt#{number}" for number in range(1, 6)
    ]
    assert [entry.outlet for entry in entries] == [
        "Yomiuri Shimbun",
        "Asahi Shimbun",
        "Jiji Press",
        "The Mainichi",
        "Yomiuri Shimbun",
    ]
    assert [entry.category for entry in entries] == [
        "Politics",
        "Politics",
        "Politics",
        "Business",
        "General",
    ]
    assert entries[1].title == "Ishiba, Lee share hopes for early meeting in first phone talks"
    assert entries[3].title.startswith("Editorial: New S. Korean president")
    assert all("listing_header" in rules(entry) for entry in entries)
    assert all("Latest news with" not in kept_text(entry) for entry in entries)


def test_listing_jiji_entry_date_prefix_and_copyright_tail() -> None:
    jiji = extract_seed("004")[2]
    assert jiji.title == "Ishiba, S. Korea's Lee Agree to Develop Stable Ties"
    assert_jst(jiji.published, 2025, 6, 9, 16, 21)
    assert not jiji.published_approximate
    assert jiji.dateline == "Tokyo"
    assert jiji.text.startswith("Japanese Prime Minister Shigeru Ishiba and new South Korean")
    assert jiji.text.endswith("abductees in the reclusive country.")
    assert "News from Japan" not in jiji.text
    assert "END" not in jiji.text and "Copyright" not in jiji.text
    assert {"date_header", "copyright"} <= rules(jiji)


def test_listing_relative_ages_become_approximate_days_from_the_jiji_anchor() -> None:
    entries = extract_seed("004")
    # Scraped ≈ 2025-06-09 16:21 JST + 2 days; "14 hours ago" etc. count back from there.
    assert [entry.published for entry in entries if entry.published_approximate] == [
        date(2025, 6, 11),
        date(2025, 6, 10),
        date(2025, 6, 5),
        date(2025, 6, 5),
    ]
    for entry in entries:
        if entry.published_approximate:
            assert not isinstance(entry.published, datetime)
        assert "relative_age" in rules(entry)
        assert " ago" not in entry.text[:40]


def test_listing_without_an_anchor_leaves_ages_undated() -> None:
    text = (
        "Latest news with #Topic\n\nSome Paper\n3 hours ago\n- Politics\n- Some Paper\n"
        "A headline about something\nThe story text of this entry, long enough to be a paragraph.\n"
    )
    (entry,) = extract_text(text, "listing.txt")
    assert entry.published is None
    assert not entry.published_approximate
    assert entry.title == "A headline about something"


def test_listing_captions_with_credit_prefix_are_split_off() -> None:
    entries = extract_seed("004")
    assert entries[0].caption.startswith("South Korean President Lee Jae-myung speaks")
    assert entries[0].caption.endswith("(The Associated Press)")
    assert entries[0].text.startswith("Japan is eager to foster")
    assert entries[4].caption.startswith("Prime Minister Ishiba answers questions")
    assert entries[4].text.startswith("Prime Minister Shigeru Ishiba is seeking")
    assert entries[1].caption.endswith("(Takeshi Iwashita)")
    assert entries[1].byline == "Kei Kobayashi, and correspondent Akihiko Kaise"
    assert "This article was written" not in entries[1].text
    assert entries[3].caption is None
    assert entries[3].text.startswith("Lee Jae-myung, leader of South Korea's")


def test_unknown_layout_falls_back_to_generic_rules() -> None:
    text = "\n".join(
        [
            "Harbour Festival Draws Record Crowds",
            "2025-07-01",
            "",
            "The annual harbour festival drew more than forty thousand visitors on Sunday, "
            "organisers said, the largest crowd since it began.",
            "3 Comments",
            "Food stalls lined the waterfront and a fireworks display closed the evening "
            "to loud applause from families.",
            "Related stories",
            "City council approves new ferry route",
            "Museum reopens after renovation",
            "© 2025 Harbour Times",
            "Weather",
            "Sports",
        ]
    )
    (article,) = extract_text(text, "unknown.txt")
    assert article.layout == "generic"
    assert article.title == "Harbour Festival Draws Record Crowds"
    assert article.published == date(2025, 7, 1)
    assert len(article.body) == 2
    assert article.body[1].startswith("Food stalls lined the waterfront")
    for dropped in ("ferry", "Museum", "Harbour Times", "Comments", "Weather", "Sports"):
        assert dropped not in article.text
    assert {"date_header", "comment_count", "related", "copyright"} <= rules(article)


def test_generic_fallback_without_a_headline_keeps_all_prose() -> None:
    text = (
        "The council met on Monday to discuss the budget, which rose by four percent this year.\n"
        "Members agreed to revisit the transport plan in the autumn session of the council.\n"
    )
    (article,) = extract_text(text, "plain.txt")
    assert article.title is None
    assert len(article.body) == 2
    assert article.published is None


def test_known_layout_with_a_broken_header_falls_back_to_generic() -> None:
    text = "THE ASAHI SHIMBUN\nNo date line here at all, only a sentence that runs on.\n"
    (article,) = extract_text(text, "broken.txt")
    assert article.layout == "generic"
    assert article.published is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from(
                [
                    "Latest news with #Topic",
                    "THE ASAHI SHIMBUN",
                    " date 2025-06-04  Japan Today",
                    "15:33 JST, June 5, 2025",
                    "14 hours ago",
                    "2 days ago",
                    "",
                    "- Politics",
                    "Related Tags",
                    "JN ACCESS RANKING",
                    "-",
                    "© KYODO",
                    "99:99 JST, Foo 45, 2025",
                ]
            ),
        ),
        max_size=15,
    )
)
def test_any_text_extracts_without_raising(lines: list[str]) -> None:
    for article in extract_text("\n".join(lines), "fuzz.txt"):
        assert isinstance(article.body, tuple)
