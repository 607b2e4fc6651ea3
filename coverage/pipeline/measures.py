"""What a landing measures and brings: the values ``landing`` hands to ``summaries``.

``Measure`` is what landing staged rows would add (``landing.measure_staged``); ``Round`` what
one staging round brings; ``Landed`` what a landing did add. Plain values, no queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo


@dataclass
class Measure:
    accepted: int = 0
    days: list[int] = field(default_factory=list)  # ordinal days with any staged record
    day_counts: dict[str, int] = field(default_factory=dict)  # would-be-new records per UTC day
    media_days: list[str] = field(default_factory=list)  # days with media missing or omitted
    duplicate_sources: list[dict] = field(default_factory=list)
    new_media: dict[str, int] = field(default_factory=dict)  # media state -> new records
    staged: int = 0  # distinct staged rows
    staged_media: dict[str, int] = field(default_factory=dict)  # media state -> staged rows
    held: bool = False  # the connection held records before (else every staged row is new)
    new_reach: list = field(default_factory=list)  # held: [first, last] instant of the would-be-new rows, as staged
    slot_minutes: int = 60  # the length of the slots below (``slots``: an hour, or a quarter hour)
    slot_counts: dict[str, int] = field(default_factory=dict)  # would-be-new records per UTC slot and stream
    media_slots: list[str] = field(default_factory=list)  # slots with media missing or omitted
    slots: list[str] = field(default_factory=list)  # slots with any staged record (``summaries.holes``)
    zone: tzinfo = UTC  # the owner's zone the slots were cut for
    by_slot: bool = True  # grouped by slot too (else ``slot_counts`` and ``slots`` are empty)


@dataclass
class Round:
    """What one staging round brings, for the summaries."""

    parsed: int
    earliest: datetime | None
    latest: datetime | None
    partial: bool
    media_not_attached: int


@dataclass
class Landed:
    accepted: int
    measure: Measure
    # Records this lane delivered, per UTC slot (``slots``) and stream: "2024-03-03T10~workouts".
    lane_days: dict[str, int] = field(default_factory=dict)
    new_days: dict[str, int] = field(default_factory=dict)  # new records, per day
    upgraded: dict[str, int] = field(default_factory=lambda: {"missing": 0, "omitted": 0})
