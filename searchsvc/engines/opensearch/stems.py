"""Stemming as the Whoosh engine stems, on OpenSearch: Whoosh's Porter stemmer is not Lucene's.

Whoosh 2.7's Porter (whoosh.lang.porter) differs from Lucene's `porter_stem` on about 3 % of
news words: "added" add/ad, "preferred" preferr/prefer, "estimated" estimat/estim, "employment"
employment/employ, "physical" physical/physic. A story holding "preferred" would then match
`preferr` on Whoosh and `prefer` on OpenSearch, and totals, prefix expansions and scores differ.
So the writer collects the words a generation holds, asks the cluster how `porter_stem` stems
them, and writes every word stemmed differently as a `stemmer_override` rule (Whoosh's stem)
into that generation's analysis: both engines then hold the same terms for every word of the
corpus. A query word no story holds may still stem differently; it matches on neither engine
unless its Lucene stem happens to be an indexed one.
"""

from __future__ import annotations

from collections.abc import Iterable

from opensearchpy import OpenSearch

from searchsvc.analysis import TOKEN_PATTERN, index_tokens, stem

ANALYZE_BATCH = 2_000


def surface_words(text: str) -> set[str]:
    """The raw words of a text, as the tokenizer cuts them (cheap: one regex pass)."""
    return set(TOKEN_PATTERN.findall(text))


def unstemmed_tokens(words: Iterable[str]) -> set[str]:
    """The tokens the stemmer sees for these raw words (folded, stop words out, hyphen parts and
    joined words, CJK bigrams)."""
    return {token for word in words for token in index_tokens(word)}


def overrides(client: OpenSearch, tokens: set[str]) -> dict[str, str]:
    """token → Whoosh's stem, for each token Lucene's porter_stem stems otherwise."""
    ordered = sorted(tokens)
    differing: dict[str, str] = {}
    for start in range(0, len(ordered), ANALYZE_BATCH):
        batch = ordered[start : start + ANALYZE_BATCH]
        lucene = _porter_stems(client, batch)
        for token, theirs in zip(batch, lucene, strict=True):
            ours = stem(token)
            if theirs != ours:
                differing[token] = ours
    return differing


def _porter_stems(client: OpenSearch, tokens: list[str]) -> list[str]:
    """Lucene's porter_stem of each token (one per token: the keyword tokenizer keeps them whole;
    array entries are 1 position apart once the gap is counted, so we read them by position)."""
    answer = client.indices.analyze(
        body={"tokenizer": "keyword", "filter": ["porter_stem"], "text": tokens}
    )
    found = answer["tokens"]
    if len(found) != len(tokens):
        raise RuntimeError(f"porter_stem answered {len(found)} tokens for {len(tokens)}")
    return [token["token"] for token in found]


def rules(differing: dict[str, str]) -> list[str]:
    return [f"{token} => {stemmed}" for token, stemmed in sorted(differing.items())]
