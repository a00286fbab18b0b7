"""The index a generation is: analysis settings, field mappings and BM25 settings.

The analysis reproduces the project's one pipeline (searchsvc.analysis) with OpenSearch's own
parts, step for step:

    tokenize   `\\w+` words joined by apostrophes or hyphens stay one token (TOKEN_PATTERN); curly
               quotes and dash variants are mapped to ' and - first (a char filter, offsets kept)
    fold       lowercase, asciifolding, a possessive "'s" dropped, other apostrophes removed
    stop       analysis.STOP_WORDS on the whole token (so "in-depth" keeps its part "in")
    hyphens    word_delimiter_graph on hyphens only: the parts, plus the joined word at index time
    CJK        overlapping character bigrams of CJK runs (pattern_capture with a lookahead: the
               pattern tokenizer types every token "word", which cjk_bigram ignores)
    stem       Porter (porter_stem)

Query-side text goes through the same chain without the joined word, as on Whoosh, and a
word that analyses to several tokens is searched as a phrase (compile.py uses match_phrase).
"""

from __future__ import annotations

from searchsvc.analysis import STOP_WORDS

# analysis.TOKEN_PATTERN after the char filter below has unified quotes and dashes. `(?U)` gives
# Java's \w the Unicode meaning Python's has.
TOKEN_PATTERN = r"(?U)\w+(?:'\w+)*(?:-\w+(?:'\w+)*)*"
# A CJK run longer than two characters becomes its overlapping bigrams (analysis.CJK ranges).
CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
CJK_BIGRAMS = rf"(?=({CJK_CLASS}{{2}}))"
QUOTE_AND_DASH_MAPPINGS = [
    "\u2019=>'",
    "\u2018=>'",
    "`=>'",
    "\u00b4=>'",
    "\u02bc=>'",
    "\u2010=>-",
    "\u2011=>-",
    "\u2013=>-",
]
# Story fields searched as free text (the query language's default fields).
TEXT_FIELDS = ("title", "body", "caption")
# Query-language field → index field (schema.QUERY_FIELDS on Whoosh).
QUERY_FIELDS = {"title": "title", "outlet": "outlet_text", "category": "category_text"}
FACET_FIELDS = ("outlet", "category", "month", "day_label")
NO_DATE_NEWEST = 0
NO_DATE_OLDEST = 2**62


def analysis_settings(stem_overrides: list[str] | None = None) -> dict:
    """`stem_overrides`: "word => stem" rules applied before Porter (stems.py: Whoosh's stems
    where Lucene's Porter differs)."""
    hyphen_parts = {
        "type": "word_delimiter_graph",
        "generate_word_parts": True,
        "generate_number_parts": True,
        "split_on_case_change": False,
        "split_on_numerics": False,
        "stem_english_possessive": False,
        "preserve_original": False,
        # "_" is a word character for \w: only hyphens split a token.
        "type_table": ["_ => ALPHA"],
    }
    fold_chain = ["lowercase", "asciifolding", "possessive", "apostrophes"]
    return {
        "char_filter": {
            "quotes_and_dashes": {"type": "mapping", "mappings": QUOTE_AND_DASH_MAPPINGS}
        },
        "tokenizer": {"words": {"type": "pattern", "pattern": TOKEN_PATTERN, "group": 0}},
        "filter": {
            "possessive": {"type": "pattern_replace", "pattern": "'s$", "replacement": ""},
            "apostrophes": {"type": "pattern_replace", "pattern": "'", "replacement": ""},
            "stop_words": {"type": "stop", "stopwords": sorted(STOP_WORDS)},
            "hyphen_parts_and_joined": {**hyphen_parts, "catenate_all": True},
            "hyphen_parts": hyphen_parts,
            "cjk_bigrams": {
                "type": "pattern_capture",
                "preserve_original": False,
                "patterns": [CJK_BIGRAMS],
            },
            "no_empty": {"type": "length", "min": 1},
            "whoosh_stems": {"type": "stemmer_override", "rules": stem_overrides or ["_ => _"]},
        },
        "analyzer": {
            "story_index": _chain(
                [*fold_chain, "no_empty", "stop_words", "hyphen_parts_and_joined", "flatten_graph"]
                + ["cjk_bigrams", "whoosh_stems", "porter_stem"]
            ),
            "story_query": _chain(
                [*fold_chain, "no_empty", "stop_words", "hyphen_parts", "cjk_bigrams"]
                + ["whoosh_stems", "porter_stem"]
            ),
            "label_index": _chain(
                [*fold_chain, "no_empty", "hyphen_parts_and_joined", "flatten_graph"]
            ),
            "label_query": _chain([*fold_chain, "no_empty", "hyphen_parts"]),
        },
    }


def _chain(filters: list[str]) -> dict:
    return {
        "type": "custom",
        "char_filter": ["quotes_and_dashes"],
        "tokenizer": "words",
        "filter": filters,
    }


def mappings(meta: dict) -> dict:
    story_text = {
        "type": "text",
        "analyzer": "story_index",
        "search_analyzer": "story_query",
        "similarity": "story_bm25",
        "index_options": "offsets",
    }
    label_text = {"type": "text", "analyzer": "label_index", "search_analyzer": "label_query"}
    keyword = {"type": "keyword"}
    return {
        "dynamic": "strict",
        "_meta": meta,
        "properties": {
            "id": keyword,
            "title": story_text,
            "body": story_text,  # the headline and the text (schema.indexed_body)
            "caption": story_text,
            # The story's text alone, for snippets: never searched, highlighted only.
            "text": {**story_text, "norms": False},
            "outlet": keyword,
            "outlet_text": label_text,
            "category": keyword,
            "category_text": label_text,
            "month": keyword,
            "day_label": keyword,
            "day": {"type": "date", "format": "yyyy-MM-dd"},
            "newest": {"type": "long"},
            "oldest": {"type": "long"},
            "ordinal": {"type": "long"},  # write order: ties go as on Whoosh (docnum order)
            "cluster": keyword,  # the cluster's id, or the story's own for a lone story
            "clustered": {"type": "boolean"},
            "story": {"type": "object", "enabled": False},  # the stored record
            "cluster_stories": {"type": "object", "enabled": False},
        },
    }


def index_body(  # noqa: PLR0913 - one value per setting
    shards: int,
    replicas: int,
    k1: float,
    b: float,
    meta: dict,
    stem_overrides: list[str] | None = None,
) -> dict:
    """The create-index request for one generation."""
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Written once, then read: no refresh while bulk loading (write() refreshes).
                "refresh_interval": "-1",
                "max_result_window": 1_000_000,
                "similarity": {
                    # Whoosh counts the joined form of a hyphenated word in the length too.
                    "story_bm25": {"type": "BM25", "k1": k1, "b": b, "discount_overlaps": False}
                },
                "analysis": analysis_settings(stem_overrides),
            }
        },
        "mappings": mappings(meta),
    }
