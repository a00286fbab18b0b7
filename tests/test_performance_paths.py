"""The fast search and build paths give the same answers as the slow, obvious ones (seed index)."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.collectors import TermsCollector, TopCollector

from searchsvc.analysis import TOKEN_PATTERN
from searchsvc.engines.whoosh import execution as search_module
from searchsvc.engines.whoosh import explain, snippets, surface
from searchsvc.engines.whoosh.analysis import (
    QUERIED,
    _expand,
    _expand_reference,
    english_analyzer,
    english_pipeline,
    indexed_units,
    word_expansion,
)
from searchsvc.engines.whoosh.compiling import FilterRule, QueryCompiler
from searchsvc.engines.whoosh.engine import WhooshEngine
from searchsvc.engines.whoosh.postings import PostingsCache, evaluate
from searchsvc.engines.whoosh.ranking import natural_query, weighting
from searchsvc.engines.whoosh.snippets import best_passage
from searchsvc.extract.article import normalise_for_identity
from searchsvc.indexing import pipeline as indexer
from searchsvc.model import Filters
from searchsvc.query import parse
from searchsvc.ranking import DEFAULT_RANKING, searchable_words
from searchsvc.search import SearchRequest, search
from tests.support.reliability import filler_stories

WEIGHTING = weighting(DEFAULT_RANKING)

QUERIES = [
    "korea",
    "ishiba summit",
    '"shuttle diplomacy"',
    "abduct*",
    "lee OR ishiba",
    "japan -korea",
]
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
TRICKY = "The Jae-myung's talks — Osaka-Kansai 東京都庁 it's THE end; Café résumé ’s x--y"


def seed_texts() -> list[str]:
    return [p.read_text("utf-8", "replace") for p in sorted(SEEDS.iterdir()) if p.is_file()]


@pytest.mark.parametrize("mode", ["index", "query"])
@pytest.mark.parametrize("removestops", [True, False])
def test_fused_analyzer_yields_the_pipelines_tokens(mode, removestops):
    def tokens(analyzer, text):
        return [
            (t.text, t.pos, t.startchar, t.endchar, t.stopped)
            for t in analyzer(text, positions=True, chars=True, mode=mode, removestops=removestops)
        ]

    for text in [*seed_texts(), TRICKY]:
        assert tokens(english_analyzer(), text) == tokens(english_pipeline(), text)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab_1 '’‘`´-‐‑–.,é東\n", max_size=24))
def test_the_token_pattern_cuts_as_its_longhand_form(text):
    """TOKEN_PATTERN ("word, then joiner and word, repeated") against the form it replaced
    (apostrophe parts, then hyphen groups with their own apostrophe parts)."""
    longhand = re.compile(r"\w+(?:['’‘`´][\w]+)*(?:[-‐‑–][\w]+(?:['’‘`´][\w]+)*)*")
    assert [m.span() for m in TOKEN_PATTERN.finditer(text)] == [
        m.span() for m in longhand.finditer(text)
    ]


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab_1 '’-–.\\é", max_size=24))
def test_snippet_matches_are_the_tokens_a_whole_text_pass_finds(text):
    wanted = frozenset({"ab", "b", "a_1"})
    assert snippets._matches(text, wanted) == [
        m.span()
        for m in TOKEN_PATTERN.finditer(text)
        if not wanted.isdisjoint(unit for unit, *_ in word_expansion(m.group(), True)[1])
    ]


# Words whose stems end differently from them, words inside other words, joined words, stop
# words, words with non-ASCII and underscores, and a term too short to look for ("ai" → "a").
SURFACE_WORDS = [
    "Making", "make", "happy", "HAPPI", "employability", "disability", "relational", "oil",
    "turmoil", "e-mail", "email", "Jae-myung", "don’t", "Korea's", "café", "東京都庁", "a_1",
    "The", "said", "agreed", "possibly", "AI", "x", "1990s",
]  # fmt: skip
SURFACE_TERMS = [
    frozenset(units) for word in SURFACE_WORDS for units in (indexed_units(word),) if units
]


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SURFACE_WORDS),
            st.sampled_from(["", " ", "-", "'", "’", "–", "_", ", ", "\n", ". ", "--"]),
        ),
        max_size=12,
    ),
    st.lists(st.sampled_from(SURFACE_TERMS), min_size=1, max_size=3),
)
def test_surface_forms_find_the_tokens_a_whole_text_pass_finds(pieces, term_sets):
    """Looking for the terms' surface forms (surface.py) against reading every word: the same
    matched tokens for snippets, the same passage and the same matched words."""
    text = "".join(word + gap for word, gap in pieces)
    wanted = frozenset().union(*term_sets)
    found = snippets.found_matches(text, wanted)
    if found is not None:
        matched, analysed = found
        assert matched == snippets._matches(text, wanted)
        assert analysed >= {
            m.start() for m in TOKEN_PATTERN.finditer(text) if not surface.is_plain(m.group())
        }
    assert snippets.passage_of(text, wanted) == snippets._passage(
        text, wanted, snippets._matches(text, wanted), None
    )
    assert explain.surface_words(text, set(wanted)) == explain._surface_words_by_reading(
        text, wanted
    )


def test_every_plain_word_giving_a_stem_starts_with_its_key():
    """The property surface.candidates rests on, over the seed stories' words and words that
    Porter ends differently (y → i, -ing → -e, -bility → -ble)."""
    words = {w for text in seed_texts() for w in TOKEN_PATTERN.findall(text)} | {
        *SURFACE_WORDS, "abilities", "sensibility", "humbly", "conflated", "hoping", "rarely",
        "asphyxiation", "urgency", "activity", "organization", "generator", "technologies",
    }  # fmt: skip
    checked = 0
    for word in sorted(w for w in words if surface.is_plain(w)):
        for units in (indexed_units(word), QUERIED.units_of(word)):
            for term in units:
                key = surface.stem_key(term)
                assert key is None or word.lower().startswith(key), (word, term, key)
                checked += key is not None
    assert checked > 500


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["a", "The", "of", "s", "S", "ing", "ed", "y", "Jae", "myung", "1", "_", "é", "東京"]
            + list("'’‘`´‐‑–-")
        ),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_a_word_s_expansion_is_the_reference_pipeline_s(pieces, indexing):
    """analysis._expand's shortcuts (plain words, joined words of ASCII parts) against running
    the reference pipeline, for every token of the text the pieces make."""
    for word in TOKEN_PATTERN.findall("".join(pieces)):
        assert _expand(word, indexing) == _expand_reference(word, indexing), word


def test_identity_folding_equals_folding_every_character():
    """normalise_for_identity walks only non-ASCII runs (analysis.strip_accents): the same as
    decomposing the whole text and dropping every combining mark."""
    every_character = "".join(chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c < 0xE000)
    for text in [*seed_texts(), TRICKY, "ﬁ ½ Ü", every_character]:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        assert normalise_for_identity(text) == re.sub(r"[\W_]+", " ", plain.lower()).strip()


def compiled(opened, q: str):
    return QueryCompiler(opened.searcher.reader(), 256).compile(parse(q))


@pytest.mark.parametrize("q", QUERIES)
def test_totals_top_hits_and_terms_equal_the_exhaustive_search(opened, q):
    """Block-max top N and the unscored count against scoring every match with TermsCollector."""
    result = search(opened, SearchRequest(q=q).validate())
    if result.mode != "all":
        pytest.skip("widened or natural-language query")
    collector = TermsCollector(TopCollector(limit=10, usequality=False, replace=0))
    opened.searcher.search_with_collector(compiled(opened, q), collector)
    slow = collector.results()
    assert result.total == len(slow)
    assert [h.id for h in result.hits] == [hit["id"] for hit in slow]
    for hit, slow_hit in zip(result.hits, slow, strict=True):
        assert hit.score == round(slow_hit.score, 4)


def test_facets_equal_a_count_over_every_stored_story(opened):
    result = search(opened, SearchRequest(q="").validate())
    stored = list(opened.searcher.all_stored_fields())
    assert result.total == len(stored)
    for facet in ("outlet", "category", "month"):
        expected = Counter(s[facet] for s in stored if s.get(facet))
        assert {f["value"]: f["count"] for f in result.facets[facet]} == dict(expected)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sorting_by_date_matches_whoosh_sorting_collector(opened, sort):
    result = search(opened, SearchRequest(q="korea", sort=sort).validate())
    slow = opened.searcher.search(
        compiled(opened, "korea"), sortedby=sort, reverse=sort == "newest", limit=10
    )
    assert result.total == len(slow)
    assert [h.id for h in result.hits] == [hit["id"] for hit in slow]


def test_parallel_extraction_equals_serial(monkeypatch):
    files = indexer.seed_files(SEEDS, [])
    serial = indexer.extract_many(files, 20 * 1024 * 1024)
    monkeypatch.setattr(indexer, "PARALLEL_EXTRACT", 1)
    assert indexer.extract_many(files, 20 * 1024 * 1024) == serial


def test_incremental_build_answers_like_a_full_build(seeds_copy, tmp_path):
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    indexer.build(seeds_copy, incremental)
    changed = sorted(p for p in seeds_copy.iterdir() if p.suffix == ".txt")[0]
    changed.write_text(changed.read_text("utf-8") + "\n\nA correction about Kananaskis.\n", "utf-8")
    indexer.build(seeds_copy, incremental)
    indexer.build(seeds_copy, full, full=True)
    answers = []
    for root in (incremental, full):
        handle = WhooshEngine(root)
        opened = handle.live()
        results = [search(opened, SearchRequest(q=q).validate()) for q in [*QUERIES, "kananaskis"]]
        answers.append([(r.total, [h.id for h in r.hits], r.facets) for r in results])
        assert opened.built_from()[0]
        handle.close()
    assert answers[0] == answers[1]


FAST_REQUESTS = [
    SearchRequest(q="korea"),
    SearchRequest(q="ishiba summit"),
    SearchRequest(q="lee OR ishiba"),
    SearchRequest(q="japan -korea"),
    SearchRequest(q="abduct*"),
    SearchRequest(q="korea", per_page=3, page=2),
    SearchRequest(q="japan", sort="newest"),
    SearchRequest(q="japan", sort="oldest"),
    SearchRequest(q="japan", date_from=date(2025, 6, 9), date_to=date(2025, 6, 30)),
]


@pytest.mark.parametrize("request_", FAST_REQUESTS, ids=lambda r: f"{r.q}-{r.sort}-{r.page}")
def test_postings_path_equals_the_matcher_path(opened, request_, monkeypatch):
    """Cached-postings answers (postings.py) against Whoosh's matchers scoring every match."""
    fast = search(opened, request_.validate())
    main = compiled(opened, request_.q)
    assert evaluate(PostingsCache(opened.searcher), main, WEIGHTING) is not None
    monkeypatch.setattr(search_module, "fast_outcome", lambda *args, **kwargs: None)
    slow = search(opened, request_.validate())
    assert (fast.total, fast.facets) == (slow.total, slow.facets)
    if request_.sort == "relevance":  # the matcher path's top N is checked above against all
        opened.searcher.weighting = WEIGHTING
        every = opened.searcher.search(
            main, filter=FilterRule(Filters.of(request_)).query(), limit=None
        )
        best = sorted(((h.score, h.docnum) for h in every), key=lambda sd: (-sd[0], sd[1]))
        shown = best[(request_.page - 1) * request_.per_page :][: request_.per_page]
        expected = [(opened.searcher.stored_fields(d)["id"], round(s, 4)) for s, d in shown]
        assert [(h.id, h.score) for h in fast.hits] == expected
    else:
        assert [(h.id, h.snippet) for h in fast.hits] == [(h.id, h.snippet) for h in slow.hits]


def test_snippets_equal_whooshs_highlighter(opened, monkeypatch):
    """snippets.best_passage against Highlighter.highlight_hit over every shown hit."""
    seen = []

    def both(hit, field_name, text):
        ours = best_passage(hit, field_name, text)
        whooshs = snippets._HIGHLIGHTER.highlight_hit(hit, field_name, text=text, top=1)
        seen.append((ours, whooshs))
        return ours

    monkeypatch.setattr(snippets, "best_passage", both)
    for q in [*QUERIES, "kananaskis", "korea japan summit", "G7", "jae-myung", "東京"]:
        search(opened, SearchRequest(q=q, per_page=20).validate())
    assert len(seen) >= 20
    assert sum("<mark>" in ours for ours, _ in seen) >= 20
    assert [ours for ours, _ in seen] == [whooshs for _, whooshs in seen]


def test_natural_language_with_feedback_equals_whoosh_scoring_every_match(tmp_path):
    """Past the feedback head (ranking.HeadFirst), on stories the head cannot hold."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    filler_stories(seeds, 120)
    indexer.build(seeds, tmp_path / "index")
    handle = WhooshEngine(tmp_path / "index")
    opened = handle.live()
    text = "tokyo seoul summit trade treaty railway"
    result = search(opened, SearchRequest(q=text, per_page=60).validate())
    assert result.mode == "natural" and result.total > 60
    natural = opened.scoring(weighting(DEFAULT_RANKING, "natural"))
    q = natural_query(searchable_words(text), DEFAULT_RANKING, natural, 60)
    every = natural.search(q, limit=None)
    assert len(every) == result.total
    best = sorted((round(h.score, 4) for h in every), reverse=True)[:60]
    assert [h.score for h in result.hits] == best
    handle.close()
