"""Layout of the coverage timeline: one strip per lane, one cell per day (or week, or month).

Only geometry and shading; the facts (records per day, holes, days with media
not attached) come from the coverage summaries kept with the evidence.
Long ranges are bucketed so the SVG stays small: up to ``MAX_DAY_CELLS`` days
are drawn one cell per day, then weeks, then calendar months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django import template

from connections.connectors.manifest import METHOD_LABELS, METHODS

register = template.Library()

MAX_DAY_CELLS = 120
MAX_WEEK_CELLS = 156
CELL = 10
GAP = 2
LABEL_WIDTH = 64
AXIS_HEIGHT = 18
AXIS_LABELS_WIDTH = 150  # room for the first and last date under a short strip


@dataclass(frozen=True)
class Cell:
    x: int
    level: int  # 0 = nothing recorded, 1..4 = shading by count
    count: int
    hole: bool
    media_missing: bool
    title: str


@dataclass(frozen=True)
class Strip:
    label: str
    y: int
    text_y: int
    mark_y: int
    cells: tuple[Cell, ...]
    total: int


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date
    label: str


@dataclass(frozen=True)
class TableRow:
    label: str
    counts: tuple[int, ...]
    note: str


@dataclass(frozen=True)
class Timeline:
    unit: str  # "day", "week" or "month"
    start: date
    end: date
    width: int
    height: int
    cell: int
    row_height: int
    strips: tuple[Strip, ...]
    axis: tuple[tuple[int, str, str], ...]  # (x, label, text-anchor)
    axis_y: int
    lane_labels: tuple[str, ...]
    rows: tuple[TableRow, ...]
    summary: str


def _d(value: str) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _fmt(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _buckets(start: date, end: date) -> tuple[str, list[Bucket]]:
    days = (end - start).days + 1
    if days <= MAX_DAY_CELLS:
        return "day", [
            Bucket(start + timedelta(i), start + timedelta(i), _fmt(start + timedelta(i))) for i in range(days)
        ]
    if days <= MAX_WEEK_CELLS * 7:
        first = start - timedelta(days=start.weekday())  # weeks start on Monday
        out, cursor = [], first
        while cursor <= end:
            last = cursor + timedelta(days=6)
            out.append(Bucket(cursor, last, f"Week of {_fmt(cursor)}"))
            cursor = last + timedelta(days=1)
        return "week", out
    out, cursor = [], start.replace(day=1)
    while cursor <= end:
        following = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(Bucket(cursor, following - timedelta(days=1), f"{cursor:%B %Y}"))
        cursor = following
    return "month", out


def _level(count: int, top: int) -> int:
    if count <= 0 or top <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * math.log1p(count) / math.log1p(top))))


def build(lanes, holes, noun: tuple[str, str]) -> Timeline | None:
    """The timeline of ``lanes`` (LaneSummary rows with day_counts) and ``holes`` ([{start, end}])."""
    lanes = sorted(lanes, key=lambda lane: METHODS.index(lane.method) if lane.method in METHODS else 99)
    per_lane = [{d: n for k, n in (lane.day_counts or {}).items() if (d := _d(k))} for lane in lanes]
    media = [{d for k in (lane.media_days or ()) if (d := _d(k))} for lane in lanes]
    all_days = [d for counts in per_lane for d in counts] + [d for days in media for d in days]
    if not all_days:
        return None
    start, end = min(all_days), max(all_days)
    hole_days: set[date] = set()
    for hole in holes or ():
        h_start, h_end = _d(hole.get("start")), _d(hole.get("end"))
        if h_start and h_end:
            hole_days.update(h_start + timedelta(i) for i in range((h_end - h_start).days + 1))

    unit, buckets = _buckets(start, end)
    totals = []  # per lane, per bucket
    for counts in per_lane:
        row = [0] * len(buckets)
        for d, n in counts.items():
            row[_index(unit, buckets, d)] += n
        totals.append(row)
    flagged = []
    for days in media:
        row = [False] * len(buckets)
        for d in days:
            row[_index(unit, buckets, d)] = True
        flagged.append(row)
    in_hole = [any(_overlaps(b, d) for d in hole_days) for b in buckets] if hole_days else [False] * len(buckets)
    top = max((n for row in totals for n in row), default=0)
    # Few cells are drawn larger so a short range is still easy to read and to point at.
    cell = 24 if len(buckets) <= 15 else 16 if len(buckets) <= 40 else CELL
    step = cell + GAP
    row_height = cell + 12

    strips = []
    for i, lane in enumerate(lanes):
        y = AXIS_HEIGHT // 2 + i * row_height
        cells = []
        for j, bucket in enumerate(buckets):
            n = totals[i][j]
            hole = in_hole[j] and n == 0
            title = f"{bucket.label}: {n:,} {noun[0] if n == 1 else noun[1]}"
            if hole:
                title += " (a gap: nothing recorded)"
            if flagged[i][j]:
                title += " (media missing)"
            cells.append(Cell(LABEL_WIDTH + j * step, _level(n, top), n, hole, flagged[i][j], title))
        label = METHOD_LABELS.get(lane.method, lane.method)
        strips.append(Strip(label, y, y + cell // 2 + 4, y + cell + 2, tuple(cells), sum(totals[i])))

    width = LABEL_WIDTH + max(len(buckets) * step, AXIS_LABELS_WIDTH)
    axis_y = AXIS_HEIGHT // 2 + len(lanes) * row_height + 4
    axis = [(LABEL_WIDTH, _fmt(start), "start")]
    if len(buckets) > 1:
        axis.append((width - GAP, _fmt(end), "end"))

    rows = []
    for j, bucket in enumerate(buckets):
        counts = tuple(totals[i][j] for i in range(len(lanes)))
        notes = []
        if in_hole[j] and not any(counts):
            notes.append("gap")
        if any(flagged[i][j] for i in range(len(lanes))):
            notes.append("media missing")
        if any(counts) or notes:
            rows.append(TableRow(bucket.label, counts, ", ".join(notes)))

    total = sum(sum(row) for row in totals)
    summary = (
        f"Coverage from {_fmt(start)} to {_fmt(end)}, one cell per {unit}: "
        f"{total:,} {noun[0] if total == 1 else noun[1]} across {len(lanes)} "
        f"{'lane' if len(lanes) == 1 else 'lanes'}."
    )
    return Timeline(
        unit=unit,
        start=start,
        end=end,
        width=width,
        height=axis_y + AXIS_HEIGHT,
        cell=cell,
        row_height=row_height,
        strips=tuple(strips),
        axis=tuple(axis),
        axis_y=axis_y + 8,
        lane_labels=tuple(s.label for s in strips),
        rows=tuple(rows),
        summary=summary,
    )


def _index(unit: str, buckets: list[Bucket], d: date) -> int:
    first = buckets[0].start
    if unit == "day":
        return (d - first).days
    if unit == "week":
        return (d - first).days // 7
    return (d.year - first.year) * 12 + d.month - first.month


def _overlaps(bucket: Bucket, d: date) -> bool:
    return bucket.start <= d <= bucket.end


@register.simple_tag
def coverage_timeline(lanes, holes, noun):
    """``{% coverage_timeline lanes holes noun as timeline %}``"""
    return build(lanes, holes, noun)
