"""The coverage timeline as facts (DESIGN.md, projection contract: ``coverage.timeline``).

Per lane: the owner's days with records, media-missing days from the records' current media
state, and holes, bucketed at a resolution that fits the span: up to ``MAX_DAY_CELLS`` days one
cell per day, then weeks (Monday first), then calendar months. Pure: the lane summaries (their
per-slot counts, ``pipeline.slots``) and the holes come in, frozen values come out. The
template tag ``coverage_timeline`` only lays these out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from connections.connectors.manifest import METHOD_LABELS, METHODS

from ..days import owner_day_counts, owner_days, owner_gaps
from ..words import day, month

MAX_DAY_CELLS = 120
MAX_WEEK_CELLS = 156


@dataclass(frozen=True)
class TimelineCell:
    start: date
    end: date
    count: int
    media_missing: bool  # a record of it still lacks its media
    hole: bool  # nothing recorded, inside a gap the connector declares


@dataclass(frozen=True)
class TimelineStrip:
    method: str
    label: str  # "Export", "Phone"
    total: int
    cells: tuple[TimelineCell, ...]


@dataclass(frozen=True)
class Timeline:
    unit: str  # "day", "week" or "month"
    start: date  # the owner's first and last day with records (or marks)
    end: date
    labels: tuple[str, ...]  # per bucket, in owner words: "1 May 2024", "Week of 29 Apr 2024", "May 2024"
    strips: tuple[TimelineStrip, ...]
    first_days: tuple[date | None, ...] = ()  # per bucket, its first owner's day with a record (or None)


def _method_order(lane) -> int:
    return METHODS.index(lane.method) if lane.method in METHODS else 99


def buckets(start: date, end: date) -> tuple[str, list[tuple[date, date, str]]]:
    """The unit that fits ``start``..``end`` and its buckets ``(first day, last day, label)``."""
    days = (end - start).days + 1
    if days <= MAX_DAY_CELLS:
        return "day", [(start + timedelta(i), start + timedelta(i), day(start + timedelta(i))) for i in range(days)]
    if days <= MAX_WEEK_CELLS * 7:
        out, cursor = [], start - timedelta(days=start.weekday())
        while cursor <= end:
            last = cursor + timedelta(days=6)
            out.append((cursor, last, f"Week of {day(cursor)}"))
            cursor = last + timedelta(days=1)
        return "week", out
    out, cursor = [], start.replace(day=1)
    while cursor <= end:
        following = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((cursor, following - timedelta(days=1), month(cursor)))
        cursor = following
    return "month", out


def _index(unit: str, first: date, d: date) -> int:
    if unit == "day":
        return (d - first).days
    if unit == "week":
        return (d - first).days // 7
    return (d.year - first.year) * 12 + d.month - first.month


def _hole_days(holes) -> set[date]:
    found: set[date] = set()
    for start, end, _days in holes:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        found.update(first + timedelta(i) for i in range((last - first).days + 1))
    return found


def timeline_of(lanes, holes, tz: tzinfo | None) -> Timeline | None:
    """The timeline of ``lanes`` (LaneSummary rows with ``day_counts`` and ``media_days`` loaded) and
    ``holes`` (``[{start, end, days}]``, empty UTC days) in ``tz``'s days; ``None`` with nothing to show."""
    lanes = sorted(lanes, key=_method_order)
    per_lane = [owner_day_counts(lane.day_counts, tz, lane.earliest_event_at, lane.covered_through) for lane in lanes]
    media = [owner_days(lane.media_days, tz, lane.earliest_event_at, lane.covered_through) for lane in lanes]
    all_days = [d for counts in per_lane for d in counts] + [d for days in media for d in days]
    if not all_days:
        return None
    start, end = min(all_days), max(all_days)
    unit, spans = buckets(start, end)
    first = spans[0][0]
    hole_days = _hole_days(owner_gaps(holes, tz))
    in_hole = [any(a <= d <= b for d in hole_days) for a, b, _ in spans] if hole_days else [False] * len(spans)
    strips = []
    for lane, counts, flagged in zip(lanes, per_lane, media, strict=True):
        totals, marks = [0] * len(spans), [False] * len(spans)
        for d, n in counts.items():
            totals[_index(unit, first, d)] += n
        for d in flagged:
            marks[_index(unit, first, d)] = True
        cells = tuple(
            TimelineCell(a, b, totals[j], marks[j], in_hole[j] and totals[j] == 0)
            for j, (a, b, _) in enumerate(spans)
        )
        strips.append(TimelineStrip(lane.method, METHOD_LABELS.get(lane.method, lane.method), sum(totals), cells))
    first_days: list[date | None] = [None] * len(spans)
    for d in sorted({d for counts in per_lane for d, n in counts.items() if n}, reverse=True):
        first_days[_index(unit, first, d)] = d
    return Timeline(unit, start, end, tuple(label for _, _, label in spans), tuple(strips), tuple(first_days))
