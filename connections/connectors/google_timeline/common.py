"""What every Timeline reader shares: formats, owner-worded errors, the element context,
value readers (positions, times, payload text and numbers), the record key, the element runner."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from ..base import LOCATION_STREAM, BatchFacts, ParsedRecord, location_key

# 2: Semantic raw paths in visits, epoch strings, overlap by day. 3: on-device times written without
# a zone are keyed on the wall clock as written (``_record``'s ``wall``), not the UTC second.
# 4: of the records at one point, a visit is kept before a trip's end (``prefer``): its place id and type were lost.
PARSER_VERSION = "google_timeline/4"

STREAM = LOCATION_STREAM

RECORDS = "takeout_records"
SEMANTIC = "takeout_semantic"
ANDROID = "ondevice_android"
IOS = "ondevice_ios"

_BOM = b"\xef\xbb\xbf"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TEXT = 500  # payload strings are cut to this length


class _Bad(Exception):
    """One element or point cannot be read; the message is in the owner's words."""


class _Hostile(Exception):
    """The bytes are shaped to exhaust the parser (absurd nesting or key length)."""


class _Slow(Exception):
    """The element leaves the fast Records path for the careful one."""


class _Unreadable(Exception):
    """The JSON could not be read far enough to tell what it is."""


class _NotFast(Exception):
    """The document is not laid out as ``stream._document_arrays`` expects: read it with ijson."""


# --------------------------------------------------------------------------- values


class _Ctx:
    """Per-document state shared by the element handlers."""

    __slots__ = ("facts", "entry", "array", "naive_tz", "naive_seen", "read", "untimed")

    def __init__(self, facts: BatchFacts, entry: str | None, naive_tz: tzinfo):
        self.facts = facts
        self.entry = entry
        self.array: str | None = None
        self.naive_tz = naive_tz
        self.naive_seen = False
        self.read = 0  # elements read completely so far
        self.untimed = 0  # waypoints without a time (skipped), for one sentence at the end

    def position(self, n: int) -> str:
        where = f"element {n}" if self.array is None else f"{self.array} element {n}"
        return where if self.entry is None else f"entry {self.entry}, {where}"

    def fail(self, n: int, detail: str) -> None:
        self.facts.fail(detail, self.position(n))


def _text(value) -> str | None:
    """A payload string: plain text, no NUL or lone surrogates, bounded length."""
    if type(value) is not str:
        return None
    if value.isascii() and "\x00" not in value:
        return value[:_MAX_TEXT]
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return value[:_MAX_TEXT]


def _number(value) -> float | int | None:
    """A finite payload number (iOS writes numbers as strings)."""
    t = type(value)
    if t is int:
        return value if -1e12 < value < 1e12 else None
    if t is float:
        return value if math.isfinite(value) and -1e12 < value < 1e12 else None
    if t is str:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) and -1e12 < number < 1e12 else None
    return None


def _check_position(lat: float, lon: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _Bad("The position is outside the range of latitudes and longitudes.")


def _e7(value, limit: int) -> float:
    """Degrees from an E7 integer, undoing Google's 32-bit overflow of some exports."""
    t = type(value)
    if t is str:
        try:
            value = int(value)
        except ValueError:
            raise _Bad("The position is garbled.") from None
    elif t is float:
        if not math.isfinite(value):
            raise _Bad("The position is garbled.")
    elif t is not int:
        raise _Bad("The position is missing or garbled.")
    if value > limit:
        value -= 4294967296
    return value / 1e7


def _e7_pair(obj, lat_key: str, lon_key: str) -> tuple[float, float]:
    if type(obj) is not dict:
        raise _Bad("The position is garbled.")
    lat = _e7(obj.get(lat_key), 900000000)
    lon = _e7(obj.get(lon_key), 1800000000)
    _check_position(lat, lon)
    return lat, lon


def _lat_lng(value) -> tuple[float, float]:
    """Degrees from ``"48.1371079°, 11.5753822°"``, ``"48.13, 11.57"`` or ``"geo:27.72,-97.34"``."""
    if type(value) is dict:
        value = value.get("latLng", value.get("LatLng"))
    if type(value) is not str:
        raise _Bad("The position is missing or garbled.")
    text = value.strip()
    if text[:4].lower() == "geo:":
        text = text[4:].split(";", 1)[0]
    parts = text.replace("°", "").split(",")
    if len(parts) not in (2, 3):  # a geo: URI may carry an altitude
        raise _Bad("The position is garbled.")
    try:
        lat = float(parts[0])
        lon = float(parts[1])
    except ValueError:
        raise _Bad("The position is garbled.") from None
    _check_position(lat, lon)
    return lat, lon


def _iso(value, naive_tz: tzinfo, ctx: _Ctx | None = None) -> datetime:
    """An aware UTC datetime from ISO 8601 text (``Z``, an offset, or none)."""
    return _iso_wall(value, naive_tz, ctx)[0]


def _iso_wall(value, naive_tz: tzinfo, ctx: _Ctx | None = None) -> tuple[datetime, datetime | None]:
    """``_iso``, and for text written without a zone its wall-clock time as written (labelled UTC,
    only for the key: ``_record``); ``None`` for a time that carries its zone."""
    if type(value) is not str:
        raise _Bad("The time is garbled.")
    try:
        at = datetime.fromisoformat(value)
        tz = at.tzinfo
        if tz is UTC:
            return at, None
        if tz is None:
            if ctx is not None:
                ctx.naive_seen = True
            return at.replace(tzinfo=naive_tz).astimezone(UTC), at.replace(tzinfo=UTC)
        return at.astimezone(UTC), None
    except (ValueError, OverflowError):
        raise _Bad("The time is garbled.") from None


def _epoch_ms(value) -> datetime:
    t = type(value)
    try:
        if t is str:
            value = int(value)
        elif t is float:
            value = int(value)
        elif t is not int:
            raise _Bad("The time is garbled.")
        return _EPOCH + timedelta(milliseconds=value)
    except (ValueError, OverflowError):
        raise _Bad("The time is garbled.") from None


def _inline_key_matches() -> bool:
    """Whether ``location_key`` is still "UTC second:lat:lon" at 5 decimals, on edge samples.

    ``f"{x:.5f}"`` rounds exactly as ``f"{round(x, 5):.5f}"`` does, so the key can be
    formatted inline (a third of the cost). Should ``location_key`` ever change,
    records fall back to calling it.
    """
    samples = [
        (datetime(2023, 5, 10, 8, 15, 30, 999999, tzinfo=UTC), 52.516305, -13.377745),
        (_EPOCH + timedelta(milliseconds=1), -0.000004, 179.999995),
        (datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC), -89.999995, -180.0),
    ]
    return all(
        f"{int(at.timestamp())}:{lat:.5f}:{lon:.5f}" == location_key(at, lat, lon)
        for at, lat, lon in samples
    )


_INLINE_KEY = _inline_key_matches()


WALL = ":wall"  # the end of a key on the wall clock as written


def _record(at: datetime, lat: float, lon: float, payload: dict, wall: datetime | None = None) -> ParsedRecord:
    """A location record; ``at`` is aware UTC.

    ``wall``: the time as written, when it carried no zone (``_iso_wall``). The key is then that
    wall-clock second, position and ``WALL`` (``"1718442000:48.13711:11.57538:wall"``), so it does
    not move with the zone the file is read in; the marker keeps it from merging with a fix keyed
    by its UTC second (``location_key``), which is another instant at the same place.
    """
    if wall is not None:
        return ParsedRecord(STREAM, f"{int(wall.timestamp())}:{lat:.5f}:{lon:.5f}{WALL}", at, payload)
    if _INLINE_KEY:
        key = f"{int(at.timestamp())}:{lat:.5f}:{lon:.5f}"
    else:
        key = location_key(at, lat, lon)
    return ParsedRecord(STREAM, key, at, payload)


NOWHERE = (None, None, None, None)  # what a point reader gives for a point with no place: skipped


def _parts(entry, *names: str) -> tuple:
    """The named parts of a place-or-trip entry (a Semantic timeline object, an on-device
    segment), each None when absent; an entry that is not an object is a bad element."""
    if type(entry) is not dict:
        raise _Bad("This entry is not a place or a trip.")
    return tuple(map(entry.get, names))


def _keep_points(n: int, ctx: _Ctx, out: list, what: str, kind: str, more, read, items) -> None:
    """The points of element ``n``, as every reader of places and trips takes them.

    ``read(item)`` gives an item's ``(lat, lon, at, wall)``: ``at`` None for a point without a
    time (it is skipped and counted), ``wall`` as ``_record`` takes it. A ``_Bad`` point fails the
    element's position with "<what> could not be read: <why>" and the next point is still read.
    A kept point's payload is its position, ``kind`` and then ``more`` (a dict, or None).
    """
    for item in items:
        try:
            lat, lon, at, wall = read(item)
        except _Bad as exc:
            ctx.fail(n, f"{what} could not be read: {exc}")
            continue
        if at is None:
            ctx.facts.skipped += 1
            continue
        payload = {"lat": lat, "lon": lon, "kind": kind}
        if more:
            payload.update(more)
        out.append(_record(at, lat, lon, payload, wall))


@dataclass
class _Damage:
    entry: str | None
    array: str | None
    read: int  # elements read completely before the damage
    error: BaseException


def _consume(
    batches, handler: Callable, ctx: _Ctx, start: int = 0, skip: int = 0
) -> Iterator[ParsedRecord]:
    """Run ``handler`` over every element; one bad element never stops the file.

    Elements are numbered from ``start`` + 1; the first ``skip`` elements were
    handled before (by the fast reader) and are passed over.
    """
    n = start
    for batch in batches:
        for item in batch:
            n += 1
            ctx.read = n
            if n <= skip:
                continue
            try:
                records = handler(item, n, ctx)
            except _Bad as exc:
                ctx.fail(n, f"An entry could not be read: {exc}")
                continue
            except Exception:  # noqa: BLE001 - any surprise in one element is that element's failure
                ctx.fail(n, "An entry could not be read.")
                continue
            yield from records
