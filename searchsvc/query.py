"""The query language: a strict parser from user text to a small syntax tree.

Whoosh's own parser never fails (an unbalanced quote quietly becomes an AND), so it cannot tell
users what they typed wrong. This parser accepts

    words            all must match (the default)
    "a phrase"       the words in this order
    -word, NOT word  exclude
    a OR b           either (binds tighter than the implicit AND: `tokyo summit OR talks`)
    a AND b          explicit AND (same as a space)
    (a OR b) c       grouping
    field:value      title, outlet, category (value may be a word, "phrase" or prefix*)
    prefix*          words starting with prefix (at least 2 characters)

and raises QuerySyntaxError with the 0-based position of the first problem otherwise. Groups
nest at most `max_depth` levels (settings.max_query_depth): the parser counts them before it
recurses, so no query can exhaust Python's stack in parse, render or the engine's compiler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from searchsvc.errors import QuerySyntaxError

FIELDS = ("title", "outlet", "category")
OPERATORS = ("AND", "OR", "NOT")
MIN_PREFIX = 2
MAX_DEPTH = 32  # the default of settings.max_query_depth
# parse, render and the compilers recurse a few frames per level: no setting goes beyond this.
RECURSION_SAFE_DEPTH = 100


@dataclass(frozen=True)
class Word:
    text: str
    position: int
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    text: str
    position: int
    field: str | None = None


@dataclass(frozen=True)
class Not:
    child: Node
    position: int


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    children: tuple[Node, ...]


Node = Word | Phrase | Not | All | Any


@dataclass(frozen=True)
class Token:
    kind: str  # word, phrase, lparen, rparen, and, or, not, minus
    text: str
    position: int
    field: str | None = None


_FIELD = re.compile(r"([A-Za-z_]+):")
_SPECIAL = set('"()')


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(Token("lparen", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(Token("rparen", ch, i))
            i += 1
        elif ch == '"':
            i = _read_phrase(text, i, None, i, tokens)
        elif ch == "-":
            if not text[i + 1 :].strip():
                raise QuerySyntaxError(
                    "'-' must be followed directly by a word to exclude", i, text
                )
            if text[i + 1].isspace():  # a dash between words ("Japan - Korea") is punctuation
                i += 1
                continue
            tokens.append(Token("minus", ch, i))
            i += 1
        else:
            i = _read_word(text, i, tokens)
    return tokens


def _read_phrase(text: str, start: int, field: str | None, at: int, out: list[Token]) -> int:
    end = text.find('"', start + 1)
    if end < 0:
        raise QuerySyntaxError("unbalanced quote: this phrase is never closed", start, text)
    out.append(Token("phrase", text[start + 1 : end], at, field))
    return end + 1


def _read_word(text: str, start: int, out: list[Token]) -> int:
    field_match = _FIELD.match(text, start)
    if field_match:
        name = field_match.group(1)
        if name.lower() not in FIELDS:
            known = ", ".join(FIELDS)
            raise QuerySyntaxError(f"unknown field '{name}' (known fields: {known})", start, text)
        value_at = field_match.end()
        if value_at >= len(text) or text[value_at].isspace() or text[value_at] == ")":
            raise QuerySyntaxError(f"'{name}:' needs a value after the colon", start, text)
        if text[value_at] == '"':
            return _read_phrase(text, value_at, name.lower(), start, out)
        if text[value_at] == "(":
            raise QuerySyntaxError(
                f"'{name}:' takes one word or a \"phrase\", not a group", value_at, text
            )
        end = _word_end(text, value_at)
        out.append(Token("word", text[value_at:end], start, name.lower()))
        return end
    end = _word_end(text, start)
    word = text[start:end]
    kind = {"AND": "and", "OR": "or", "NOT": "not"}.get(word, "word")
    out.append(Token(kind, word, start))
    return end


def _word_end(text: str, start: int) -> int:
    i = start
    while i < len(text) and not text[i].isspace() and text[i] not in _SPECIAL:
        i += 1
    return i


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text, self.tokens, self.i = text, tokens, 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, position: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, position, self.text)

    def parse(self, max_depth: int) -> Node | None:
        if not self.tokens:
            return None
        self.refuse_deep_nesting(min(max_depth, RECURSION_SAFE_DEPTH))
        node = self.parse_all()
        extra = self.peek()
        if extra is not None:
            raise self.fail("unbalanced parenthesis: ')' has no matching '('", extra.position)
        return node

    def refuse_deep_nesting(self, max_depth: int) -> None:
        """Before any recursion: the first '(' that opens a group deeper than max_depth."""
        depth = 0
        for token in self.tokens:
            if token.kind == "lparen":
                depth += 1
                if depth > max_depth:
                    raise self.fail(
                        f"nested too deeply: at most {max_depth} levels of parentheses",
                        token.position,
                    )
            elif token.kind == "rparen":
                depth = max(0, depth - 1)  # a stray ')' is reported by the parser itself

    def parse_all(self) -> Node:
        children = [self.parse_any()]
        while (token := self.peek()) is not None and token.kind != "rparen":
            if token.kind == "and":
                self.take()
                if self.peek() is None or self.peek().kind in ("rparen", "and", "or"):
                    raise self.fail(
                        "'AND' needs something to search for on both sides", token.position
                    )
            children.append(self.parse_any())
        return children[0] if len(children) == 1 else All(tuple(children))

    def parse_any(self) -> Node:
        children = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("rparen", "or", "and"):
                raise self.fail("'OR' needs something to search for on both sides", token.position)
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else Any(tuple(children))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind in ("minus", "not"):
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("rparen", "and", "or", "minus", "not"):
                what = "'-'" if token.kind == "minus" else "'NOT'"
                raise self.fail(f"{what} must be followed by a word to exclude", token.position)
            return Not(self.parse_primary(), token.position)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "lparen":
            if self.peek() is None:
                raise self.fail("unbalanced parenthesis: '(' is never closed", token.position)
            if self.peek().kind == "rparen":
                raise self.fail("empty parentheses", token.position)
            node = self.parse_all()
            if self.peek() is None:
                raise self.fail("unbalanced parenthesis: '(' is never closed", token.position)
            self.take()
            return node
        if token.kind == "rparen":
            raise self.fail("unbalanced parenthesis: ')' has no matching '('", token.position)
        if token.kind in ("and", "or"):
            raise self.fail(
                f"'{token.text}' needs something to search for on both sides", token.position
            )
        if token.kind == "phrase":
            if not token.text.strip():
                raise self.fail("empty phrase", token.position)
            return Phrase(token.text, token.position, token.field)
        return self.make_word(token)

    def make_word(self, token: Token) -> Word:
        text = token.text
        star = text.find("*")
        if star < 0:
            return Word(text, token.position, token.field)
        if star != len(text) - 1:
            raise self.fail("'*' is only allowed at the end of a word", token.position + star)
        stem = text[:-1]
        if len(stem) < MIN_PREFIX:
            raise self.fail(
                f"a prefix search needs at least {MIN_PREFIX} characters before '*'",
                token.position,
            )
        return Word(stem, token.position, token.field, prefix=True)


def parse(text: str, max_depth: int = MAX_DEPTH) -> Node | None:
    """Parse a query; None for an empty query. Raises QuerySyntaxError naming the problem."""
    return _Parser(text, tokenize(text)).parse(max_depth)


def render(node: Node | None) -> str:
    """A canonical, explicit form of the parsed query, shown back to users as `parsed`."""
    if node is None:
        return ""
    if isinstance(node, Word):
        field = f"{node.field}:" if node.field else ""
        return f"{field}{node.text}{'*' if node.prefix else ''}"
    if isinstance(node, Phrase):
        field = f"{node.field}:" if node.field else ""
        return f'{field}"{node.text}"'
    if isinstance(node, Not):
        return f"NOT {render(node.child)}"
    joiner = " AND " if isinstance(node, All) else " OR "
    return "(" + joiner.join(render(c) for c in node.children) + ")"


def literal_words(text: str) -> str:
    """The query's words taken literally (operators and syntax dropped), for the page's fallback."""
    words = re.findall(r"\w[\w'’-]*", text)
    return " ".join(w for w in words if w not in OPERATORS)


def is_plain_words(node: Node | None) -> bool:
    """True for queries of bare words only, the case where AND-then-OR fallback applies."""
    if isinstance(node, Word):
        return not node.field and not node.prefix
    if isinstance(node, All):
        return all(is_plain_words(c) for c in node.children)
    return False


def written_plainly(text: str) -> bool:
    """True when the query is only bare words: no quotes, operators (AND, OR, NOT, -), fields
    or prefixes. Only such a query may be read as a sentence (natural language) or widened from
    "all words" to "any word"; anything the user spelled out is taken exactly as written.
    Parentheses around bare words group nothing ("kidney disease (CKD) progression") and are
    read as a sentence's punctuation."""
    try:
        tokens = tokenize(text)
    except QuerySyntaxError:
        return False
    return all(
        t.kind in ("lparen", "rparen")
        or (t.kind == "word" and not t.field and not t.text.endswith("*"))
        for t in tokens
    )
