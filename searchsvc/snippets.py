"""The snippet under each hit: the best passage of the story with the matched words marked.

Measured and left as it is: re-analysing only the stretches near a matching word (a regular
expression and a table lookup per word first) gave the same passages but no speed-up on news
stories of a few thousand characters, whose matches are spread over most of the text.
"""

from __future__ import annotations

import html

from whoosh.highlight import (
    BasicFragmentScorer,
    ContextFragmenter,
    Formatter,
    Highlighter,
    get_text,
)

SNIPPET_CHARS = 240
SURROUND = 80


class MarkFormatter(Formatter):
    """Escapes every character of the passage and wraps matched words in <mark>."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=False)

    def format_token(self, text: str, token, replace: bool = False) -> str:
        return "<mark>" + html.escape(get_text(text, token, replace), quote=False) + "</mark>"

    def format_fragment(self, fragment, replace: bool = False) -> str:
        """Mark a passage cut out of the middle of the body with ellipses at the cut ends."""
        body = super().format_fragment(fragment, replace).strip()
        lead = "… " if fragment.startchar > 0 else ""
        tail = " …" if fragment.endchar < len(fragment.text) else ""
        return f"{lead}{body}{tail}"


class EarliestBestScorer(BasicFragmentScorer):
    """Whoosh's passage score, with ties going to the earlier passage.

    Whoosh breaks ties between equally good passages by object address, so the same search
    could show a different snippet on every reload; the tiny bonus makes the choice stable.
    """

    def __call__(self, fragment) -> float:
        return super().__call__(fragment) + 1e-6 / (1 + fragment.startchar)


_HIGHLIGHTER = Highlighter(
    fragmenter=ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SURROUND, charlimit=None),
    formatter=MarkFormatter(),
    scorer=EarliestBestScorer(),
)


def snippet(hit, body: str, caption: str | None) -> str:  # noqa: ANN001 - a Whoosh Hit
    """The best passage of the whole body with matches marked; the opening lines if none match."""
    if hit.results.has_matched_terms():
        for field_name, text in (("body", body), ("caption", caption or "")):
            if text and any(f == field_name for f, _ in hit.matched_terms()):
                marked = _HIGHLIGHTER.highlight_hit(hit, field_name, text=text, top=1)
                if marked:
                    return marked
    return html.escape(_leading(body), quote=False)


def _leading(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return text[: cut if cut > 0 else SNIPPET_CHARS] + " …"
