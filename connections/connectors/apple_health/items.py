"""Workouts, daily activity summaries, and the failure of an element in the owner's words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo

from ..base import BatchFacts, ParsedRecord, day_instant, location_key
from ..safe_xml import xml_number
from .values import _compact, _digest, _float, _short, _utc

ROUTE_STREAM = "workout_routes"
# <Location> attribute -> payload name (numbers only); the names GPX routes use.
_ROUTE_FIELDS = (
    ("altitude", "altitude"),
    ("horizontalAccuracy", "accuracy"),
    ("speed", "speed_ms"),
    ("course", "course"),
)

_METRES = {"m": 1.0, "km": 1000.0, "cm": 0.01, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048}


def _fail_element(fail, noun: str, attrs: dict, exc: Exception, ordinal: int) -> None:
    if isinstance(exc, KeyError):
        what = f"it has no {exc.args[0]}"
    else:
        dates = ", ".join(
            f"{k} {_short(attrs[k])!r}"
            for k in ("startDate", "endDate", "dateComponents")
            if k in attrs
        )
        what = f"its date could not be read ({dates})" if dates else "it could not be read"
    fail(f"A {noun} was left out: {what}.", f"element {ordinal}")


class _Workout:
    __slots__ = ("attrs", "type", "start", "end", "distances", "energies", "routes", "route_points", "time_zone")

    def __init__(self, attrs: dict, typ: str, start: datetime, end: datetime):
        self.attrs = attrs
        self.type = typ
        self.start = start
        self.end = end
        self.distances: list[tuple[float, str | None]] = []
        self.energies: list[tuple[float, str | None]] = []
        self.routes: list[str] = []
        self.route_points = 0  # inline <Location>s read (older exports)
        self.time_zone: str | None = None  # its HKTimeZone metadata: where it was recorded


def _workout_key(workout: _Workout) -> str:
    """The workout's key: its start in UTC, then a digest of its type, source, start and end."""
    start_iso, end_iso = workout.start.isoformat(), workout.end.isoformat()
    return f"{_compact(start_iso)}-{_digest(workout.type, workout.attrs.get('sourceName', ''), start_iso, end_iso)}"


def _begin_workout(attrs: dict, fail, ordinal: int) -> _Workout | None:
    try:
        typ = attrs["workoutActivityType"]
        start = _utc(attrs["startDate"])
        end_text = attrs.get("endDate")
        end = _utc(end_text) if end_text else start
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        _fail_element(fail, "workout", attrs, exc, ordinal)
        return None
    return _Workout(attrs, typ, start, end)


def _workout_statistic(workout: _Workout, attrs: dict) -> None:
    kind = attrs.get("type", "")
    amount = _float(attrs.get("sum"))
    if amount is None:
        return
    if "Distance" in kind:
        workout.distances.append((amount, attrs.get("unit")))
    elif kind.endswith("ActiveEnergyBurned"):
        workout.energies.append((amount, attrs.get("unit")))


def _sum_amounts(amounts: list[tuple[float, str | None]]) -> tuple[float | None, str | None]:
    """Sum of (amount, unit) pairs in the first pair's unit (distances are converted)."""
    if not amounts:
        return None, None
    unit = amounts[0][1]
    total = 0.0
    for amount, other in amounts:
        if other == unit:
            total += amount
        elif unit in _METRES and other in _METRES:
            total += amount * _METRES[other] / _METRES[unit]
    return total, unit


def _finish_workout(
    workout: _Workout, facts: BatchFacts, resolve_route: Callable[[str], str | None]
) -> ParsedRecord:
    attrs, typ, start, end = workout.attrs, workout.type, workout.start, workout.end
    if workout.distances:
        distance, distance_unit = _sum_amounts(workout.distances)
    else:
        distance = _float(attrs.get("totalDistance"))
        distance_unit = attrs.get("totalDistanceUnit") if distance is not None else None
    if workout.energies:
        energy, energy_unit = _sum_amounts(workout.energies)
    else:
        energy = _float(attrs.get("totalEnergyBurned"))
        energy_unit = attrs.get("totalEnergyBurnedUnit") if energy is not None else None
    media = None
    route_paths = []
    for ref in workout.routes:
        facts.media_declared += 1
        route_paths.append(ref.lstrip("/"))
        if resolve_route(ref) is not None:
            facts.media_attached += 1
            media = media or "attached"
        else:
            facts.media_missing += 1
            media = "missing"
    source = attrs.get("sourceName", "")
    return ParsedRecord(
        "workouts",
        _workout_key(workout),
        start,
        {
            "type": typ,
            "source": source,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "duration": _float(attrs.get("duration")),
            "duration_unit": attrs.get("durationUnit"),
            "distance": distance,
            "distance_unit": distance_unit,
            "energy": energy,
            "energy_unit": energy_unit,
            "routes": route_paths,
            "route_points": workout.route_points,
            **({"time_zone": workout.time_zone} if workout.time_zone else {}),
        },
        media,
    )


def _route_point(attrs: dict, workout: _Workout | None, fail, ordinal: int) -> ParsedRecord | None:
    """An inline ``<Location>`` of a ``<WorkoutRoute>`` (older exports) as a route point.

    Keyed like every location (``base.location_key``), so the same fix from the workout's
    GPX file or the phone is the same point.
    """
    try:
        at = _utc(attrs["date"])
        lat, lon = float(attrs["latitude"]), float(attrs["longitude"])
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # NaN fails too
            raise ValueError("position")
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        what = f"it has no {exc.args[0]}" if isinstance(exc, KeyError) else "its date or position could not be read"
        fail(f"A point of a workout's route was left out: {what}.", f"element {ordinal}")
        return None
    payload: dict = {"lat": lat, "lon": lon, "kind": "route"}
    if workout is not None:
        payload["workout"] = workout.type
        payload["workout_key"] = _workout_key(workout)
        workout.route_points += 1
    for name, field in _ROUTE_FIELDS:
        value = _float(attrs.get(name))
        if value is not None:
            payload[field] = value
    return ParsedRecord(ROUTE_STREAM, location_key(at, lat, lon), at, payload)


def _activity_summary(attrs: dict, tz: tzinfo, fail, ordinal: int) -> ParsedRecord | None:
    try:
        day_text = attrs["dateComponents"]
        if len(day_text) != 10:
            raise ValueError(day_text)
        day = date.fromisoformat(day_text)
        event_at = day_instant(day, tz)
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        _fail_element(fail, "daily activity summary", attrs, exc, ordinal)
        return None
    payload: dict = {"date": day_text}
    for name, text in attrs.items():
        if name != "dateComponents":
            payload[name] = xml_number(text, otherwise=text)
    return ParsedRecord("activity_summaries", f"activity:{day_text}", event_at, payload)
