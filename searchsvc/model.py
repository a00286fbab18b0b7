"""Engine-neutral values: what a search is asked, what it answers, and what an engine is told.

Nothing here imports an engine. `SearchRequest` is what a user asked (validated at the edge),
`SearchPlan` is what `search()` asks an engine to execute (the parsed tree in a mode, with its
filters, window and deadline), `Matches` is what an engine answers, and `SearchResult` is the
one value the page, the JSON API, feeds, exports and the timeline all render.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date

from searchsvc.config import DEFAULTS
from searchsvc.errors import InvalidParameter, QueryTooLong
from searchsvc.query import Node

SORTS = ("relevance", "newest", "oldest")
FACETS = ("outlet", "category", "month", "day_label")  # day_label: see timeline.py
MODES = ("all", "any", "natural", "browse")


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    # Several outlets (or categories): stories of any of them; outlets and categories together:
    # both must hold. Matched to the index's names ignoring case and accents (search.py).
    outlet: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    explain: bool = False  # add each hit's score parts
    # A pinned index generation (permalinks.py): the caller opens it; search() searches the
    # generation it is given either way.
    generation: str | None = None
    collapse: bool = False  # one hit per story cluster, counts over all matches

    def __post_init__(self) -> None:
        # One name given as a plain string means that one name (not its letters).
        for name in ("outlet", "category"):
            value = getattr(self, name)
            if value is None or isinstance(value, str):
                object.__setattr__(self, name, (value,) if value else ())
            else:
                object.__setattr__(self, name, tuple(value))

    def validate(
        self,
        max_query_chars: int = DEFAULTS.max_query_chars,
        max_per_page: int = DEFAULTS.max_per_page,
    ) -> SearchRequest:
        """Raise InvalidParameter naming the first parameter that is out of range."""
        if len(self.q) > max_query_chars:
            raise QueryTooLong(
                "q", f"query too long ({len(self.q)} > {max_query_chars} characters)"
            )
        if "\x00" in self.q:
            raise InvalidParameter("q", "the query contains a NUL character")
        if self.page < 1:
            raise InvalidParameter("page", "must be 1 or more")
        if not 1 <= self.per_page <= max_per_page:
            raise InvalidParameter("per_page", f"must be between 1 and {max_per_page}")
        if self.sort not in SORTS:
            raise InvalidParameter("sort", f"must be one of {', '.join(SORTS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidParameter("from", "'from' is after 'to'")
        return self


@dataclass(frozen=True)
class Filters:
    """Narrow the matches without adding to their scores. Several values of one facet: any of
    them (OR); different facets: all of them (AND). Dates compare the story's printed day."""

    outlets: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    def __bool__(self) -> bool:
        return bool(self.outlets or self.categories or self.date_from or self.date_to)

    @classmethod
    def of(cls, request: SearchRequest) -> Filters:
        return cls(
            outlets=tuple(request.outlet),
            categories=tuple(request.category),
            date_from=request.date_from,
            date_to=request.date_to,
        )


@dataclass(frozen=True)
class SearchPlan:
    """One execution asked of an engine (`Generation.run`).

    `tree` is the parsed query (query.parse); None in browse mode (every story). In "natural"
    mode `words` are the sentence's searchable words and any may match; in "any" mode the
    tree's top-level words are ORed (the widening search() tries when "all" found nothing).
    `offset`/`limit` are the page window over the ordered matches. `deadline` is a
    time.monotonic() instant: everything the engine does for this plan (prefix expansion,
    counting, ranking, collapsing, snippets, explanations) counts against it.
    `ranking` is the engine-neutral RankingSettings (BM25 k1/b, natural-language settings,
    feedback); engines map it onto their own scoring.
    """

    tree: Node | None
    mode: str = "all"
    words: tuple[str, ...] = ()
    filters: Filters = Filters()
    sort: str = "relevance"
    offset: int = 0
    limit: int = 10
    explain: bool = False
    collapse: bool = False
    deadline: float | None = None
    max_expansion: int = DEFAULTS.max_expansion
    max_total_expansion: int = DEFAULTS.max_total_expansion
    ranking: object | None = None  # searchsvc.ranking.RankingSettings (None: the default)


@dataclass
class Hit:
    id: str
    title: str | None
    outlet: str | None
    published: str | None
    published_approximate: bool
    category: str | None
    score: float | None
    snippet: str
    source_files: list[str]  # operators only (provenance.py): never shown on a page
    matched: dict[str, list[str]] = field(default_factory=dict)
    explain: dict | None = None
    cluster: dict | None = None  # collapse=1: the story's cluster and its other matches
    source_url: str | None = None  # the story's address at its outlet, when the file states it
    copies: list[dict] = field(default_factory=list)  # other copies: outlet, date, title, address


@dataclass
class Matches:
    """An engine's answer to one plan."""

    total: int  # exact number of matching stories (as far as counted when timed_out)
    hits: list[Hit]  # the plan's window, in order
    facets: dict[str, list[dict]]  # FACETS name → [{"value", "count"}] over every match
    timed_out: bool = False
    warnings: list[str] = field(default_factory=list)  # e.g. prefix expansions dropped
    clusters: int | None = None  # collapse: clusters among the matches
    # False: the plan had nothing to search (every word too common to index), nothing ran.
    # search() then keeps the mode it had (no "any" widening of nothing).
    searched: bool = True


@dataclass(frozen=True)
class Cluster:
    id: str  # the lead (earliest) story's id
    stories: tuple[dict, ...]  # id, title, outlet, published, published_approximate; lead first


_SHARED = (str, int, float, bool, type(None))


def _copied(value: object) -> object:
    """dataclasses.asdict's copy of one value: dataclasses as dicts, containers copied,
    immutable leaves shared (deepcopy returns them as they are)."""
    if isinstance(value, _SHARED):
        return value
    if isinstance(value, dict):
        return {_copied(k): _copied(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copied(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _copied(getattr(value, f.name)) for f in fields(value)}
    return copy.deepcopy(value)


@dataclass
class SearchResult:
    query: dict
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[dict]]
    suggestion: str | None = None
    mode: str = "all"
    timed_out: bool = False
    generation: str = ""
    clusters: int | None = None  # collapse=1: story clusters among the `total` matches

    def to_dict(self) -> dict:
        """What dataclasses.asdict gives (the same nested copies), without its deepcopy of
        every facet value: a page's facets are hundreds of small dicts of strings and counts."""
        data = {f.name: _copied(getattr(self, f.name)) for f in fields(self) if f.name != "facets"}
        data["facets"] = {
            name: [dict(item) for item in items] for name, items in self.facets.items()
        }
        return {f.name: data[f.name] for f in fields(self)}

    @property
    def pages(self) -> int:
        shown = self.total if self.clusters is None else self.clusters
        return max(1, -(-shown // self.per_page))
