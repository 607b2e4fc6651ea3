"""The owner's days from summaries kept in UTC (DESIGN.md, "Time": days are the owner's).

The lane summaries count records per UTC hour or quarter hour (``LaneSummary.day_counts``,
``media_days``; ``pipeline.slots``): each slot lies within one owner's day, so those counts are
exact in any zone. Holes are runs of the owner's empty days and name their zone
(``pipeline.summaries.holes``). Summaries written before slots hold UTC days, and holes kept
before name no zone (empty UTC days). Without reading records, this is what can be said of
those in the owner's zone:

- a hole: the owner's days that lie wholly inside the empty days (exact: nothing was recorded
  on them); a hole shorter than a day of the owner's drops out;
- records per day: the first and last days are exact (from the instants). A UTC day's count
  moves as the first and the last record moved (10 Nov 09:00 in Auckland is 9 Nov in UTC:
  every day moves one day later); when those two moved differently, it goes to the owner's
  day holding the UTC day's noon. The counts of UTC days are not split: records that
  straddle the owner's midnight are counted on one side of it.

``tz`` ``None`` keeps the UTC days as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .words import local_date, zone, zone_name


def _utc_day(key) -> date | None:
    try:
        return date.fromisoformat(str(key)[:10])
    except (TypeError, ValueError):
        return None


def _noon_day(utc_day: date, tz: tzinfo) -> date:
    return local_date(datetime.combine(utc_day, time(12), UTC), tz)


def _mover(tz: tzinfo, first_at: datetime | None, last_at: datetime | None):
    """How a UTC day becomes the owner's: the shift the first and last records show, if they agree."""
    shifts = {local_date(t, tz) - t.astimezone(UTC).date() for t in (first_at, last_at) if t is not None}
    if len(shifts) == 1:
        shift = shifts.pop()
        return lambda d: d + shift
    return lambda d: _noon_day(d, tz)


def _clamp(d: date, first: date | None, last: date | None) -> date:
    if first is not None and d < first:
        return first
    if last is not None and d > last:
        return last
    return d


def _bounds(tz: tzinfo, first_at: datetime | None, last_at: datetime | None) -> tuple[date | None, date | None]:
    return (local_date(first_at, tz) if first_at else None, local_date(last_at, tz) if last_at else None)


def slot_start(key: str) -> tuple[datetime, timedelta] | None:
    """The UTC start and length of a slot key; ``None`` for a day key (or anything else)."""
    text = str(key)
    if len(text) < 13 or text[10] != "T":
        return None
    try:
        start = datetime.fromisoformat(text[:13] + (text[13:] if len(text) > 13 else ":00")).replace(tzinfo=UTC)
    except ValueError:
        return None
    return start, timedelta(minutes=15 if len(text) > 13 else 60)


def _slot_day(key, tz: tzinfo | None) -> date | None:
    """The owner's day of a slot key (``pipeline.slots``: a UTC hour or quarter hour), else ``None``.

    Exact: a slot lies within one owner's day (for an owner whose zone was hour-aligned when an
    hour was kept and later moved to a +05:45 zone, the slot's start decides)."""
    found = slot_start(key)
    if found is None:
        return None
    return local_date(found[0], tz) if tz is not None else found[0].date()


def stream_counts(day_counts: dict) -> dict[str, dict[str, int]]:
    """The per-stream slots of a lane (keys ``"2024-03-03T10~workouts"``): stream -> {slot: records}."""
    found: dict[str, dict[str, int]] = {}
    for key, n in (day_counts or {}).items():
        slot, _, stream = str(key).partition("~")
        if stream:
            found.setdefault(stream, {})[slot] = n
    return found


def owner_day_counts(day_counts: dict, tz: tzinfo | None, first_at: datetime | None = None,
                     last_at: datetime | None = None) -> dict[date, int]:
    """Records per owner's day, from records per UTC slot (exact) or per UTC day (ISO keys, kept before
    slots: approximate); ``first_at``/``last_at`` bound the latter. Per-stream keys are left out."""
    out: dict[date, int] = {}
    days: dict[date, int] = {}
    for key, n in (day_counts or {}).items():
        if "~" in str(key):
            continue
        if (d := _slot_day(key, tz)) is not None:
            out[d] = out.get(d, 0) + n
        elif (d := _utc_day(key)) is not None:
            days[d] = days.get(d, 0) + n
    if tz is None:
        return _add_counts(out, days)
    first, last = _bounds(tz, first_at, last_at)
    move = _mover(tz, first_at, last_at)
    for utc_day, n in days.items():
        d = _clamp(move(utc_day), first, last)
        out[d] = out.get(d, 0) + n
    return out


def _add_counts(left: dict[date, int], right: dict[date, int]) -> dict[date, int]:
    for d, n in right.items():
        left[d] = left.get(d, 0) + n
    return left


def owner_days(utc_days: Iterable, tz: tzinfo | None, first_at: datetime | None = None,
               last_at: datetime | None = None) -> set[date]:
    """The owner's days of a set of UTC slots or UTC days (ISO strings), bounded like ``owner_day_counts``."""
    exact = {d for key in utc_days or () if (d := _slot_day(key, tz)) is not None}
    days = {d for key in utc_days or () if _slot_day(key, tz) is None and (d := _utc_day(key))}
    if tz is None:
        return exact | days
    first, last = _bounds(tz, first_at, last_at)
    move = _mover(tz, first_at, last_at)
    return exact | {_clamp(move(d), first, last) for d in days}


def owner_gaps(holes: Iterable[dict], tz: tzinfo | None) -> list[tuple[str, str, int]]:
    """The holes (``{"start", "end", "days"}``, empty days of the hole's ``zone``, UTC when it names none)
    as the owner's days wholly inside them:
    ``(first, last, days)``, ISO days."""
    gaps = []
    for hole in holes or ():
        start, end = _utc_day(hole.get("start")), _utc_day(hole.get("end"))
        if start is None or end is None:
            continue
        # A hole names the zone of its days (``pipeline.summaries.holes``); older ones are UTC days.
        if tz is None or zone_name(tz) == hole.get("zone", "UTC"):
            gaps.append((start.isoformat(), end.isoformat(), (end - start).days + 1))
            continue
        empty_from, empty_until = _empty_between(hole, start, end)
        first = local_date(empty_from, tz)
        if _midnight(first, tz) < empty_from:
            first += timedelta(days=1)
        last = local_date(empty_until, tz) - timedelta(days=1)
        if last >= first:
            gaps.append((first.isoformat(), last.isoformat(), (last - first).days + 1))
    return gaps


def _empty_between(hole: dict, start: date, end: date) -> tuple[datetime, datetime]:
    """The instants a hole is known empty between: those it keeps (``"from"``, ``"until"``: the
    end of the last slot with a record before it, the start of the first after), else its days
    in its zone (holes kept before they named their instants)."""
    try:
        return datetime.fromisoformat(hole["from"]), datetime.fromisoformat(hole["until"])
    except (KeyError, TypeError, ValueError):
        hole_zone = zone(hole.get("zone"))
        return (datetime.combine(start, time(0), hole_zone),
                datetime.combine(end + timedelta(days=1), time(0), hole_zone))


def _midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(0), tz)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants where the owner's ``day`` starts and the next one starts (``tz``: their zone)."""
    following = day + timedelta(days=1)
    return _midnight(day, tz).astimezone(UTC), _midnight(following, tz).astimezone(UTC)
