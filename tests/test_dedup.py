"""Near-duplicate merging on the real seed scrapes: 5 files → 9 articles → 7 stories."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from searchsvc.extract.article import Article
from searchsvc.extract.text import extract_text
from searchsvc.indexing.dedup import (
    containment,
    deduplicate,
    merge_duplicates,
    normalise_for_shingles,
    shingles,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
LISTING = "004_61a9e09eb2a5f23a.txt"


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return [
        article
        for path in sorted(SEEDS.glob("*.txt"))
        for article in extract_text(path.read_text(encoding="utf-8"), path.name)
    ]


@pytest.fixture(scope="module")
def stories(articles: list[Article]) -> dict[str, Article]:
    """The merged stories keyed by their canonical source: "000", "004#1", …"""
    return {_short(story.source_file): story for story in merge_duplicates(articles)}


def _short(source_file: str) -> str:
    return source_file[:3] + "".join(source_file.partition("#")[1:])


def test_nine_articles_become_seven_stories(articles: list[Article]) -> None:
    assert len(articles) == 9
    result = deduplicate(articles)
    assert len(result.stories) == 7
    assert result.merged == 2


def test_yomiuri_page_and_listing_copy_merge_into_the_page(stories: dict[str, Article]) -> None:
    story = stories["000"]
    assert story.source_file == "000_20ed3aca2b42eea2.txt"
    assert story.also_in == ("000_20ed3aca2b42eea2.txt", f"{LISTING}#5")
    assert story.title.startswith("Japanese PM Ishiba Seeks Early Summit with South Korea’s Lee")
    assert story.outlet == "Yomiuri Shimbun"
    assert story.published == datetime(2025, 6, 5, 15, 33, tzinfo=story.published.tzinfo)
    assert story.published.utcoffset() == timedelta(hours=9)
    assert not story.published_approximate
    assert len(story.body) == 11  # the full copy's paragraphs, not the listing's flat text
    assert "(The Yomiuri Shimbun)" not in (story.caption or "")


def test_asahi_page_takes_the_listing_title_and_keeps_its_exact_date(
    stories: dict[str, Article], articles: list[Article]
) -> None:
    story = stories["002"]
    assert story.title == "Ishiba, Lee share hopes for early meeting in first phone talks"
    assert story.outlet == "Asahi Shimbun"
    assert story.category == "Politics"
    assert story.byline == "Kei Kobayashi, and correspondent Akihiko Kaise"
    assert story.published == datetime(2025, 6, 9, 18, 37, tzinfo=story.published.tzinfo)
    assert story.published.utcoffset() == timedelta(hours=9)
    assert not story.published_approximate
    assert story.also_in == ("002_2a72f63a537e7d46.txt", f"{LISTING}#2")
    page = next(a for a in articles if a.source_file.startswith("002"))
    assert story.id == page.id
    assert story.body == page.body


def test_stories_that_share_only_topic_words_stay_apart(stories: dict[str, Article]) -> None:
    titles = {story.title for story in stories.values()}
    assert len(titles) == 7
    trust = stories["004#1"]
    assert trust.title.startswith("Japan Looks to Boost Trust")
    assert trust.also_in == ()
    assert trust.source_file == f"{LISTING}#1"
    assert trust.published == date(2025, 6, 11) and trust.published_approximate


def test_unmerged_stories_keep_their_own_fields(stories: dict[str, Article]) -> None:
    by_outlet = {story.outlet: story for story in stories.values() if not story.also_in}
    assert by_outlet["Japan Today"].published == date(2025, 6, 4)
    assert by_outlet["Jiji Press"].published.replace(tzinfo=None) == datetime(2025, 6, 9, 16, 21)
    assert by_outlet["The Mainichi"].category == "Business"
    assert stories["003"].published.replace(tzinfo=None) == datetime(2025, 6, 18, 15, 46)


def test_result_does_not_depend_on_input_order(articles: list[Article]) -> None:
    expected = merge_duplicates(articles)
    shuffler = random.Random(20250609)
    for _ in range(10):
        shuffled = list(articles)
        shuffler.shuffle(shuffled)
        assert merge_duplicates(shuffled) == expected


def test_ids_are_stable_and_unique(articles: list[Article]) -> None:
    merged = merge_duplicates(articles)
    assert len({story.id for story in merged}) == len(merged)
    assert [s.id for s in merge_duplicates(list(reversed(articles)))] == [s.id for s in merged]


def test_quotes_and_a_leading_photo_credit_do_not_matter(articles: list[Article]) -> None:
    page = next(a for a in articles if a.source_file.startswith("003"))
    straight = " ".join(page.body).replace("“", '"').replace("”", '"').replace("’", "'")
    retyped = Article(
        title=None,
        body=(f"The Associated Press {page.caption} {straight}",),
        source_file="copy.txt",
    )
    assert containment(shingles(page.text), shingles(retyped.text)) == 1.0
    for order in ([retyped, page], [page, retyped]):
        (story,) = merge_duplicates(order)
        assert story.id == page.id  # the caption in front does not make the copy "longer"
        assert story.body == page.body
        assert story.title == page.title
        assert story.published == page.published
        assert story.also_in == ("003_377e5374b61a864d.txt", "copy.txt")


def test_a_credit_word_alone_is_ignored_at_the_front() -> None:
    assert normalise_for_shingles("The Yomiuri Shimbun Prime Minister’s Office") == [
        "prime",
        "minister",
        "s",
        "office",
    ]
    assert shingles("Kyodo “Ishiba’s talks” went well today") == shingles(
        '"Ishiba\'s talks" went well today'
    )


def test_a_short_excerpt_is_contained_in_the_full_story(articles: list[Article]) -> None:
    page = next(a for a in articles if a.source_file.startswith("001"))
    excerpt = Article(title="Excerpt", body=page.body[:3], source_file="excerpt.txt")
    (story,) = merge_duplicates([page, excerpt])
    assert story.id == page.id
    assert story.title == page.title
    assert story.body == page.body


def test_empty_input() -> None:
    assert merge_duplicates([]) == []
    assert deduplicate([]).merged == 0
