"""Takeout Semantic Location History: the ``timelineObjects`` of one month file.

A ``placeVisit`` (and each of its ``childVisits``) is a ``visit``, and the timestamped points
of its ``simplifiedRawPath`` are ``path`` points; an ``activitySegment`` gives its start and
end, the points of its simplified raw path, its timestamped ``waypointPath`` waypoints and its
parking place. A waypoint without a time is skipped and counted (``ctx.untimed``).

Times are ISO text or epoch milliseconds, as a number or a string, whatever the field is
called: older months write ``"startTimestampMs": "1459000000000"`` and some write epoch
strings in ``timestamp`` fields too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..base import ParsedRecord
from .common import _Bad, _Ctx, _e7_pair, _epoch_ms, _iso, _record, _text


def _instant(value) -> datetime:
    """ISO text, or epoch milliseconds as a number or a string of digits."""
    if type(value) is str and not value.strip().isdigit():
        return _iso(value, UTC)
    return _epoch_ms(value.strip() if type(value) is str else value)


def _time_of(obj: dict, name: str) -> datetime | None:
    """``obj[name]`` or ``obj[name + "Ms"]`` as an instant; None if both are absent."""
    value = obj.get(name)
    if value is None:
        value = obj.get(name + "Ms")
    return None if value is None else _instant(value)


def _semantic_time(duration, edge: str) -> datetime | None:
    """``duration.<edge>Timestamp`` or ``<edge>TimestampMs``; None if absent."""
    if duration is None:
        return None
    if type(duration) is not dict:
        raise _Bad("The time is garbled.")
    return _time_of(duration, edge + "Timestamp")


def _point_time(obj: dict) -> datetime | None:
    return _time_of(obj, "timestamp")


def _semantic_element(obj, n: int, ctx: _Ctx) -> list[ParsedRecord]:
    if type(obj) is not dict:
        raise _Bad("This entry is not a place or a trip.")
    out: list[ParsedRecord] = []
    visit = obj.get("placeVisit")
    segment = obj.get("activitySegment")
    if visit is None and segment is None:
        ctx.facts.skipped += 1
        return out
    if visit is not None:
        _semantic_visit(visit, n, ctx, out)
        if type(visit) is dict:
            _raw_path(visit.get("simplifiedRawPath"), "place visit", n, ctx, out)
            children = visit.get("childVisits")
            if type(children) is list:
                for child in children:
                    _semantic_visit(child, n, ctx, out)
    if segment is not None:
        _semantic_activity(segment, n, ctx, out)
    return out


def _semantic_visit(visit, n: int, ctx: _Ctx, out: list) -> None:
    if type(visit) is not dict:
        ctx.fail(n, "A place visit is garbled.")
        return
    location = visit.get("location")
    try:
        if location is not None:
            lat, lon = _e7_pair(location, "latitudeE7", "longitudeE7")
        elif visit.get("centerLatE7") is not None:
            lat, lon = _e7_pair(visit, "centerLatE7", "centerLngE7")
        else:
            ctx.facts.skipped += 1
            return
        at = _semantic_time(visit.get("duration"), "start")
    except _Bad as exc:
        ctx.fail(n, f"A place visit could not be read: {exc}")
        return
    if at is None:
        ctx.facts.skipped += 1
        return
    payload = {"lat": lat, "lon": lon, "kind": "visit"}
    if type(location) is dict:
        if (place_id := _text(location.get("placeId"))) is not None:
            payload["place_id"] = place_id
        if (name := _text(location.get("name"))) is not None:
            payload["name"] = name
    out.append(_record(at, lat, lon, payload))


def _semantic_activity(segment, n: int, ctx: _Ctx, out: list) -> None:
    if type(segment) is not dict:
        ctx.fail(n, "A trip is garbled.")
        return
    activity_type = _text(segment.get("activityType"))
    duration = segment.get("duration")
    for edge, location_field, kind in (
        ("start", "startLocation", "activity_start"),
        ("end", "endLocation", "activity_end"),
    ):
        location = segment.get(location_field)
        if location is None:
            ctx.facts.skipped += 1
            continue
        try:
            lat, lon = _e7_pair(location, "latitudeE7", "longitudeE7")
            at = _semantic_time(duration, edge)
        except _Bad as exc:
            ctx.fail(n, f"The {edge} of a trip could not be read: {exc}")
            continue
        if at is None:
            ctx.facts.skipped += 1
            continue
        payload = {"lat": lat, "lon": lon, "kind": kind}
        if activity_type is not None:
            payload["activity_type"] = activity_type
        out.append(_record(at, lat, lon, payload))

    _raw_path(segment.get("simplifiedRawPath"), "trip", n, ctx, out)
    _waypoints(segment.get("waypointPath"), n, ctx, out)

    parking = segment.get("parkingEvent")
    if type(parking) is dict:
        try:
            lat, lon = _e7_pair(parking.get("location"), "latitudeE7", "longitudeE7")
            at = _point_time(parking)
        except _Bad as exc:
            ctx.fail(n, f"A parking place could not be read: {exc}")
            return
        if at is None:
            ctx.facts.skipped += 1
            return
        out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "parking"}))


def _raw_path(raw_path, owner: str, n: int, ctx: _Ctx, out: list) -> None:
    """The timestamped points of a ``simplifiedRawPath`` (of a trip or a place visit)."""
    points = raw_path.get("points") if type(raw_path) is dict else None
    if type(points) is not list:
        return
    for point in points:
        try:
            if type(point) is not dict:
                raise _Bad("The point is garbled.")
            lat, lon = _e7_pair(point, "latE7", "lngE7")
            at = _point_time(point)
        except _Bad as exc:
            ctx.fail(n, f"A point of a {owner}'s path could not be read: {exc}")
            continue
        if at is None:
            ctx.facts.skipped += 1
            continue
        out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "path"}))


def _waypoints(path, n: int, ctx: _Ctx, out: list) -> None:
    """A trip's ``waypointPath``: a waypoint with a time is a ``path`` point; one without is
    skipped and counted in ``ctx.untimed`` (it cannot show when the owner was there)."""
    waypoints = path.get("waypoints") if type(path) is dict else None
    if type(waypoints) is not list:
        return
    for point in waypoints:
        try:
            if type(point) is not dict:
                raise _Bad("The point is garbled.")
            at = _point_time(point)
            if at is None:
                ctx.facts.skipped += 1
                ctx.untimed += 1
                continue
            lat, lon = _e7_pair(point, "latE7", "lngE7")
        except _Bad as exc:
            ctx.fail(n, f"A waypoint of a trip could not be read: {exc}")
            continue
        out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "path"}))
