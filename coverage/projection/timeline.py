"""The coverage timeline as facts (DESIGN.md, projection contract: ``coverage.timeline``).

Per lane: the owner's days with records, media-missing days from the records' current media
state, and holes, bucketed at a resolution that fits the span: up to ``MAX_DAY_CELLS`` days one
cell per day, then weeks (Monday first), then calendar months. Pure: the lane summaries (their
per-slot counts, ``pipeline.slots``) and the holes come in, frozen values come out. The
template tag ``coverage_timeline`` only lays these out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from connections.connectors.manifest import METHOD_LABELS, METHODS

from ..days import owner_day_counts, owner_days, owner_gaps, slot_start, stream_counts
from ..words import count, day, month

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
    method: str  # an acquisition method, or "stream:<name>" for a stream's strip (sources of several streams)
    label: str  # "Export", "Phone", "Workouts"
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


@dataclass(frozen=True)
class StreamCoverage:
    """One stream of a source of several (Apple Health: samples, workouts, activity summaries, routes).

    Times are to the slot (the hour, or quarter hour) its first and last records fell in."""

    stream: str
    label: str  # "Workouts"
    earliest_event_at: datetime
    covered_through: datetime
    record_count: int
    text: str  # "Workouts: 12 Jan 2024 to 3 Mar 2024 · 9 workouts"


# stream -> (short label, as on a timeline strip; nouns). Other streams are "records".
STREAM_WORDS: dict[str, tuple[str, tuple[str, str]]] = {
    "samples": ("Samples", ("sample", "samples")),
    "workouts": ("Workouts", ("workout", "workouts")),
    "activity_summaries": ("Activity", ("activity summary", "activity summaries")),
    "workout_routes": ("Routes", ("route point", "route points")),
}
STOPPED_AFTER = timedelta(days=7)  # a stream whose last record is this much older than another's "ends"


def _stream_words(stream: str) -> tuple[str, tuple[str, str]]:
    return STREAM_WORDS.get(stream, (stream.replace("_", " ").capitalize(), ("record", "records")))


def _merged_streams(lanes) -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = {}
    for lane in lanes:
        for stream, slots in stream_counts(lane.day_counts).items():
            into = merged.setdefault(stream, {})
            for slot, n in slots.items():
                into[slot] = into.get(slot, 0) + n
    return merged


def streams_of(lanes, tz: tzinfo | None, loaded: bool = True) -> dict:
    """``{"streams": (StreamCoverage, ...), "streams_text": str}`` for a source that keeps several
    streams; the sentence says which stream stopped early ("Workouts end 3 Mar 2024; samples run to
    1 Dec 2024."). Empty unless ``loaded`` (the lanes carry their per-slot counts)."""
    if not loaded:
        return {}
    found = []
    for stream, slots in sorted(_merged_streams(lanes).items()):
        starts = sorted(start for key in slots if (start := slot_start(key)) is not None)
        if not starts:
            continue
        first, (last, length) = starts[0][0], starts[-1]
        label, noun = _stream_words(stream)
        total = sum(slots.values())
        found.append(StreamCoverage(stream, label, first, last + length, total,
                                    f"{label}: {_span(first, last, tz)} · {count(total, noun)}"))
    newest = max(found, key=lambda s: s.covered_through, default=None)
    stopped = [s for s in found if newest.covered_through - s.covered_through > STOPPED_AFTER] if newest else []
    text = ""
    if stopped:
        ends = " and ".join(f"{s.label.lower()} end {_last_day(s, tz)}" for s in stopped)
        text = f"{ends[0].upper()}{ends[1:]}; {newest.label.lower()} run to {_last_day(newest, tz)}."
    return {"streams": tuple(found), "streams_text": text}


def _last_day(stream: StreamCoverage, tz: tzinfo | None) -> str:
    return day(stream.covered_through - timedelta(seconds=1), tz)


def _span(first: datetime, last: datetime, tz: tzinfo | None) -> str:
    a, b = day(first, tz), day(last, tz)
    return f"on {a}" if a == b else f"{a} to {b}"


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
    ``holes`` (``[{start, end, days, zone}]``, the owner's empty days, ``pipeline.summaries.holes``; UTC days
    when they name no zone) in ``tz``'s days; ``None`` with nothing to show."""
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
    streams = _merged_streams(lanes)
    for stream, slots in sorted(streams.items()) if len(streams) > 1 else ():
        totals = [0] * len(spans)
        for d, n in owner_day_counts(slots, tz).items():
            if start <= d <= end:
                totals[_index(unit, first, d)] += n
        cells = tuple(TimelineCell(a, b, totals[j], False, False) for j, (a, b, _) in enumerate(spans))
        strips.append(TimelineStrip(f"stream:{stream}", _stream_words(stream)[0], sum(totals), cells))
    first_days: list[date | None] = [None] * len(spans)
    for d in sorted({d for counts in per_lane for d, n in counts.items() if n}, reverse=True):
        first_days[_index(unit, first, d)] = d
    return Timeline(unit, start, end, tuple(label for _, _, label in spans), tuple(strips), tuple(first_days))
