"""Layout of the coverage timeline: one strip per lane, one cell per day (or week, or month).

Only geometry and shading; the facts (records per day, holes, days with media
not attached) come from the coverage summaries kept with the evidence, in the owner's
days (``coverage.days``: the summaries count UTC days).
Long ranges are bucketed so the SVG stays small: up to ``MAX_DAY_CELLS`` days
are drawn one cell per day, then weeks, then calendar months.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from django import template
from django.urls import reverse
from django.utils import timezone

from connections.connectors.manifest import METHOD_LABELS, METHODS
from coverage.days import owner_day_counts, owner_days, owner_gaps
from coverage.words import count, day, month

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
    href: str = ""  # the day's records (a day cell with records, when the source is known)


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
    href: str = ""


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


def _buckets(start: date, end: date) -> tuple[str, list[Bucket]]:
    days = (end - start).days + 1
    if days <= MAX_DAY_CELLS:
        return "day", [
            Bucket(start + timedelta(i), start + timedelta(i), day(start + timedelta(i))) for i in range(days)
        ]
    if days <= MAX_WEEK_CELLS * 7:
        first = start - timedelta(days=start.weekday())  # weeks start on Monday
        out, cursor = [], first
        while cursor <= end:
            last = cursor + timedelta(days=6)
            out.append(Bucket(cursor, last, f"Week of {day(cursor)}"))
            cursor = last + timedelta(days=1)
        return "week", out
    out, cursor = [], start.replace(day=1)
    while cursor <= end:
        following = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(Bucket(cursor, following - timedelta(days=1), month(cursor)))
        cursor = following
    return "month", out


def _level(count: int, top: int) -> int:
    if count <= 0 or top <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * math.log1p(count) / math.log1p(top))))


@dataclass(frozen=True)
class _Grid:
    """The facts per lane and bucket: records, media missing; and per bucket, whether it touches a hole."""

    unit: str
    buckets: list[Bucket]
    totals: list[list[int]]
    flagged: list[list[bool]]
    in_hole: list[bool]

    @property
    def top(self) -> int:
        return max((n for row in self.totals for n in row), default=0)


def build(lanes, holes, noun: tuple[str, str], tz: tzinfo | None = None, slug: str = "") -> Timeline | None:
    """The timeline of ``lanes`` (LaneSummary rows with day_counts) and ``holes`` ([{start, end}]) in ``tz``'s days."""
    lanes = sorted(lanes, key=_method_order)
    per_lane = [owner_day_counts(lane.day_counts, tz, lane.earliest_event_at, lane.covered_through) for lane in lanes]
    media = [owner_days(lane.media_days, tz, lane.earliest_event_at, lane.covered_through) for lane in lanes]
    all_days = [d for counts in per_lane for d in counts] + [d for days in media for d in days]
    if not all_days:
        return None
    start, end = min(all_days), max(all_days)
    grid = _grid(*_buckets(start, end), per_lane, media, _hole_days(owner_gaps(holes, tz)))
    cell = _cell_size(len(grid.buckets))
    row_height = cell + 12
    links = _links(grid, slug, sorted({d for counts in per_lane for d, n in counts.items() if n}))
    strips = _strips(lanes, grid, cell, row_height, noun, links)
    width = LABEL_WIDTH + max(len(grid.buckets) * (cell + GAP), AXIS_LABELS_WIDTH)
    axis_y = AXIS_HEIGHT // 2 + len(lanes) * row_height + 4
    total = sum(sum(row) for row in grid.totals)
    return Timeline(
        unit=grid.unit,
        start=start,
        end=end,
        width=width,
        height=axis_y + AXIS_HEIGHT,
        cell=cell,
        row_height=row_height,
        strips=strips,
        axis=_axis(start, end, width, len(grid.buckets)),
        axis_y=axis_y + 8,
        lane_labels=tuple(s.label for s in strips),
        rows=_table(grid, links),
        summary=f"Coverage from {day(start)} to {day(end)}, one cell per {grid.unit}: "
        f"{count(total, noun)} across {count(len(lanes), ('lane', 'lanes'))}.",
    )


def _method_order(lane) -> int:
    return METHODS.index(lane.method) if lane.method in METHODS else 99


def _cell_size(buckets: int) -> int:
    # Few cells are drawn larger so a short range is still easy to read and to point at.
    return 24 if buckets <= 15 else 16 if buckets <= 40 else CELL


def _axis(start: date, end: date, width: int, buckets: int) -> tuple[tuple[int, str, str], ...]:
    """The first date under the first cell; the last under the last, when there is more than one."""
    first = (LABEL_WIDTH, day(start), "start")
    return (first, (width - GAP, day(end), "end")) if buckets > 1 else (first,)


def _hole_days(holes) -> set[date]:
    days: set[date] = set()
    for hole in holes or ():
        h_start, h_end = _d(hole[0]), _d(hole[1])
        if h_start and h_end:
            days.update(h_start + timedelta(i) for i in range((h_end - h_start).days + 1))
    return days


def _grid(unit: str, buckets: list[Bucket], per_lane: list[dict[date, int]], media: list[set[date]],
          hole_days: set[date]) -> _Grid:
    totals = []
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
    in_hole = [any(_overlaps(b, d) for d in hole_days) for b in buckets]
    return _Grid(unit, buckets, totals, flagged, in_hole)


def _links(grid: _Grid, slug: str, days: list[date]) -> list[str]:
    """Per bucket, when the source is known, the address of its first day with records (a day
    cell: that day; a week or a month: its first day that has any), or "" when it has none."""
    links = []
    for bucket in grid.buckets:
        i = bisect_left(days, bucket.start)
        first = days[i] if i < len(days) and days[i] <= bucket.end else None
        links.append(reverse("coverage:day", args=[slug, first.isoformat()]) if slug and first else "")
    return links


def _strips(lanes, grid: _Grid, cell: int, row_height: int, noun: tuple[str, str],
            links: list[str]) -> tuple[Strip, ...]:
    top, step = grid.top, cell + GAP
    strips = []
    for i, lane in enumerate(lanes):
        y = AXIS_HEIGHT // 2 + i * row_height
        cells = tuple(_cell(grid, i, j, LABEL_WIDTH + j * step, top, noun, links[j]) for j in range(len(grid.buckets)))
        label = METHOD_LABELS.get(lane.method, lane.method)
        strips.append(Strip(label, y, y + cell // 2 + 4, y + cell + 2, cells, sum(grid.totals[i])))
    return tuple(strips)


def _cell(grid: _Grid, i: int, j: int, x: int, top: int, noun: tuple[str, str], href: str = "") -> Cell:
    """Lane ``i``, bucket ``j``: its shade, and a title that says the day, the count and any note."""
    n, media_missing = grid.totals[i][j], grid.flagged[i][j]
    hole = grid.in_hole[j] and n == 0
    title = f"{grid.buckets[j].label}: {count(n, noun)}"
    if hole:
        title += " (a gap: nothing recorded)"
    if media_missing:
        title += " (media missing)"
    return Cell(x, _level(n, top), n, hole, media_missing, title, href if n else "")


def _table(grid: _Grid, links: list[str]) -> tuple[TableRow, ...]:
    """The accessible table: a row per bucket that has records or a note."""
    rows = []
    for j, bucket in enumerate(grid.buckets):
        counts = tuple(row[j] for row in grid.totals)
        notes = []
        if grid.in_hole[j] and not any(counts):
            notes.append("gap")
        if any(row[j] for row in grid.flagged):
            notes.append("media missing")
        if any(counts) or notes:
            rows.append(TableRow(bucket.label, counts, ", ".join(notes), links[j]))
    return tuple(rows)


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
def coverage_timeline(lanes, holes, noun, slug=""):
    """``{% coverage_timeline lanes holes noun slug as timeline %}``, in the active zone (the owner's);
    with the source's ``slug``, a day cell links to that day's records."""
    return build(lanes, holes, noun, timezone.get_current_timezone(), slug)
