"""OwnTracks and Overland: a phone pushing its locations (device_sync).

Two push payloads are read here, both pure (no database, no clock):

- ``parse_owntracks(body, facts)``: OwnTracks HTTP mode, one JSON object per
  request (a JSON array of objects is accepted too). ``_type: location`` with
  ``lat``, ``lon`` and ``tst`` (epoch seconds) is a point; every other
  ``_type`` (transition, waypoint, lwt, status, card, steps, encrypted) is
  acknowledged and counted as skipped. A zero-length body is nothing.
- ``parse_overland(body, facts)``: Overland's ``{"locations": [Feature, ...]}``
  with ``[lon, lat]`` coordinates and ``properties.timestamp`` (ISO with an
  offset). Features without geometry (tracking stats) are skipped; one bad
  feature is counted as failed and the rest are kept, because Overland resends
  the whole batch until it is answered ``{"result": "ok"}``.

A body that cannot be read as such a payload at all raises ``PayloadRejected``
(the endpoint answers 400 with its reason). Points become records of stream
``locations`` keyed by ``base.location_key``, the key Google Timeline exports
use, so a fix delivered by both is stored once with two provenance rows.

The manifest also offers an export as a second path into the same connection,
so an owner can fill the phone source's history from it (the same-stream case
above): a Google Timeline export, or a GPX file (or a zip of them) from a GPS
app. ``parse_export`` tells them apart by content and hands the file on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from . import google_timeline, gpx
from .base import (
    LOCATION_STREAM,
    Artifact,
    BatchFacts,
    Body,
    ParsedRecord,
    ParseOptions,
    PayloadRejected,
    location_key,
)
from .manifest import (
    LOCATION_KEY_RULE,
    LOCATION_VIEWS,
    AcquisitionPath,
    Manifest,
    PushEndpoint,
    export_path,
)

PARSER_VERSION = "owntracks/1"
STREAM = LOCATION_STREAM
MAX_POINTS = 5000  # per request; a bigger batch is refused, the phone splits it on retry
_MAX_TEXT = 60


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        value = float(value)
    except (ValueError, OverflowError):  # "abc"; an integer of 400 digits
        return None
    return value if math.isfinite(value) else None


def _text(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:_MAX_TEXT] or None


def _position(lat, lon) -> tuple[float, float] | None:
    lat, lon = _number(lat), _number(lon)
    if lat is None or lon is None or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon


def _point(at: datetime, lat: float, lon: float, source: str, extra: dict) -> ParsedRecord:
    payload = {"lat": lat, "lon": lon, "kind": "raw", "source": source}
    payload.update({k: v for k, v in extra.items() if v is not None})
    return ParsedRecord(STREAM, location_key(at, lat, lon), at, payload)


def _load(body: bytes):
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PayloadRejected("not_json", "The body is not JSON.") from None


# ---------------------------------------------------------------- OwnTracks


def _owntracks_time(tst) -> datetime | None:
    seconds = _number(tst)
    if seconds is None or not (0 < seconds < 4_102_444_800):  # before 2100
        return None
    return datetime.fromtimestamp(int(seconds), UTC)


def _owntracks_location(item: dict, n: int, facts: BatchFacts) -> ParsedRecord | None:
    position = _position(item.get("lat"), item.get("lon"))
    at = _owntracks_time(item.get("tst"))
    if position is None or at is None:
        missing = "lat/lon" if position is None else "tst"
        facts.fail(f"A location without a valid {missing}.", f"message {n}")
        return None
    extra = {
        "accuracy": _number(item.get("acc")),
        "altitude": _number(item.get("alt")),
        "speed_kmh": _number(item.get("vel")),
        "battery": _number(item.get("batt")),
        "tracker": _text(item.get("tid")),
        "trigger": _text(item.get("t")),
    }
    return _point(at, *position, "owntracks", extra)


def topic_identity(topic) -> str | None:
    """The user and device an OwnTracks message names in its topic ``owntracks/USER/DEVICE``: "USER/DEVICE"."""
    parts = topic.split("/") if isinstance(topic, str) else []
    if len(parts) != 3 or not all(p.strip() for p in parts[1:]):
        return None
    return _text(f"{parts[1].strip()}/{parts[2].strip()}"[:120])


def parse_owntracks(body: bytes, facts: BatchFacts) -> list[ParsedRecord]:
    """The points of one OwnTracks HTTP-mode request (see the module doc)."""
    facts.source_format = "owntracks_http"
    facts.parser_version = PARSER_VERSION
    if not body.strip():
        return []
    data = _load(body)
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise PayloadRejected("not_a_message", "Expected an OwnTracks JSON object with a _type.")
    if len(items) > MAX_POINTS:
        raise PayloadRejected("too_many_points", f"More than {MAX_POINTS} messages in one request.")
    if any("_type" not in item for item in items):
        raise PayloadRejected("no_type", "An OwnTracks message has no _type.")
    records = []
    for n, item in enumerate(items, 1):
        if item.get("_type") != "location":
            facts.skipped += 1
            continue
        facts.identity = facts.identity or topic_identity(item.get("topic"))
        record = _owntracks_location(item, n, facts)
        if record is not None:
            records.append(record)
    # A location that cannot be read, even alone in its request, is counted failed and the request
    # answered as taken (FORMATS.md): the app would otherwise send it again on every retry, for ever.
    return records


# ---------------------------------------------------------------- Overland


def _overland_time(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # -0700 -> -07:00
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    if at.tzinfo is None or at.utcoffset() is None:
        return None
    return at.astimezone(UTC)


def _overland_feature(item, n: int, facts: BatchFacts) -> ParsedRecord | None:
    if not isinstance(item, dict):
        facts.fail("This entry is not a GeoJSON feature.", f"location {n}")
        return None
    props = item.get("properties")
    props = props if isinstance(props, dict) else {}
    geometry = item.get("geometry")
    if not geometry:
        facts.skipped += 1  # tracking stats: lifecycle properties only
        return None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(coords, list) or len(coords) < 2:
        facts.fail("A location without coordinates.", f"location {n}")
        return None
    position = _position(coords[1], coords[0])  # GeoJSON is [lon, lat]
    at = _overland_time(props.get("timestamp"))
    if position is None or at is None:
        missing = "position" if position is None else "timestamp with a zone"
        facts.fail(f"A location without a valid {missing}.", f"location {n}")
        return None
    motion = props.get("motion")
    extra = {
        "accuracy": _number(props.get("horizontal_accuracy")),
        "altitude": _number(props.get("altitude")),
        "speed_ms": _number(props.get("speed")),
        "battery": _number(props.get("battery_level")),
        "motion": _text(motion[0]) if isinstance(motion, list) and motion else None,
        "device": _text(props.get("device_id")),
    }
    return _point(at, *position, "overland", extra)


def parse_overland(body: bytes, facts: BatchFacts) -> list[ParsedRecord]:
    """The points of one Overland batch (see the module doc)."""
    facts.source_format = "overland"
    facts.parser_version = PARSER_VERSION
    data = _load(body) if body.strip() else None
    if not isinstance(data, dict) or not isinstance(data.get("locations"), list):
        raise PayloadRejected("no_locations", 'Expected {"locations": [GeoJSON features]}.')
    items = data["locations"]
    if len(items) > MAX_POINTS:
        raise PayloadRejected("too_many_points", f"More than {MAX_POINTS} locations in one request.")
    records = []
    for n, item in enumerate(items, 1):
        record = _overland_feature(item, n, facts)
        if record is not None:
            records.append(record)
    return records


def overland_device(body_records: list[ParsedRecord]) -> str | None:
    """The device id an Overland batch names (its first point's ``device_id``), if any."""
    return next((r.payload["device"] for r in body_records if r.payload.get("device")), None)


# ---------------------------------------------------------------- the push endpoints


def push_owntracks(body: Body, facts: BatchFacts, options: ParseOptions) -> list[ParsedRecord]:
    return parse_owntracks(body.data, facts)


def push_overland(body: Body, facts: BatchFacts, options: ParseOptions) -> list[ParsedRecord]:
    return parse_overland(body.data, facts)


def owntracks_device(hints, records: list[ParsedRecord]) -> str:
    """OwnTracks names the device in ``X-Limit-D`` (or ``?d=``), else in each point's ``tid``."""
    tracker = next((r.payload["tracker"] for r in records if r.payload.get("tracker")), "")
    return hints.get("X-Limit-D") or hints.get("d") or tracker


OWNTRACKS = PushEndpoint(
    name="owntracks",
    auth="basic",
    reply=[],
    parser=push_owntracks,
    device=owntracks_device,
    app="OwnTracks (HTTP mode)",
    setup="URL {url}, user name {user}, password: the token.",
)
OVERLAND = PushEndpoint(
    name="overland",
    auth="bearer",
    reply={"result": "ok"},
    parser=push_overland,
    device=lambda hints, records: overland_device(records) or "",
    app="Overland",
    setup="Receiver endpoint {url}, access token: the token.",
)


# ---------------------------------------------------------------- the export path


def parse_export(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """A GPX file or a zip of them goes to the GPX parser; anything else to the Timeline parser, as before."""
    parser = gpx.parse if gpx.looks_like_gpx(artifact.path) else google_timeline.parse
    yield from parser(artifact, facts, options)


_timeline = google_timeline.MANIFEST.path("owner_artifact")

MANIFEST = Manifest(
    id="owntracks",
    name="Phone locations",
    record_noun=("location", "locations"),
    summary="Recent locations pushed by the OwnTracks or Overland app on your phone.",
    paths=(
        AcquisitionPath(
            method="device_sync",
            job="Keep recent locations current from this phone",
            trigger="push",
            recommended=True,
            needs_credential=True,
            instructions=(
                "Install OwnTracks (HTTP mode) or Overland on your phone.",
                "Create a device token on this source's page; it is shown once, with the whole address each app "
                "needs and a QR code that sets the app up.",
                "OwnTracks: the address ending in /ingest/owntracks, user name your Ownerhub user, password the token.",
                "Overland: the receiver address ending in /ingest/overland, access token the token.",
            ),
            endpoints=(OWNTRACKS, OVERLAND),
        ),
        export_path(
            (*_timeline.accepted_formats, ".gpx"),
            (
                *_timeline.instructions,
                "Or upload a GPX file (.gpx, or a .zip of them) from a GPS app, watch or bike computer.",
            ),
            parse_export,
            job="Add older locations from a Google Timeline export",
            recommended=False,
        ),
    ),
    streams=(STREAM,),
    views=LOCATION_VIEWS,
    record_key_rule=LOCATION_KEY_RULE,
    expected_refresh=timedelta(hours=6),
    hole_after=timedelta(days=2),
    recovery=(
        "For the phone: check the app's URL and token. For an export: "
        + google_timeline.MANIFEST.recovery
        + " A GPX file (.gpx) from a GPS app works too."
    ),
)
