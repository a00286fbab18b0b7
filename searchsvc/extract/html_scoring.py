"""Find the story in a parsed page: drop boilerplate, flatten to paragraphs, score containers.

The approach is readability's: paragraphs vote for the element that holds them, weighted by
length and punctuation and discounted by link density; the best-voted container is the story.
Boilerplate knowledge (which tags, roles and class tokens are chrome) comes from `html_rules`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from searchsvc.extract.article import Removed
from searchsvc.extract.html_rules import (
    ARTICLE_TOKENS,
    BLOCK_TAGS,
    BOILERPLATE_LINES,
    BOILERPLATE_TOKENS,
    DROP_ROLES,
    DROP_TAGS,
    SILENT_TAGS,
)
from searchsvc.extract.html_vote import keep_agreed

_TOKEN_SPLIT = re.compile(r"[\s]+")
_WORD_PARTS = re.compile(r"[-_]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SENTENCE_PUNCT = re.compile(r"[,.;:!?、。，．！？]")
# Containers whose text is more than this share of the page are never dropped by a token rule:
# a class like "has-sidebar" on the story's wrapper must not take the story with it.
_STORY_SHARE = 0.5
_MIN_BLOCK_CHARS = 25
_MAX_LINK_DENSITY = 0.5
_MAX_REMOVED_RECORDS = 40
_WORD = re.compile(r"\w+")
_SHINGLE = 4
# JSON-LD articleBody replaces the markup's body only when it is this many times longer.
_LD_OVERRIDE = 2.0
# Two candidates this similar hold the same story and differ only in paragraph breaks.
_SAME_TEXT = 0.99
# Order in which equally agreeing candidates win; trafilatura is the strongest single extractor.
CANDIDATE_PREFERENCE: tuple[str, ...] = ("trafilatura", "readability", "dom")


@dataclass(frozen=True)
class Block:
    """One paragraph of flattened text and where it came from."""

    text: str
    link_chars: int
    element: Tag
    heading: bool

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


@dataclass(frozen=True)
class DomStory:
    """The paragraphs our own DOM scoring chose, and the blocks it dropped on the way."""

    paragraphs: tuple[str, ...]
    removed: tuple[Removed, ...]
    caption: str | None


def extract_dom_story(soup: BeautifulSoup) -> DomStory:
    """Clean `soup` in place and return the paragraphs of its best-scoring container."""
    removed: list[Removed] = []
    caption = _first_caption(soup)
    _strip_boilerplate(soup, removed)
    blocks = flatten_blocks(soup.body or soup)
    container = _best_container(blocks)
    kept = []
    for block in blocks:
        if container is not None and not _inside(block.element, container):
            continue
        rule = _line_rule(block)
        if rule:
            _record(removed, rule, block.text)
            continue
        kept.append(block.text)
    return DomStory(tuple(kept), tuple(removed), caption)


def _strip_boilerplate(soup: BeautifulSoup, removed: list[Removed]) -> None:
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    page_chars = len((soup.body or soup).get_text(" ", strip=True)) or 1
    for element in _boilerplate_elements(soup, page_chars):
        rule = _drop_rule(element) or ""
        if element.name not in SILENT_TAGS:
            _record(removed, rule, element.get_text(" ", strip=True))
        element.decompose()


def _boilerplate_elements(soup: BeautifulSoup, page_chars: int) -> list[Tag]:
    """Outermost elements to drop, found top-down without recursion (pages nest very deep)."""
    found: list[Tag] = []
    stack: list[Tag] = [soup]
    while stack:
        element = stack.pop()
        rule = _drop_rule(element) if element is not soup else None
        if rule is not None and not _holds_story(element, page_chars, rule):
            found.append(element)
            continue
        stack.extend(child for child in element.contents if isinstance(child, Tag))
    return found


def _drop_rule(element: Tag) -> str | None:
    name = element.name or ""
    if name in ("html", "body", "article", "main"):
        return None
    if name in DROP_TAGS:
        return f"tag:{name}"
    attrs = element.attrs or {}
    role = str(attrs.get("role", "")).lower()
    if role in DROP_ROLES:
        return f"role:{role}"
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return "hidden"
    if _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return "hidden"
    return _token_rule(_class_tokens(element))


def _class_tokens(element: Tag) -> list[str]:
    attrs = element.attrs or {}
    classes = attrs.get("class") or []
    if isinstance(classes, str):
        classes = _TOKEN_SPLIT.split(classes)
    ident = attrs.get("id")
    tokens = [c.lower() for c in classes if isinstance(c, str)]
    if isinstance(ident, str):
        tokens.append(ident.lower())
    return [t for t in tokens if t]


def _token_rule(tokens: list[str]) -> str | None:
    if any(token in ARTICLE_TOKENS for token in tokens):
        return None
    for token in tokens:
        if token in BOILERPLATE_TOKENS:
            return f"class:{BOILERPLATE_TOKENS[token]}"
        parts = _WORD_PARTS.split(token)
        for part in parts:
            if part in BOILERPLATE_TOKENS:
                return f"class:{BOILERPLATE_TOKENS[part]}"
        for start in range(len(parts) - 1):
            pair = f"{parts[start]}-{parts[start + 1]}"
            if pair in BOILERPLATE_TOKENS:
                return f"class:{BOILERPLATE_TOKENS[pair]}"
    return None


def _holds_story(element: Tag, page_chars: int, rule: str) -> bool:
    """True when dropping `element` would drop most of the page (e.g. an ASP.NET page-wide form)."""
    if rule.startswith("tag:") and element.name in ("script", "style", "noscript", "template"):
        return False
    text_chars = len(element.get_text(" ", strip=True))
    return text_chars > _STORY_SHARE * page_chars and len(element.find_all("p")) >= 3


def flatten_blocks(root: Tag) -> list[Block]:
    """Flatten `root` into paragraphs: block elements and `<br>` both end a paragraph."""
    blocks: list[Block] = []
    parts: list[str] = []
    link_chars = 0
    current: Tag | None = None

    def close() -> None:
        nonlocal parts, link_chars
        text = " ".join(" ".join(parts).split())
        if text and current is not None:
            heading = current.name in ("h2", "h3", "h4", "h5", "h6")
            blocks.append(Block(text, min(link_chars, len(text)), current, heading))
        parts, link_chars = [], 0

    for node in root.descendants:
        if isinstance(node, Tag):
            if node.name == "br" or node.name in BLOCK_TAGS:
                close()
            continue
        if not isinstance(node, NavigableString) or isinstance(node, Comment):
            continue
        owner, in_link = _block_owner(node)
        if owner is not current:
            close()
            current = owner
        if owner.name == "h1":
            continue  # the headline is the title, not body text
        parts.append(str(node))
        if in_link:
            link_chars += len(str(node).strip())
    close()
    return blocks


def _block_owner(node: NavigableString) -> tuple[Tag, bool]:
    in_link = False
    parent = node.parent
    while parent is not None and parent.name not in BLOCK_TAGS:
        in_link = in_link or parent.name == "a"
        if parent.parent is None:
            break
        parent = parent.parent
    return parent, in_link


def _best_container(blocks: list[Block]) -> Tag | None:
    scores: dict[int, float] = defaultdict(float)
    elements: dict[int, Tag] = {}
    for block in blocks:
        if len(block.text) < _MIN_BLOCK_CHARS or block.link_density > _MAX_LINK_DENSITY:
            continue
        points = 1 + len(_SENTENCE_PUNCT.findall(block.text)) + min(len(block.text) / 100, 3)
        points *= 1 - block.link_density
        parent = block.element.parent if block.element.name == "p" else block.element
        for depth, ancestor in enumerate(_ancestors(parent, 3)):
            scores[id(ancestor)] += points / (1 + depth)
            elements[id(ancestor)] = ancestor
    if not scores:
        return None
    return elements[max(scores, key=scores.__getitem__)]


def _ancestors(element: Tag | None, count: int) -> list[Tag]:
    found = []
    while element is not None and len(found) < count:
        if element.name in ("html", "[document]"):
            break
        found.append(element)
        element = element.parent
    return found


def _inside(element: Tag, container: Tag) -> bool:
    node: Tag | None = element
    while node is not None:
        if node is container:
            return True
        node = node.parent
    return False


def _line_rule(block: Block) -> str | None:
    if block.link_density > _MAX_LINK_DENSITY and len(block.text) < 200:
        return "links"
    for rule, pattern in BOILERPLATE_LINES:
        if pattern.match(block.text):
            return f"line:{rule}"
    return None


def _first_caption(soup: BeautifulSoup) -> str | None:
    caption = soup.find("figcaption")
    text = " ".join(caption.get_text(" ").split()) if isinstance(caption, Tag) else ""
    return text or None


def _record(removed: list[Removed], rule: str, text: str) -> None:
    if text and len(removed) < _MAX_REMOVED_RECORDS:
        removed.append(Removed.of(rule, text))


@dataclass(frozen=True)
class Candidate:
    """One extractor's opinion of the story body."""

    source: str
    paragraphs: tuple[str, ...]

    @property
    def chars(self) -> int:
        return sum(len(p) for p in self.paragraphs)


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n")


def split_paragraphs(text: str) -> tuple[str, ...]:
    """Plain text → whitespace-normalised paragraphs, one per line or blank-line group."""
    pieces = (" ".join(piece.split()) for piece in _PARAGRAPH_BREAK.split(text))
    return tuple(piece for piece in pieces if piece)


def choose_body(candidates: list[Candidate], voters: Sequence[Candidate] = ()) -> tuple[str, ...]:
    """Pick the body most likely to be the story from several extractors' candidates.

    Extractors fail in different ways (one keeps a comment thread, another loses the second
    half of the story), so the candidate that agrees most with all the others is the one whose
    errors are shared by nobody else. Its paragraphs then face a vote of every candidate and of
    `voters` (extra opinions too alike to choose among, such as one library's other settings),
    which drops what only a minority kept. JSON-LD `articleBody` is often a teaser, so it is
    used only when the page's markup gives much less text than it.
    """
    usable = [c for c in candidates if c.paragraphs and c.source != "jsonld"]
    usable.sort(key=lambda c: _preference(c.source))
    chosen = _most_agreeing(usable)
    ld = next((c for c in candidates if c.source == "jsonld" and c.paragraphs), None)
    if ld is not None and (chosen is None or ld.chars > _LD_OVERRIDE * chosen.chars):
        return ld.paragraphs
    if chosen is None:
        return ()
    ballots = [c.paragraphs for c in [*usable, *voters] if c.paragraphs]
    return keep_agreed(_best_split(chosen, usable).paragraphs, ballots)


def _best_split(chosen: Candidate, candidates: list[Candidate]) -> Candidate:
    """Our own DOM reading when it holds the same words: it keeps `<br>` and heading breaks."""
    dom = next((c for c in candidates if c.source == "dom"), None)
    if dom is None or dom is chosen:
        return chosen
    same = overlap_f1(
        shingle_counts(" ".join(chosen.paragraphs)), shingle_counts(" ".join(dom.paragraphs))
    )
    return dom if same >= _SAME_TEXT else chosen


def _preference(source: str) -> int:
    return CANDIDATE_PREFERENCE.index(source) if source in CANDIDATE_PREFERENCE else 99


def _most_agreeing(candidates: list[Candidate]) -> Candidate | None:
    if len(candidates) <= 2:
        return candidates[0] if candidates else None
    shingles = [shingle_counts(" ".join(c.paragraphs)) for c in candidates]
    best, best_score = None, -1.0
    for index, candidate in enumerate(candidates):
        agreement = sum(
            overlap_f1(other, shingles[index])
            for other_index, other in enumerate(shingles)
            if other_index != index
        )
        if agreement > best_score:
            best, best_score = candidate, agreement
    return best


def shingle_counts(text: str, size: int = _SHINGLE) -> Counter[tuple[str, ...]]:
    """Word n-grams of `text`: a length-insensitive fingerprint for comparing candidate bodies."""
    words = _WORD.findall(text)
    if len(words) < size:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def overlap_f1(reference: Counter[tuple[str, ...]], other: Counter[tuple[str, ...]]) -> float:
    """Harmonic mean of how much of each shingle multiset the other covers (0 when disjoint)."""
    shared = sum((reference & other).values())
    if not shared:
        return 0.0
    precision = shared / sum(other.values())
    recall = shared / sum(reference.values())
    return 2 * precision * recall / (precision + recall)
