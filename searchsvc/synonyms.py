"""Synonyms and abbreviations, applied to the parsed query as alternatives.

News names one thing many ways (PM / prime minister, ROK / South Korea, U.S. / United States).
Expanding the *query* rather than the index keeps the index as the articles wrote it, lets the
operator change the list without a rebuild, and works the same on every engine: the engines
only ever see the expanded syntax tree, so `ROK` compiles to `(rok OR "south korea" OR
"republic of korea")` on Whoosh and OpenSearch alike, is shown that way in `parsed`, and its
alternatives are highlighted like any other query word.

Rules (the README's query section says the same):
- the groups are data: `searchsvc/data/synonyms.txt`, plus the operator's own file named by
  `SEARCHSVC_SYNONYMS_FILE` (same format: one comma-separated group per line, `#` comments);
- every entry of a group finds the others; an entry may be several words, on either side;
- only bare words are expanded: a "quoted phrase", a `field:` value or a `prefix*` is searched
  exactly as written;
- several query words that spell a multi-word entry keep their own meaning too: `prime minister
  ishiba` still finds stories with "prime" and "minister" anywhere, and now also "PM Ishiba".
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from searchsvc.query import All, Any, Node, Not, Phrase, Word

log = logging.getLogger("searchsvc")

DEFAULT_FILE = Path(__file__).with_name("data") / "synonyms.txt"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

Key = tuple[str, ...]


def normalise(text: str) -> Key:
    """The words of an entry or of query words as compared: case and accents ignored."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(plain.split())


@dataclass(frozen=True)
class SynonymTable:
    """Entry (normalised words) → the other entries of its groups, as written in the file."""

    alternatives: dict[Key, tuple[str, ...]]
    longest: int  # words in the longest entry: how far a run of query words is looked at

    def of(self, key: Key) -> tuple[str, ...]:
        return self.alternatives.get(key, ())


def parse_groups(lines: list[str]) -> list[tuple[str, ...]]:
    """Comma-separated groups of two or more entries; blank lines and `#` comments skipped."""
    groups = []
    for line in lines:
        text = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        entries = tuple(e.strip() for e in text.split(",") if e.strip())
        if len(entries) >= 2:
            groups.append(entries)
    return groups


def table_of(groups: list[tuple[str, ...]]) -> SynonymTable:
    merged: dict[Key, list[str]] = {}
    for group in groups:
        for entry in group:
            others = merged.setdefault(normalise(entry), [])
            for other in group:
                if normalise(other) != normalise(entry) and other not in others:
                    others.append(other)
    longest = max((len(key) for key in merged), default=0)
    return SynonymTable({key: tuple(v) for key, v in merged.items()}, longest)


@lru_cache(maxsize=8)
def load(extra_file: str | None = None) -> SynonymTable:
    """The default groups plus the operator's file (an unreadable one is logged and ignored)."""
    lines = DEFAULT_FILE.read_text("utf-8").splitlines()
    if extra_file:
        try:
            lines += Path(extra_file).read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            log.error(
                "synonyms file %s not read (%s); using the default list only", extra_file, exc
            )
    return table_of(parse_groups(lines))


def expand(node: Node | None, table: SynonymTable, join_words: bool = True) -> Node | None:
    """The tree with each bare word (or run of bare words) that is an entry ORed with its
    alternatives. Returns the same object when nothing was expanded.

    `join_words` False: only single words are looked up, never a run of them, for queries that
    spelled out their operators (`north AND korea` is two words the user joined, not the name
    "North Korea")."""
    if node is None or not table.alternatives:
        return node
    if not join_words:
        table = SynonymTable(table.alternatives, longest=1)
    if isinstance(node, Word):
        return _expanded_run([node], table) or node
    if isinstance(node, Not):
        child = expand(node.child, table)
        return node if child is node.child else Not(child, node.position)
    if isinstance(node, Any):
        children = tuple(expand(c, table) for c in node.children)
        return node if children == node.children else Any(children)
    if isinstance(node, All):
        children = _expand_sequence(node.children, table)
        return node if children == node.children else All(children)
    return node  # a Phrase is searched exactly as quoted


def _expand_sequence(children: tuple[Node, ...], table: SynonymTable) -> tuple[Node, ...]:
    out: list[Node] = []
    i = 0
    while i < len(children):
        for size in range(min(table.longest, len(children) - i), 0, -1):
            run = children[i : i + size]
            replaced = _expanded_run(list(run), table) if _bare_words(run) else None
            if replaced is not None:
                out.append(replaced)
                i += size
                break
        else:
            out.append(expand(children[i], table))
            i += 1
    return tuple(out)


def _bare_words(nodes: tuple[Node, ...]) -> bool:
    return all(isinstance(n, Word) and not n.field and not n.prefix for n in nodes)


def _expanded_run(words: list[Word], table: SynonymTable) -> Node | None:
    if not _bare_words(tuple(words)):
        return None
    others = table.of(normalise(" ".join(w.text for w in words)))
    if not others:
        return None
    position = words[0].position
    original: Node = words[0] if len(words) == 1 else All(tuple(words))
    alternatives = [
        Phrase(other, position) if len(other.split()) > 1 else Word(other, position)
        for other in others
    ]
    return Any((original, *alternatives))
