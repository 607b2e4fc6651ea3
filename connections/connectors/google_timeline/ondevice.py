"""The on-device Timeline export: Android's ``semanticSegments`` and ``rawSignals``, and the
iOS array of segments (same segment shape, positions as ``geo:`` text, path offsets in minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from ..base import ParsedRecord
from . import stream
from .common import (
    NOWHERE,
    _Bad,
    _consume,
    _Ctx,
    _Damage,
    _iso_wall,
    _keep_points,
    _lat_lng,
    _NotFast,
    _number,
    _parts,
    _record,
    _text,
)
from .guard import _READ_ERRORS


def _segment_element(segment, n: int, ctx: _Ctx) -> list[ParsedRecord]:
    """One on-device segment (Android ``semanticSegments`` item or iOS array element)."""
    visit, activity, path = _parts(segment, "visit", "activity", "timelinePath")
    out: list[ParsedRecord] = []
    if visit is None and activity is None and path is None:
        ctx.facts.skipped += 1  # timelineMemory (a trip summary) or unknown
        return out
    if visit is not None:
        try:
            _device_visit(visit, segment.get("startTime"), ctx, out)
        except _Bad as exc:
            ctx.fail(n, f"A place visit could not be read: {exc}")
    if activity is not None:
        _device_activity(activity, segment, n, ctx, out)
    if path is not None:
        _device_path(path, segment.get("startTime"), n, ctx, out)
    return out


def _device_time(raw, ctx: _Ctx) -> tuple[datetime, datetime | None] | None:
    """The instant and, for a time written without a zone, its wall clock (``common._iso_wall``)."""
    return None if raw is None else _iso_wall(raw, ctx.naive_tz, ctx)


def _device_visit(visit, start_raw, ctx: _Ctx, out: list) -> None:
    candidate = visit.get("topCandidate") if type(visit) is dict else None
    if type(visit) is not dict or (candidate is not None and type(candidate) is not dict):
        raise _Bad("The place is garbled.")
    location = None if candidate is None else candidate.get("placeLocation")
    if location is None:
        ctx.facts.skipped += 1
        return
    lat, lon = _lat_lng(location)  # Android {"latLng": "…°, …°"}, iOS "geo:…"
    timed = _device_time(start_raw, ctx)
    if timed is None:
        ctx.facts.skipped += 1
        return
    at, wall = timed
    payload = {"lat": lat, "lon": lon, "kind": "visit"}
    if (place_id := _text(candidate.get("placeId", candidate.get("placeID")))) is not None:
        payload["place_id"] = place_id
    if (semantic := _text(candidate.get("semanticType"))) is not None:
        payload["semantic_type"] = semantic
    out.append(_record(at, lat, lon, payload, wall))


def _device_activity(activity, segment: dict, n: int, ctx: _Ctx, out: list) -> None:
    if type(activity) is not dict:
        ctx.fail(n, "A trip is garbled.")
        return
    candidate = activity.get("topCandidate")
    activity_type = _text(candidate.get("type")) if type(candidate) is dict else None
    more = None if activity_type is None else {"activity_type": activity_type}
    for edge in ("start", "end"):
        end = (activity.get(edge), segment.get(edge + "Time"), ctx)
        _keep_points(n, ctx, out, f"The {edge} of a trip", "activity_" + edge, more, _trip_end, (end,))


def _trip_end(end: tuple) -> tuple:
    """A trip's start or end: ``(location, time as written, ctx)``."""
    location, time_raw, ctx = end
    if location is None:
        return NOWHERE
    lat, lon = _lat_lng(location)
    timed = _device_time(time_raw, ctx)
    return (lat, lon, None, None) if timed is None else (lat, lon, *timed)


def _device_path(path, start_raw, n: int, ctx: _Ctx, out: list) -> None:
    """Path points: Android gives each a ``time``; iOS gives minutes after the segment start."""
    if type(path) is not list:
        ctx.fail(n, "A path is garbled.")
        return
    start: tuple[datetime, datetime | None] | None = None
    for point in path:
        try:
            if type(point) is not dict:
                raise _Bad("The point is garbled.")
            lat, lon = _lat_lng(point.get("point"))
            time_raw = point.get("time")
            if time_raw is not None:
                at, wall = _iso_wall(time_raw, ctx.naive_tz, ctx)
            else:
                offset = point.get("durationMinutesOffsetFromStartTime")
                if offset is None or start_raw is None:
                    ctx.facts.skipped += 1
                    continue
                if start is None:
                    start = _device_time(start_raw, ctx)
                minutes = _number(offset)
                if minutes is None:
                    raise _Bad("The time is garbled.")
                at = start[0] + timedelta(minutes=minutes)
                wall = None if start[1] is None else start[1] + timedelta(minutes=minutes)
        except (_Bad, OverflowError) as exc:
            ctx.fail(n, f"A point of a path could not be read: {exc}")
            continue
        out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "path"}, wall))


def _raw_signal_element(signal, n: int, ctx: _Ctx) -> list[ParsedRecord]:
    if type(signal) is not dict:
        raise _Bad("This entry is not a signal.")
    position = signal.get("position")
    if position is None:
        ctx.facts.skipped += 1  # wifiScan, activityRecord: no coordinates
        return []
    if type(position) is not dict:
        raise _Bad("The position is garbled.")
    lat, lon = _lat_lng(position.get("LatLng", position.get("latLng")))
    time_raw = position.get("timestamp")
    if time_raw is None:
        ctx.facts.skipped += 1
        return []
    at, wall = _iso_wall(time_raw, ctx.naive_tz, ctx)
    payload = {"lat": lat, "lon": lon, "kind": "raw"}
    if (accuracy := _number(position.get("accuracyMeters"))) is not None:
        payload["accuracy"] = accuracy
    if (source := _text(position.get("source"))) is not None:
        payload["source"] = source
    if (altitude := _number(position.get("altitudeMeters"))) is not None:
        payload["altitude"] = altitude
    return [_record(at, lat, lon, payload, wall)]


_ANDROID_PASSES: tuple[tuple[str, Callable, str | None], ...] = (
    ("semanticSegments.item", _segment_element, None),
    ("rawSignals.item", _raw_signal_element, "rawSignals"),
)
_ANDROID_KEYS = frozenset({"semanticSegments", "rawSignals"})
_ANDROID_HANDLERS = {
    "semanticSegments": (_segment_element, None),
    "rawSignals": (_raw_signal_element, "rawSignals"),
}


def _read_android(
    source: stream._Source, ctx: _Ctx, damages: list[_Damage]
) -> Iterator[ParsedRecord]:
    """Both arrays in one orjson pass; else (odd layout, damage) two ijson passes.

    The ijson passes skip the elements the fast reader handed out already, so
    nothing is yielded twice, and report where the damage is.
    """
    handed = dict.fromkeys(_ANDROID_KEYS, 0)
    try:
        for key, batch in stream._document_arrays(source.open, _ANDROID_KEYS):
            handler, ctx.array = _ANDROID_HANDLERS[key]
            yield from _consume([batch], handler, ctx, start=handed[key])
            handed[key] = ctx.read
        return
    except (_NotFast, *_READ_ERRORS):
        pass
    found: list[_Damage] = []
    for prefix, handler, array in _ANDROID_PASSES:
        ctx.array = array
        ctx.read = 0
        batches = stream._ijson_batches(stream._guarded(source.open), prefix)
        try:
            yield from _consume(batches, handler, ctx, skip=handed[prefix.split(".")[0]])
        except _READ_ERRORS as exc:
            found.append(_Damage(source.entry, array, ctx.read, exc))
    if found:
        # Every pass reads to the end of the document and meets the same damage;
        # the last pass that got anywhere says where it is.
        reached = [d for d in found if d.read]
        damages.append(reached[-1] if reached else found[0])
