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
from .common import (
    NOWHERE,
    _Bad,
    _Ctx,
    _e7_pair,
    _epoch_ms,
    _iso,
    _keep_points,
    _parts,
    _record,
    _text,
)


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
    visit, segment = _parts(obj, "placeVisit", "activitySegment")
    out: list[ParsedRecord] = []
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
    _keep_points(n, ctx, out, "A place visit", "visit", _names(location), _visit_point, (visit,))


def _visit_point(visit: dict) -> tuple:
    """A visit's place (its location, else its centre) and start."""
    location = visit.get("location")
    if location is not None:
        lat, lon = _e7_pair(location, "latitudeE7", "longitudeE7")
    elif visit.get("centerLatE7") is not None:
        lat, lon = _e7_pair(visit, "centerLatE7", "centerLngE7")
    else:
        return NOWHERE
    return lat, lon, _semantic_time(visit.get("duration"), "start"), None


def _names(location) -> dict | None:
    """A visited place's id and name, where its location gives them."""
    if type(location) is not dict:
        return None
    names = {}
    if (place_id := _text(location.get("placeId"))) is not None:
        names["place_id"] = place_id
    if (name := _text(location.get("name"))) is not None:
        names["name"] = name
    return names


def _semantic_activity(segment, n: int, ctx: _Ctx, out: list) -> None:
    if type(segment) is not dict:
        ctx.fail(n, "A trip is garbled.")
        return
    activity_type = _text(segment.get("activityType"))
    more = None if activity_type is None else {"activity_type": activity_type}
    duration = segment.get("duration")
    for edge in ("start", "end"):
        end = (segment.get(edge + "Location"), duration, edge)
        _keep_points(n, ctx, out, f"The {edge} of a trip", "activity_" + edge, more, _trip_end, (end,))
    _raw_path(segment.get("simplifiedRawPath"), "trip", n, ctx, out)
    _waypoints(segment.get("waypointPath"), n, ctx, out)
    parking = segment.get("parkingEvent")
    if type(parking) is dict:
        _keep_points(n, ctx, out, "A parking place", "parking", None, _parking_point, (parking,))


def _trip_end(end: tuple) -> tuple:
    """A trip's start or end: ``(location, duration, "start" or "end")``."""
    location, duration, edge = end
    if location is None:
        return NOWHERE
    lat, lon = _e7_pair(location, "latitudeE7", "longitudeE7")
    return lat, lon, _semantic_time(duration, edge), None


def _parking_point(parking: dict) -> tuple:
    lat, lon = _e7_pair(parking.get("location"), "latitudeE7", "longitudeE7")
    return lat, lon, _point_time(parking), None


def _raw_path(raw_path, owner: str, n: int, ctx: _Ctx, out: list) -> None:
    """The timestamped points of a ``simplifiedRawPath`` (of a trip or a place visit)."""
    points = raw_path.get("points") if type(raw_path) is dict else None
    if type(points) is not list:
        return
    _keep_points(n, ctx, out, f"A point of a {owner}'s path", "path", None, _path_point, points)


def _path_point(point) -> tuple:
    if type(point) is not dict:
        raise _Bad("The point is garbled.")
    lat, lon = _e7_pair(point, "latE7", "lngE7")
    return lat, lon, _point_time(point), None


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
