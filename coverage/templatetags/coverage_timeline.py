"""Layout of the coverage timeline: one strip per lane, one cell per day (or week, or month).

Only geometry and shading. The facts (records per owner's day, holes, days with media not
attached, the buckets) are the projection's ``coverage.timeline`` (``coverage.projection.timeline``);
this lays them out as an SVG and an accessible table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, tzinfo

from django import template
from django.urls import reverse

from coverage.projection.timeline import MAX_DAY_CELLS, MAX_WEEK_CELLS, timeline_of
from coverage.projection.timeline import Timeline as Facts
from coverage.words import count, day

register = template.Library()

__all__ = ["MAX_DAY_CELLS", "MAX_WEEK_CELLS", "build", "layout"]

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


def build(lanes, holes, noun: tuple[str, str], tz: tzinfo | None = None, slug: str = "") -> Timeline | None:
    """The layout of ``lanes`` (lane summary rows, as the loader gives them) and ``holes`` in ``tz``'s days."""
    facts = timeline_of(lanes, holes, tz)
    return layout(facts, noun, slug) if facts is not None else None


def layout(facts: Facts | None, noun: tuple[str, str], slug: str = "", records: int | None = None) -> Timeline | None:
    """The SVG geometry and the accessible table of the projection's timeline. ``records``: the source's records
    (the projection's count, as the card says it); a record delivered through two lanes is in both strips."""
    if facts is None or not facts.strips:
        return None
    n = len(facts.labels)
    cell = _cell_size(n)
    row_height = cell + 12
    links = [reverse("coverage:day", args=[slug, d.isoformat()]) if slug and d else "" for d in facts.first_days] or [""] * n
    top = max((c.count for strip in facts.strips for c in strip.cells), default=0)
    strips = _strips(facts, cell, row_height, noun, links, top)
    width = LABEL_WIDTH + max(n * (cell + GAP), AXIS_LABELS_WIDTH)
    axis_y = AXIS_HEIGHT // 2 + len(strips) * row_height + 4
    lanes = [strip for strip in facts.strips if not strip.method.startswith("stream:")]
    total = sum(strip.total for strip in lanes)
    held = total if records is None else records
    overlap = f", {total - held:,} of them through more than one" if len(lanes) > 1 and total > held else ""
    return Timeline(
        unit=facts.unit,
        start=facts.start,
        end=facts.end,
        width=width,
        height=axis_y + AXIS_HEIGHT,
        cell=cell,
        row_height=row_height,
        strips=strips,
        axis=_axis(facts.start, facts.end, width, n),
        axis_y=axis_y + 8,
        lane_labels=tuple(s.label for s in strips),
        rows=_table(facts, links),
        summary=f"Coverage from {day(facts.start)} to {day(facts.end)}, one cell per {facts.unit}: "
        f"{count(held, noun)} across {count(len(lanes), ('lane', 'lanes'))}{overlap}.",
    )


def _level(n: int, top: int) -> int:
    if n <= 0 or top <= 0:
        return 0
    return max(1, min(4, math.ceil(4 * math.log1p(n) / math.log1p(top))))


def _cell_size(buckets: int) -> int:
    # Few cells are drawn larger so a short range is still easy to read and to point at.
    return 24 if buckets <= 15 else 16 if buckets <= 40 else CELL


def _axis(start: date, end: date, width: int, buckets: int) -> tuple[tuple[int, str, str], ...]:
    """The first date under the first cell; the last under the last, when there is more than one."""
    first = (LABEL_WIDTH, day(start), "start")
    return (first, (width - GAP, day(end), "end")) if buckets > 1 else (first,)


def _strips(facts: Facts, cell: int, row_height: int, noun: tuple[str, str], links: list[str],
            top: int) -> tuple[Strip, ...]:
    step = cell + GAP
    strips = []
    for i, strip in enumerate(facts.strips):
        y = AXIS_HEIGHT // 2 + i * row_height
        cells = tuple(
            _cell(c, facts.labels[j], LABEL_WIDTH + j * step, top, noun, links[j]) for j, c in enumerate(strip.cells)
        )
        strips.append(Strip(strip.label, y, y + cell // 2 + 4, y + cell + 2, cells, strip.total))
    return tuple(strips)


def _cell(c, label: str, x: int, top: int, noun: tuple[str, str], href: str = "") -> Cell:
    """One cell: its shade, and a title that says the day, the count and any note."""
    title = f"{label}: {count(c.count, noun)}"
    if c.hole:
        title += " (a gap: nothing recorded)"
    if c.media_missing:
        title += " (media missing)"
    return Cell(x, _level(c.count, top), c.count, c.hole, c.media_missing, title, href if c.count else "")


def _table(facts: Facts, links: list[str]) -> tuple[TableRow, ...]:
    """The accessible table: a row per bucket that has records or a note."""
    rows = []
    for j, label in enumerate(facts.labels):
        cells = [strip.cells[j] for strip in facts.strips]
        counts = tuple(c.count for c in cells)
        notes = []
        if all(c.hole for c in cells):
            notes.append("gap")
        if any(c.media_missing for c in cells):
            notes.append("media missing")
        if any(counts) or notes:
            rows.append(TableRow(label, counts, ", ".join(notes), links[j]))
    return tuple(rows)


@register.simple_tag
def coverage_timeline(timeline, noun, slug="", records=None):
    """``{% coverage_timeline health.coverage.timeline noun slug records as timeline %}``: the layout of the
    projection's timeline; with the source's ``slug``, a cell with records links to its first day; ``records``
    the projection's count of them."""
    return layout(timeline, noun, slug, records)
