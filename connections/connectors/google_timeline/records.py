"""Takeout ``Records.json``: one raw fix per element of ``locations``.

Most elements have the usual shape and take the plain path, ``_plain_record``, which
formats the key inline; anything unusual takes the careful path, ``_records_element``.
A property test checks the two agree.

The plain path formats ``location_key``'s key inline (see ``common._inline_key_matches``):
for a UTC time from ``timestamp``, or from ``timestampMs`` in [0, 4e12) where
``fromtimestamp(ms / 1000)`` is exact to the microsecond, the whole second is
``int(at.timestamp())``. It takes optional fields only in their plain shapes (what
``_number`` and ``_text`` pass unchanged), and makes the record as a draft
(``connections.connectors.drafts``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from ..base import ParsedRecord
from ..drafts import FAST, Draft, new
from . import common
from .common import STREAM, _Bad, _Ctx, _e7, _epoch_ms, _iso, _number, _record, _Slow, _text


def _records_element(item, n: int, ctx: _Ctx) -> ParsedRecord | None:
    if type(item) is not dict:
        raise _Bad("This entry is not a location.")
    get = item.get
    lat = _e7(get("latitudeE7"), 900000000)
    lon = _e7(get("longitudeE7"), 1800000000)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _Bad("The position is outside the range of latitudes and longitudes.")
    ts = get("timestamp")
    if ts is not None:
        at = _iso(ts, UTC)
    else:
        ms = get("timestampMs")
        if ms is None:
            ctx.facts.skipped += 1
            return None
        at = _epoch_ms(ms)
    payload = {"lat": lat, "lon": lon, "kind": "raw"}
    accuracy = get("accuracy")
    if accuracy is not None and (accuracy := _number(accuracy)) is not None:
        payload["accuracy"] = accuracy
    source = get("source")
    if source is not None and (source := _text(source)) is not None:
        payload["source"] = source
    altitude = get("altitude")
    if altitude is not None and (altitude := _number(altitude)) is not None:
        payload["altitude"] = altitude
    return _record(at, lat, lon, payload)


def _consume_records(batches: Iterator[list], ctx: _Ctx) -> Iterator[ParsedRecord]:
    """Records.json elements: the plain path for the usual shape, the careful one otherwise."""
    plain = _plain_record if common._INLINE_KEY else _never_plain
    n = 0
    for batch in batches:
        for item in batch:
            n += 1
            try:
                record = plain(item)
            except Exception:  # noqa: BLE001 - anything unusual takes the careful path
                record = _careful_record(item, n, ctx)
                if record is None:
                    continue
            yield record
        ctx.read = n


def _plain_record(
    item,
    fromisoformat=datetime.fromisoformat,  # bound once: this runs for every element
    fromtimestamp=datetime.fromtimestamp,
) -> ParsedRecord:
    """The record of an element of the usual shape (see the module doc); raises when it is not."""
    lat = item["latitudeE7"]
    lon = item["longitudeE7"]
    if (
        type(lat) is not int
        or type(lon) is not int
        or not -900000000 <= lat <= 900000000
        or not -1800000000 <= lon <= 1800000000
    ):
        raise _Slow
    ts = item.get("timestamp")
    if ts is not None:
        at = fromisoformat(ts)
        if at.tzinfo is not UTC:
            raise _Slow
        second = int(at.timestamp())
    else:
        ms = item["timestampMs"]
        if type(ms) is not str:
            raise _Slow
        ms = int(ms)
        if not 0 <= ms < 4_000_000_000_000:
            raise _Slow
        at = fromtimestamp(ms / 1000, UTC)
        second = ms // 1000
    lat /= 1e7
    lon /= 1e7
    payload = {"lat": lat, "lon": lon, "kind": "raw"}
    value = item.get("accuracy")
    if value is not None:
        if type(value) is not int or not -1_000_000 < value < 1_000_000:
            raise _Slow
        payload["accuracy"] = value
    value = item.get("source")
    if value is not None:
        if type(value) is not str or len(value) > 64 or not value.isascii() or "\x00" in value:
            raise _Slow
        payload["source"] = value
    value = item.get("altitude")
    if value is not None:
        if type(value) is not int or not -1_000_000 < value < 1_000_000:
            raise _Slow
        payload["altitude"] = value
    if not FAST:  # pragma: no cover - see connections.connectors.drafts
        return ParsedRecord(STREAM, f"{second}:{lat:.5f}:{lon:.5f}", at, payload)
    record = new(Draft)
    record.stream, record.key, record.event_at = STREAM, f"{second}:{lat:.5f}:{lon:.5f}", at
    record.payload, record.media = payload, None
    record.__class__ = ParsedRecord
    return record


def _never_plain(item) -> ParsedRecord:
    """The plain path while ``location_key`` no longer matches the inline key."""
    raise _Slow


def _careful_record(item, n: int, ctx: _Ctx) -> ParsedRecord | None:
    """``_records_element``, with its failure counted; None when the element gave no record."""
    try:
        return _records_element(item, n, ctx)
    except _Bad as exc:
        ctx.fail(n, f"A location could not be read: {exc}")
    except Exception:  # noqa: BLE001 - any surprise in one element is that element's failure
        ctx.fail(n, "A location could not be read.")
    return None
