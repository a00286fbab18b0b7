"""The Whoosh engine's fast paths against Whoosh's own answers, on a realistic index.

The index is ~1,500 real news articles (../shared/data/news, make_corpus.py) built in three
incremental steps, so it has three segments, deleted documents (files removed and changed) and
posting lists of many blocks: the branches the 7-story seed index never reaches. Compared:
cached-postings scores and totals with Whoosh's scoring of every match (same model), the
segment writer with Whoosh's SegmentWriter, and snippets with Whoosh's highlighter.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.searching import Results
from whoosh.writing import SegmentWriter

from searchsvc.analysis import TOKEN_PATTERN
from searchsvc.engines.whoosh import execution, explain, snippets, surface
from searchsvc.engines.whoosh.analysis import QUERIED, indexed_units
from searchsvc.engines.whoosh.compiling import QueryCompiler
from searchsvc.engines.whoosh.engine import WhooshEngine, WhooshGeneration
from searchsvc.engines.whoosh.execution import CachedTerms, attach_matched_terms
from searchsvc.engines.whoosh.postings import (
    PostingsCache,
    PostingsStore,
    Scored,
    evaluate,
    top,
)
from searchsvc.engines.whoosh.ranking import natural_query, weighting
from searchsvc.engines.whoosh.schema import build_schema, story_document
from searchsvc.engines.whoosh.segments import FastSegmentWriter, commit_with, write_segments
from searchsvc.indexing.pipeline import build
from searchsvc.model import SearchRequest
from searchsvc.query import parse
from searchsvc.ranking import DEFAULT_RANKING, searchable_words
from searchsvc.search import search
from tests.support import make_news_files
from tests.support.segments import segment_bytes, write_with

pytestmark = pytest.mark.slow

FILES = 1500
KEYWORD_QUERIES = [
    "said",
    "market",
    "government",
    "oil prices",
    "bank OR market",
    "market -oil",
    "year",
    "shares rose",
    "econom*",
]
SENTENCE = "central bank raises interest rates to fight inflation in the economy"


@pytest.fixture(scope="session")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> WhooshGeneration:
    """Built once per session: 600 files, then 500 more, then the rest with 20 files removed
    and 20 changed (deleted and re-added); three segments, the first with deletions."""
    folder = tmp_path_factory.mktemp("realistic")
    corpus, seeds, root = folder / "corpus", folder / "seeds", folder / "index"
    make_news_files(corpus, FILES)
    files = sorted(corpus.iterdir())
    seeds.mkdir()
    for start, stop in ((0, 600), (600, 1100), (1100, FILES)):
        for path in files[start:stop]:
            shutil.copy(path, seeds / path.name)
        if stop == FILES:
            for path in files[0:40:2]:
                (seeds / path.name).unlink()
            for path in files[41:100:3]:
                changed = seeds / path.name
                changed.write_text(changed.read_text("utf-8") + "\n\nA correction.\n", "utf-8")
        build(seeds, root)
    engine = WhooshEngine(root)
    yield engine.live()
    engine.close()


def test_the_index_has_segments_deletions_and_long_posting_lists(realistic):
    leaves = realistic.searcher.reader().leaf_readers()
    assert len(leaves) >= 3
    assert any(reader.has_deletions() for reader, _ in leaves)
    reader = realistic.searcher.reader()
    assert reader.doc_frequency("body", "said") > 4 * 128  # W3 posting blocks hold 128


def whoosh_scores(generation: WhooshGeneration, q, model) -> dict[int, float]:
    every = generation.scoring(model).search(q, limit=None)
    return {hit.docnum: hit.score for hit in every}


def assert_same_scores(scored: Scored, whooshs: dict[int, float]) -> None:
    ours = scored.as_dict()
    assert ours.keys() == whooshs.keys()
    assert all(abs(ours[d] - whooshs[d]) < 1e-6 for d in ours)


@pytest.mark.parametrize("text", KEYWORD_QUERIES)
def test_cached_postings_score_every_match_as_whoosh_does(realistic, text):
    model = weighting(DEFAULT_RANKING)
    q = QueryCompiler(realistic.searcher.reader(), 256).compile(parse(text))
    ours = evaluate(PostingsCache(realistic.searcher), q, model)
    assert ours is not None, "expected the cached-postings path"
    whooshs = whoosh_scores(realistic, q, model)
    assert len(whooshs) > 0
    assert_same_scores(ours, whooshs)
    result = search(realistic, SearchRequest(q=text, per_page=20).validate(), time_limit_s=None)
    best = sorted(whooshs.items(), key=lambda ds: (-ds[1], ds[0]))[:20]
    stored = realistic.searcher.stored_fields
    assert result.total == len(whooshs)
    assert [h.id for h in result.hits] == [stored(d)["id"] for d, _ in best]
    assert [h.score for h in result.hits] == [round(s, 4) for _, s in best]


@pytest.mark.parametrize("text", [*KEYWORD_QUERIES, SENTENCE])
def test_matched_terms_read_from_cached_postings_equal_the_matcher_walk(realistic, text):
    """attach_matched_terms' two ways of finding a hit's terms give the same answer."""
    words = searchable_words(text)
    plan_mode = "natural" if len(words) >= DEFAULT_RANKING.natural_min_words else "all"
    model = weighting(DEFAULT_RANKING, plan_mode)
    searcher = realistic.scoring(model)
    if plan_mode == "natural":
        q = natural_query(words, DEFAULT_RANKING, searcher, depth=100)
    else:
        q = QueryCompiler(searcher.reader(), 256).compile(parse(text))
    scores = evaluate(realistic.caches.postings, q, model)
    results = Results(searcher, q, top(scores, 30))
    docnums = [results.docnum(n) for n in range(results.scored_length())]
    attach_matched_terms(results, docnums, CachedTerms(realistic.caches.postings, q, model))
    cached = {docnum: sorted(terms) for docnum, terms in results.docterms.items()}
    attach_matched_terms(results, docnums)
    assert {docnum: sorted(terms) for docnum, terms in results.docterms.items()} == cached
    assert sum(len(terms) for terms in cached.values()) >= len(docnums)


def test_natural_language_with_feedback_scores_as_whoosh_does(realistic):
    model = weighting(DEFAULT_RANKING, "natural")
    natural = realistic.scoring(model)
    q = natural_query(searchable_words(SENTENCE), DEFAULT_RANKING, natural, depth=100)
    ours = evaluate(PostingsCache(realistic.searcher), q, model)
    assert ours is not None
    assert_same_scores(ours, whoosh_scores(realistic, q, model))


def test_the_segment_writer_writes_whoosh_s_bytes(realistic, tmp_path):
    stories = sorted(realistic.stories(), key=lambda story: story.id)
    for name, writer_class in (("whoosh", SegmentWriter), ("fast", FastSegmentWriter)):
        write_with(tmp_path / name, stories, writer_class)
    assert segment_bytes(tmp_path / "fast") == segment_bytes(tmp_path / "whoosh")


def postings_by_id(folder: Path) -> tuple[dict, dict]:
    """Every (field, term) → {story id: (frequency, positions)}, and stored fields by id."""
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        postings = {}
        for field_name, term in reader.all_terms():
            matcher = reader.postings(field_name, term)
            found = {}
            while matcher.is_active():
                wanted = matcher.supports("positions")
                positions = tuple(matcher.value_as("positions")) if wanted else ()
                found[ids[matcher.id()]] = (matcher.weight(), positions)
                matcher.next()
            postings[(field_name, term)] = found
        stored = {fields["id"]: fields for _, fields in reader.iter_docs()}
    ix.close()
    return postings, stored


def test_the_parallel_segment_writers_index_what_whoosh_s_writer_does(realistic, tmp_path):
    stories = sorted(realistic.stories(), key=lambda story: story.id)
    write_with(tmp_path / "whoosh", stories, SegmentWriter)
    folder = tmp_path / "parallel"
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = FastSegmentWriter(ix)
    commit_with(writer, write_segments(ix, stories, story_document, 2))
    ix.close()
    assert postings_by_id(folder) == postings_by_id(tmp_path / "whoosh")


def test_snippets_equal_whooshs_highlighter(realistic, monkeypatch):
    seen = []
    best_passage = snippets.best_passage

    def both(hit, field_name, text):
        ours = best_passage(hit, field_name, text)
        seen.append((ours, snippets._HIGHLIGHTER.highlight_hit(hit, field_name, text=text, top=1)))
        return ours

    monkeypatch.setattr(snippets, "best_passage", both)
    for text in [*KEYWORD_QUERIES, '"interest rates"', SENTENCE]:
        search(realistic, SearchRequest(q=text, per_page=30).validate(), time_limit_s=None)
    assert len(seen) >= 200
    assert sum("<mark>" in ours for ours, _ in seen) >= 200
    assert [ours for ours, _ in seen] == [whooshs for _, whooshs in seen]


FAST_PATH_REQUESTS = [
    SearchRequest(q="oil prices", per_page=20),  # AND
    SearchRequest(q="bank OR market OR shares", per_page=20),  # OR
    SearchRequest(q="market -oil -bank", per_page=20),  # NOT
    SearchRequest(q="(bank OR market) -oil", per_page=20),
    SearchRequest(q="said", per_page=20, page=3),
    SearchRequest(q="market", sort="newest", per_page=20),
    SearchRequest(q="oil OR bank", sort="oldest", per_page=20),
    SearchRequest(q="econom*", per_page=20),
    SearchRequest(q=SENTENCE, per_page=40),  # natural, with feedback
]


def requests_with_filters(realistic) -> list[SearchRequest]:
    outlets = realistic.labels("outlet")[:2]
    categories = realistic.labels("category")[:1]
    months = realistic.labels("month")
    month = months[len(months) // 2]
    last_day = date.fromisoformat(f"{months[-1]}-28")
    return [
        SearchRequest(q="market", outlet=outlets, per_page=20),
        SearchRequest(q="bank OR oil", category=categories, per_page=20),
        SearchRequest(q="said", date_from=date.fromisoformat(f"{month}-01"), date_to=last_day),
    ]


def test_the_array_path_answers_as_the_matcher_path(realistic, monkeypatch):
    """Totals, hits, scores, facets and snippets of the postings path (numpy arrays) against
    the matcher path (Whoosh's own matchers) for AND, OR, NOT, filters, sorts, natural mode."""
    requests = [*FAST_PATH_REQUESTS, *requests_with_filters(realistic)]
    fast = [search(realistic, r.validate(), time_limit_s=None) for r in requests]
    monkeypatch.setattr(execution, "fast_outcome", lambda *args, **kwargs: None)
    slow = [search(realistic, r.validate(), time_limit_s=None) for r in requests]
    for request, ours, whooshs in zip(requests, fast, slow, strict=True):
        assert ours.total == whooshs.total, request
        assert ours.total > 0, request
        assert ours.facets == whooshs.facets, request
        assert [(h.id, h.score, h.snippet) for h in ours.hits] == [
            (h.id, h.score, h.snippet) for h in whooshs.hits
        ], request


def test_a_new_generation_reuses_the_decoded_postings_of_unchanged_segments(realistic):
    """A second opening of the same segments (as an incremental build's generation reuses the
    previous one's) reads every raw posting list from the store, decoding none again."""
    store = PostingsStore()
    first = PostingsCache(realistic.searcher, store)
    model = weighting(DEFAULT_RANKING)
    before = first.term("body", "market", model, 1.0)
    raw = {k for k in store._entries if k[0] == "segment"}
    assert len(raw) >= 3
    again = WhooshEngine(realistic.folder.root)
    try:
        second = PostingsCache(again.live().searcher, store)
        assert second.token != first.token
        after = second.term("body", "market", model, 1.0)
        assert {k for k in store._entries if k[0] == "segment"} == raw
        assert after.as_dict() == before.as_dict()
    finally:
        again.close()
    first.close()
    assert all(k[0] != first.token for k in store._entries)


def test_a_new_generation_reuses_the_label_columns_of_unchanged_segments(realistic):
    """Label columns are read per segment into the shared store: a second opening of the same
    segments reads none again, and the columns equal Whoosh's own over the whole index."""
    from searchsvc.engines.whoosh.reading import GenerationCaches

    store = PostingsStore()
    first = GenerationCaches(realistic.folder, realistic.searcher, store)
    names = ("outlet", "category", "month", "day_label")
    before = {name: list(first.labels_column(name)) for name in names}
    kept = {k: v[0] for k, v in store._entries.items() if "column" in k}
    assert len(kept) >= 3 * len(names)  # every segment's column of every label
    reader = realistic.searcher.reader()
    for name in names:  # Whoosh reading the whole index at once
        assert before[name] == list(reader.column_reader(name, translate=True))
    again = WhooshEngine(realistic.folder.root)
    try:
        searcher = again.live().searcher
        assert searcher is not realistic.searcher
        second = GenerationCaches(realistic.folder, searcher, store)
        assert {name: second.labels_column(name) for name in names} == before
        # Nothing read again: the very lists stored by the first generation, and no others.
        after = {k: v[0] for k, v in store._entries.items() if "column" in k}
        assert after.keys() == kept.keys()
        assert all(after[k] is kept[k] for k in kept)
    finally:
        again.close()


def test_the_store_keeps_to_its_byte_budget(realistic):
    store = PostingsStore(budget_bytes=64 * 1024)
    cache = PostingsCache(realistic.searcher, store)
    model = weighting(DEFAULT_RANKING)
    for word in ("said", "market", "bank", "oil", "year", "government", "price", "share"):
        assert len(cache.term("body", word, model, 1.0)) > 0
        assert store.size <= store.budget or len(store) == 1
    assert store.size <= store.budget


def test_snippet_jumps_give_the_whole_text_walk_s_passages(realistic):
    """The fragmenter jumping over idle stretches against it reading every word, on every
    story and rare and common words alike."""
    texts = [story.text for story in realistic.stories() if story.text]
    jumped = 0
    for words in ({"oil"}, {"gorbachev"}, {"bank", "rate"}, {"said"}, {"world", "cup"}):
        wanted = frozenset(words)
        for text in texts:
            matches = snippets._matches(text, wanted)
            assert matches == [
                m.span()
                for m in TOKEN_PATTERN.finditer(text)
                if not wanted.isdisjoint(indexed_units(m.group()))
            ]

            def passage(jumps, text=text, wanted=wanted):
                tokens = snippets._fragments(
                    text, lambda at: snippets._merged(text, wanted, at), 240, 80, jumps
                )
                return [(f.startchar, f.endchar, len(f.matches)) for f in tokens if f.matches]

            try:
                assert passage(matches) == passage([])
                jumped += bool(matches)
            except snippets._JumpUnsafe:
                pass
    assert jumped > 500


def story_terms(text: str) -> list[frozenset[str]]:
    """Term sets to look for in a story: some of its own words (every 40th, and its first few
    words that are not plain: joined, non-ASCII), alone and with common words."""
    words = TOKEN_PATTERN.findall(text)
    picked = words[::40] + [w for w in words if not surface.is_plain(w)][:4]
    sets = [frozenset(indexed_units(w)) for w in picked if indexed_units(w)]
    common = frozenset({"said", "year", "oil", "bank", "rate", "ai"})
    return sets + [terms | common for terms in sets[:2]]


def test_passages_and_matched_words_from_surface_forms_equal_reading_every_word(realistic):
    """snippets.passage_of and explain.surface_words, which look for the terms' surface forms
    (surface.py), against reading every word of the text, on every story of the realistic
    index with terms taken from the story itself."""
    narrowed = checked = marked = 0
    for story in realistic.stories():
        for terms in story_terms(story.text or ""):
            text = story.text
            ours = snippets.passage_of(text, terms)
            assert ours == snippets._passage(text, terms, snippets._matches(text, terms), None)
            words = explain.surface_words(text, set(terms))
            assert words == explain._surface_words_by_reading(text, terms), (terms, words)
            narrowed += surface.candidates(text, terms) is not None
            checked += 1
            marked += "<mark>" in ours
    assert checked > 10_000
    assert marked > 0.9 * checked
    assert 0.6 * checked < narrowed < checked  # both ways taken


def test_every_plain_word_of_the_stories_starts_with_its_stem_s_key(realistic):
    """The property surface.candidates rests on, over every word of the realistic stories."""
    words = {
        word
        for story in realistic.stories()
        for word in TOKEN_PATTERN.findall(story.text or "")
        if surface.is_plain(word)
    }
    assert len(words) > 10_000
    for word in words:
        for term in (*indexed_units(word), *QUERIED.units_of(word)):
            key = surface.stem_key(term)
            assert key is None or word.lower().startswith(key), (word, term, key)


def test_a_result_s_dict_is_what_asdict_gives(realistic):
    for request in (SearchRequest(q="market", explain=True), SearchRequest(q="oil prices")):
        result = search(realistic, request.validate(), time_limit_s=None)
        assert result.to_dict() == dataclasses.asdict(result)
        assert result.to_dict()["facets"]["month"] is not result.facets["month"]
