"""The plan's deadline inside Whoosh's matchers, where a search spends its time.

Whoosh checks a time limit only between matches (TimeLimitCollector), so a query whose parts
rarely agree (56 prefixes ANDed: thousands of skip_to calls between two matches, or none at
all) runs unchecked for as long as its walk takes. `bounded(q, deadline)` wraps every part of
a compound query so that each step of the walk looks at the clock and raises Whoosh's own
TimeLimit once the deadline has passed; the callers catch it and answer with what was found.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from whoosh import query as wq
from whoosh.collectors import Collector, WrappingCollector
from whoosh.matching import Matcher, NullMatcherClass, WrappingMatcher
from whoosh.searching import Searcher, TimeLimit


def passed(deadline: float | None) -> bool:
    """True once `deadline` (time.monotonic()) is behind us; never without one."""
    return deadline is not None and time.monotonic() > deadline


def bounded(q: wq.Query, deadline: float | None) -> wq.Query:
    """`q` with each of its compound parts checking `deadline` at every step of the walk
    (single terms are left as they are: a step of theirs is one posting)."""
    if deadline is None or not _compound(q):
        return q

    def wrap(child: wq.Query) -> wq.Query:
        return _Bounded(bounded(child, deadline), deadline) if _compound(child) else child

    return q.apply(wrap)


def _compound(q: wq.Query) -> bool:
    return any(True for _ in q.children())


class _Bounded(wq.WrappingQuery):
    """Matches exactly what its child matches, raising TimeLimit once the deadline passed."""

    def __init__(self, child: wq.Query, deadline: float) -> None:
        super().__init__(child)
        self.deadline = deadline

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bounded) and other.child == self.child

    def __hash__(self) -> int:
        return hash(self.child) ^ 0x5EED

    def _rewrap(self, child: wq.Query) -> _Bounded:
        return _Bounded(child, self.deadline)

    def matcher(self, searcher: Searcher, context=None) -> Matcher:  # noqa: ANN001 - Whoosh's
        if time.monotonic() > self.deadline:  # opening thousands of postings takes time too
            raise TimeLimit
        inner = self.child.matcher(searcher, context)
        if isinstance(inner, NullMatcherClass):
            return inner
        return _BoundedMatcher(inner, self.deadline)


class _BoundedMatcher(WrappingMatcher):
    def __init__(self, child: Matcher, deadline: float) -> None:
        super().__init__(child)
        self.deadline = deadline

    def _check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeLimit

    def copy(self) -> _BoundedMatcher:
        return _BoundedMatcher(self.child.copy(), self.deadline)

    def _replacement(self, newchild: Matcher) -> _BoundedMatcher:
        return _BoundedMatcher(newchild, self.deadline)

    def next(self) -> None:
        self._check()
        self.child.next()

    def skip_to(self, id: int) -> None:  # noqa: A002 - Whoosh's name
        self._check()
        return self.child.skip_to(id)

    def skip_to_quality(self, minquality: float) -> int:
        self._check()
        return self.child.skip_to_quality(minquality)

    def all_ids(self):  # noqa: ANN201 - Whoosh's generator
        while self.is_active():
            yield self.id()
            self.next()

    def score(self) -> float:
        return self.child.score()


class TimeLimited(WrappingCollector):
    """Stops the walk over matches with TimeLimit once `seconds` have passed since prepare()
    (Whoosh's TimeLimitCollector starts a timer thread per search; this reads the clock)."""

    def __init__(self, child: Collector, seconds: float) -> None:
        super().__init__(child)
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def prepare(self, top_searcher: Searcher, q: object, context: object) -> None:
        self.deadline = time.monotonic() + self.seconds
        super().prepare(top_searcher, q, context)

    def matches(self) -> Iterator[int]:
        for docnum in self.child.matches():
            if time.monotonic() > self.deadline:
                raise TimeLimit
            yield docnum
