"""Matching stories per day, week, month, quarter or year, from a result's `day_label` facet.

The search core already counts every match per printed day (exact dates as "2025-06-18",
estimated ones as "~2025-06-11"), so a timeline costs no second search. Estimated dates are
counted apart and never placed on a bar; a bucket with no story in the whole index ("nothing was
collected") is told apart from one where stories exist but none matched.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from searchsvc.engines.base import Generation
from searchsvc.model import SearchResult

DAY_FACET = "day_label"
APPROXIMATE_MARK = "~"
INTERVALS = ("auto", "day", "week", "month", "quarter", "year")
# The shortest span shown, so one matching day still sits among its neighbours.
MIN_SPAN_DAYS = 14
# auto picks the finest interval that draws at most this many bars (a decade: 40 quarters).
AUTO_MAX_BUCKETS = 100
MAX_BUCKETS = 400


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date
    label: str
    count: int  # matching stories with an exact date in [start, end]
    collected: int  # stories of any kind in the index in [start, end]

    @property
    def state(self) -> str:
        if self.count:
            return "matched"
        return "unmatched" if self.collected else "uncollected"


@dataclass
class Timeline:
    interval: str
    start: date | None
    end: date | None
    total: int
    buckets: list[Bucket]
    approximate: list[tuple[date, int]] = field(default_factory=list)
    undated: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def dated(self) -> int:
        return sum(b.count for b in self.buckets)

    @property
    def approximate_count(self) -> int:
        return sum(count for _, count in self.approximate)

    @property
    def max_count(self) -> int:
        return max((b.count for b in self.buckets), default=0)

    def to_dict(self) -> dict:
        return {
            "interval": self.interval,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "total": self.total,
            "dated": self.dated,
            "max_count": self.max_count,
            "buckets": [
                {**asdict(b), "start": b.start.isoformat(), "end": b.end.isoformat()}
                | {"state": b.state}
                for b in self.buckets
            ],
            "approximate": {
                "count": self.approximate_count,
                "days": [{"day": d.isoformat(), "count": n} for d, n in self.approximate],
            },
            "undated": self.undated,
            "notes": self.notes,
        }


def day_counts(facet: list[dict]) -> tuple[dict[date, int], dict[date, int]]:
    """A `day_label` facet → (exact day → count, estimated day → count)."""
    exact: dict[date, int] = {}
    approximate: dict[date, int] = {}
    for item in facet:
        label = item["value"]
        target = approximate if label.startswith(APPROXIMATE_MARK) else exact
        target[date.fromisoformat(label.removeprefix(APPROXIMATE_MARK))] = item["count"]
    return exact, approximate


def collected_days(generation: Generation) -> dict[date, int]:
    """Stories with an exact date per day in the whole index (the generation keeps the answer).

    Estimated dates are left out here as in the bars, so a day holds "nothing collected" rather
    than "nothing matched" when only a guessed date falls on it.
    """
    return generation.collected_days()


def build_timeline(
    result: SearchResult,
    collected: dict[date, int],
    interval: str = "auto",
    date_from: date | None = None,
    date_to: date | None = None,
) -> Timeline:
    """Bucket a result's matches; the span is the filter's dates, else the matches' days."""
    exact, approximate = day_counts(result.facets.get(DAY_FACET, []))
    undated = result.total - sum(exact.values()) - sum(approximate.values())
    timeline = Timeline(
        interval=interval,
        start=None,
        end=None,
        total=result.total,
        buckets=[],
        approximate=sorted(approximate.items()),
        undated=max(0, undated),
    )
    span = display_span(exact, collected, date_from, date_to)
    if span is None:
        return timeline
    start, end = span
    timeline.interval = choose_interval(interval, start, end, timeline.notes)
    timeline.buckets = [
        Bucket(low, high, label, _sum(exact, low, high), _sum(collected, low, high))
        for low, high, label in bucket_bounds(timeline.interval, start, end)
    ]
    timeline.start, timeline.end = timeline.buckets[0].start, timeline.buckets[-1].end
    return timeline


def display_span(
    exact: dict[date, int],
    collected: dict[date, int],
    date_from: date | None,
    date_to: date | None,
) -> tuple[date, date] | None:
    """The filter's dates when both are given; else the matches' days, widened to at least
    MIN_SPAN_DAYS within the days the index holds (so one matching day keeps its neighbours)."""
    held = [*collected, *exact]
    if not held:
        return None
    # A filter reaching from year 1 to 9999 is narrowed to the days the index holds stories
    # for, so no request draws (or computes) millions of empty days.
    first_held, last_held = min(held), max(held)
    if date_from and date_to:
        if bucket_count("month", date_from, date_to) <= MAX_BUCKETS:
            return date_from, date_to
        start, end = max(date_from, first_held), min(date_to, last_held)
        return (start, end) if start <= end else None
    if not exact:
        return None
    start, end = date_from or min(exact), date_to or max(exact)
    missing = MIN_SPAN_DAYS - 1 - (end - start).days
    if missing <= 0 or not collected:
        return start, end
    first, last = min(min(collected), start), max(max(collected), end)
    if not date_from:
        start = max(first, start - timedelta(days=missing - missing // 2))
    if not date_to:
        end = min(last, start + timedelta(days=MIN_SPAN_DAYS - 1))
    if not date_from and (end - start).days < MIN_SPAN_DAYS - 1:
        start = max(first, end - timedelta(days=MIN_SPAN_DAYS - 1))
    return start, end


def choose_interval(asked: str, start: date, end: date, notes: list[str]) -> str:
    """`asked`, or the next coarser interval that fits; auto: the finest with at most
    AUTO_MAX_BUCKETS bars (day → week → month → quarter → year)."""
    fixed = INTERVALS[1:]
    if asked == "auto":
        return next(
            (i for i in fixed if bucket_count(i, start, end) <= AUTO_MAX_BUCKETS), fixed[-1]
        )
    for interval in fixed[fixed.index(asked) :]:
        if bucket_count(interval, start, end) <= MAX_BUCKETS:
            if interval != asked:
                notes.append(f"Shown per {interval}: per {asked} needs over {MAX_BUCKETS} bars.")
            return interval
    return fixed[-1]


def bucket_count(interval: str, start: date, end: date) -> int:
    """How many buckets cover start..end, by arithmetic (no list of buckets is built)."""
    if interval == "year":
        return end.year - start.year + 1
    if interval == "quarter":
        return (end.year - start.year) * 4 + (end.month - 1) // 3 - (start.month - 1) // 3 + 1
    if interval == "month":
        return (end.year - start.year) * 12 + end.month - start.month + 1
    if interval == "week":
        return (end - _bucket_start("week", start)).days // 7 + 1
    return (end - start).days + 1


def bucket_bounds(interval: str, start: date, end: date) -> list[tuple[date, date, str]]:
    """(first day, last day, label) of each bucket covering start..end, at most MAX_BUCKETS
    (the most recent ones are kept when a span is longer)."""
    bounds = []
    low = _bucket_start(interval, start)
    while low <= end:
        high = _bucket_end(interval, low)
        bounds.append((low, high, _label(interval, low)))
        if high >= date.max - timedelta(days=7):
            break
        low = high + timedelta(days=1)
    return bounds[-MAX_BUCKETS:]


def _bucket_start(interval: str, day: date) -> date:
    if interval == "year":
        return day.replace(month=1, day=1)
    if interval == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _bucket_end(interval: str, low: date) -> date:
    if interval == "year":
        return low.replace(month=12, day=31)
    if interval == "quarter":
        last_month = low.month + 2
        return low.replace(month=last_month, day=calendar.monthrange(low.year, last_month)[1])
    if interval == "week":
        return low + timedelta(days=6)
    if interval == "month":
        return low.replace(day=calendar.monthrange(low.year, low.month)[1])
    return low


def _label(interval: str, low: date) -> str:
    if interval == "year":
        return str(low.year)
    if interval == "quarter":
        return f"Q{(low.month - 1) // 3 + 1} {low.year}"
    if interval == "week":
        return f"week of {low.day} {low:%b %Y}"
    if interval == "month":
        return f"{low:%B %Y}"
    return f"{low.day} {low:%b %Y}"


def _sum(counts: dict[date, int], low: date, high: date) -> int:
    return sum(n for day, n in counts.items() if low <= day <= high)


def describe(timeline: Timeline) -> str:
    """One sentence for screen readers and the SVG's <desc>."""
    if not timeline.buckets:
        return "No matching story has an exact date, so there is nothing to place on a timeline."
    busiest = max(timeline.buckets, key=lambda b: b.count)
    text = (
        f"{_stories(timeline.dated)} matching per {timeline.interval} from "
        f"{timeline.buckets[0].label} to {timeline.buckets[-1].label}"
    )
    if busiest.count:
        label = f"the {busiest.label}" if timeline.interval == "week" else busiest.label
        text += f"; the busiest {timeline.interval} was {label}, with {_stories(busiest.count)}"
    return text + "."


def _stories(count: int) -> str:
    return f"{count:,} {'story' if count == 1 else 'stories'}"
