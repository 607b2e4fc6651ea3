"""Streaming export.xml: expat's handlers turn each top-level element into a record.

No tree is built: a ``<Record>`` becomes a sample at its start tag (``_sample``, the hot
path), a ``<Workout>`` a workout at its end tag, with its statistics and routes gathered
in between, and each inline ``<Location>`` of a ``<WorkoutRoute>`` (older exports) a
``workout_routes`` point at its start tag. Records are handed out after each chunk fed to expat;
a workout that names route files then follows its routes' points (``routes``), read one file at
a time once the chunk's records are out.

Where reading stops: bytes that end before the document does (the last feed, with every byte
given, is refused) are a cut-off export, warning ``cut_off`` (a blocking gap of the connector:
the rest of the owner's data is missing until a complete export arrives); expat refusing bytes
in the middle, or the zip failing part-way, is ``damaged``. Either way the records read are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from typing import IO

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

from ..base import ArtifactRejected, BatchFacts, ParsedRecord, ParseOptions
from ..drafts import FAST, Draft, new
from ..safe_xml import xml_number
from .items import (
    _activity_summary,
    _begin_workout,
    _fail_element,
    _finish_workout,
    _route_point,
    _Workout,
    _workout_statistic,
)
from .routes import NO_ROUTES, Routes
from .safe_xml import (
    _DAMAGED,
    _ENTITIES_DETAIL,
    _NOT_HEALTH,
    _READ_ERRORS,
    _XML_ERRORS,
    ROOT,
    _filtered_chunks,
    _new_parser,
    _WrongRoot,
)
from .values import (
    _DIGEST,
    _ISO_MINUTE_SECOND,
    _KEY_MINUTE_SECOND,
    _MINUTE_SECOND,
    _compact,
    _when_slow,
)

_SAMPLE_ERRORS = (KeyError, ValueError, TypeError, OverflowError)
# export_cda.xml, uploaded alone: the export's clinical-document copy of the same records, which is not read.
CDA_ROOT = "ClinicalDocument"
_CDA = ("This is export_cda.xml, the Health export's copy of your records as a clinical document, which Ownerhub "
        "does not read: upload the whole export.zip, or export.xml from the same folder.")
# What stops the reading of the whole export (see _problem).
_STOPS = (EntitiesForbidden, ExternalReferenceForbidden, _WrongRoot, *_XML_ERRORS, *_READ_ERRORS)


def _sample(
    attrs: dict,
    hours: dict[str, tuple[datetime, str, str]],
    minute_second=_MINUTE_SECOND.get,  # bound once: this runs for every sample
    key_minute_second=_KEY_MINUTE_SECOND,
    iso_minute_second=_ISO_MINUTE_SECOND.get,
    new_digest=_DIGEST.copy,
    number=xml_number,
) -> ParsedRecord:
    """The record of a top-level ``<Record>``; raises one of ``_SAMPLE_ERRORS`` when unreadable.

    A time whose hour (with its offset) was seen before is the hour's UTC value plus the
    minutes and seconds (``hours``, filled by ``_when_slow``); others are read in full. An end
    in the start's hour reuses the start's hour.
    """
    typ = attrs["type"]
    text = attrs["startDate"]
    head, offset = text[:14], text[19:]
    hour = hours.get(head + offset)
    ms = text[14:19]
    step = minute_second(ms)
    if hour is None or step is None:
        start, start_iso = _when_slow(text, hours)
        prefix = _compact(start_iso) + "-"
        hour = None
    else:
        start = hour[0] + step
        start_iso = hour[1] + iso_minute_second(ms)
        prefix = hour[2] + key_minute_second[ms]
    end_text = attrs.get("endDate")
    if not end_text or end_text == text:
        end_iso = start_iso
    else:
        ms = end_text[14:19]
        if hour is None or len(end_text) != 25 or not end_text.startswith(head) or not end_text.endswith(offset):
            hour = hours.get(end_text[:14] + end_text[19:])
        tail = iso_minute_second(ms)
        if hour is None or tail is None:
            end_iso = _when_slow(end_text, hours)[1]
        else:
            end_iso = hour[1] + tail
    source = attrs.get("sourceName", "")
    unit = attrs.get("unit")
    value = attrs.get("value")
    digest = new_digest()
    digest.update("\x1f".join((typ, source, start_iso, end_iso, value or "", unit or "")).encode())
    if value is not None and value.isdecimal() and len(value) < 16:
        written = int(value)  # xml_number's common case, inline
    else:
        written = number(value, value)  # a number, else the text as written
    payload = {"type": typ, "source": source, "unit": unit, "value": written, "start": start_iso, "end": end_iso}
    key = prefix + digest.hexdigest()  # time first: see the package docstring
    if not FAST:  # pragma: no cover - see connections.connectors.drafts
        return ParsedRecord("samples", key, start, payload)
    record = new(Draft)
    record.stream, record.key, record.event_at = "samples", key, start
    record.payload, record.media = payload, None
    record.__class__ = ParsedRecord
    return record


TIME_ZONE_KEY = "HKTimeZone"  # metadata: the zone a sample or workout was recorded in (an IANA name)


def _keep_zone(zone: str | None, sample: ParsedRecord | None, workout: _Workout | None) -> None:
    """Keep a top-level element's ``HKTimeZone`` in its payload (``time_zone``); its time is already absolute."""
    zone = (zone or "").strip()[:64]
    if not zone:
        return
    if sample is not None:
        sample.payload["time_zone"] = zone
    elif workout is not None:
        workout.time_zone = zone


class _Handlers:
    """expat's start and end handlers for one export; records go to ``out``."""

    __slots__ = (
        "out",
        "append",
        "facts",
        "tz",
        "zone_name",
        "resolve_route",
        "hours",
        "depth",
        "ordinal",
        "workout",
        "route_depth",
        "last_sample",
        "routed",
    )

    def __init__(self, facts: BatchFacts, tz: tzinfo, resolve_route: Callable[[str], str | None]):
        self.out: list[ParsedRecord] = []
        self.append = self.out.append
        self.facts = facts
        self.tz = tz
        self.zone_name = getattr(tz, "key", None) or str(tz)
        self.resolve_route = resolve_route
        self.hours: dict[str, tuple[datetime, str, str]] = {}
        self.depth = 0
        self.ordinal = 0  # position of the current top-level element (child of HealthData)
        self.workout: _Workout | None = None  # the open top-level <Workout>, until its end tag
        self.route_depth = 0  # depth of the open <WorkoutRoute> (0: none), whose <Location>s are points
        self.last_sample: ParsedRecord | None = None  # the open top-level <Record>'s record, until its end tag
        # Workouts whose route files are read after the chunk's records: (record, zip members).
        self.routed: list[tuple[ParsedRecord, list[str]]] = []

    def on_start(self, name: str, attrs: dict) -> None:
        depth = self.depth = self.depth + 1
        if depth == 2:
            ordinal = self.ordinal = self.ordinal + 1
            if name == "Record":
                try:
                    # Handed out at its end tag (``on_end``): its metadata may come in the next chunk.
                    self.last_sample = _sample(attrs, self.hours)
                except _SAMPLE_ERRORS as exc:
                    _fail_element(self.facts.fail, "sample", attrs, exc, ordinal)
            else:
                self._other(name, attrs, ordinal)
        elif depth == 1:
            if name != ROOT:
                raise _WrongRoot(name)
        else:
            self._nested(name, attrs, depth)

    def _nested(self, name: str, attrs: dict, depth: int) -> None:
        """An element inside a top-level one: a workout's statistics, route file or route points."""
        if name == "Location":
            if self.route_depth and depth == self.route_depth + 1:
                record = _route_point(attrs, self.workout, self.facts.fail, self.ordinal)
                if record is not None:
                    self.append(record)
            return
        if name == "MetadataEntry":
            if depth == 3 and attrs.get("key") == TIME_ZONE_KEY:
                _keep_zone(attrs.get("value"), self.last_sample, self.workout)
            return
        if name == "WorkoutRoute":
            if not self.route_depth:
                self.route_depth = depth
            return
        if self.workout is not None:
            if name == "WorkoutStatistics":
                if depth == 3:
                    _workout_statistic(self.workout, attrs)
            elif name == "FileReference":
                ref = attrs.get("path")
                if ref:
                    self.workout.routes.append(ref)

    def _other(self, name: str, attrs: dict, ordinal: int) -> None:
        """A top-level element other than a sample."""
        if name == "Workout":
            self.workout = _begin_workout(attrs, self.facts.fail, ordinal)
        elif name == "ActivitySummary":
            record = _activity_summary(attrs, self.tz, self.facts.fail, ordinal)
            if record is not None:
                self.append(record)
                # A day written without a zone was placed in the owner's: a zone change reads it again.
                self.facts.time_zone_assumed = self.zone_name
        elif name == "Correlation":
            self.facts.skipped += 1

    def on_end(self, name: str) -> None:
        depth = self.depth = self.depth - 1
        if depth == 1 and self.last_sample is not None:
            self.append(self.last_sample)
            self.last_sample = None
            return
        if self.route_depth > depth:
            self.route_depth = 0
        if depth == 1 and self.workout is not None:
            workout, self.workout = self.workout, None
            record = _finish_workout(workout, self.facts, self.resolve_route)
            files = [member for ref in workout.routes if (member := self.resolve_route(ref))]
            if files:  # handed out once its route files are read (``_route_points``)
                self.routed.append((record, files))
            else:
                self.append(record)


def _stream(
    raw: IO[bytes],
    facts: BatchFacts,
    options: ParseOptions,
    routes: Routes = NO_ROUTES,
) -> Iterator[list[ParsedRecord]]:
    """The records of export.xml in batches, one per chunk fed to expat. A batch is the same list,
    emptied and filled again: the caller reads it whole before asking for the next (one
    generator hands out the records, not every layer between here and the caller). The workouts
    of a chunk that name route files come after it, each after its route's points (``routes``)."""
    handlers = _Handlers(facts, options.time_zone or UTC, routes.resolve)
    out = handlers.out
    parser = _new_parser()
    parser.StartElementHandler = handlers.on_start
    parser.EndElementHandler = handlers.on_end
    feed = parser.Parse
    chunks = _filtered_chunks(raw)
    produced = 0  # records parsed so far (yielded or buffered)
    problem: str | None = None
    while True:
        try:
            chunk = next(chunks, None)
            if chunk is None:
                feed(b"", True)
            else:
                feed(chunk, False)
        except _STOPS as exc:
            if handlers.last_sample is not None:  # read whole, its end tag never came
                out.append(handlers.last_sample)
                handlers.last_sample = None
            problem = _problem(exc, handlers.ordinal, produced + len(out) == 0, chunk is None)
        if out:
            produced += len(out)
            yield out  # read whole by _parse_export before the next chunk is fed
            out.clear()
        if handlers.routed:
            produced += len(handlers.routed)
            yield from _route_points(handlers.routed, routes, facts)
            handlers.routed.clear()
        if problem is not None:
            facts.partial = True
            kind, detail = problem
            facts.warn(kind, detail, f"element {handlers.ordinal}")
            return
        if chunk is None:
            return


def _route_points(
    routed: list[tuple[ParsedRecord, list[str]]], routes: Routes, facts: BatchFacts
) -> Iterator[list[ParsedRecord]]:
    """Each workout's route points, then the workout, counting them (``route_points``)."""
    for record, files in routed:
        for member in files:
            for points in routes.points(member, record, facts):
                record.payload["route_points"] += len(points)
                yield points
        yield [record]


def _problem(exc: Exception, ordinal: int, nothing_read: bool, at_end: bool) -> tuple[str, str]:
    """(warning kind, owner words) of what stopped the reading; rejects the file when nothing
    was read. ``at_end``: every byte had been fed, so the document stops before its end."""
    if isinstance(exc, (EntitiesForbidden, ExternalReferenceForbidden)):
        if nothing_read:
            raise ArtifactRejected("unsupported", _ENTITIES_DETAIL) from exc
        return "damaged", "The export declares XML entities part-way through; reading stopped there."
    if isinstance(exc, _WrongRoot) and exc.name == CDA_ROOT:
        raise ArtifactRejected("unsupported", _CDA) from exc
    if isinstance(exc, _WrongRoot):
        raise ArtifactRejected("wrong_source", _NOT_HEALTH) from exc
    if nothing_read:
        raise ArtifactRejected("malformed", _DAMAGED) from exc
    if isinstance(exc, _XML_ERRORS) and at_end:
        return "cut_off", (
            f"export.xml ends in the middle; the items before the cut (after element {ordinal}) "
            "were read, and the rest of your health data is missing until a complete export is "
            "uploaded. Export again from the Health app and upload the new export.zip."
        )
    if isinstance(exc, _XML_ERRORS):
        return "damaged", (
            f"export.xml is damaged after element {ordinal}; the items before that point were "
            "read, and the rest was not."
        )
    return "damaged", (
        "The zip is damaged part-way through export.xml (after element "
        f"{ordinal}); the items before that point were read."
    )
