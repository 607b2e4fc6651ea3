"""Apple Health export.zip (export.xml streamed defensively).

The main XML is found by its root element ``<HealthData`` (some locales rename
the file) and streamed straight out of the zip through an expat pull parser
with the defusedxml settings ``forbid_dtd=False, forbid_entities=True,
forbid_external=True``: Apple's long internal DTD of ``<!ELEMENT>`` and
``<!ATTLIST>`` declarations is accepted, any ``<!ENTITY>`` declaration or
external reference is refused. No tree is built: each top-level element is
turned into a record as soon as its start tag (or, for workouts, its end tag)
is seen, so memory stays flat for multi-GB exports.

Streams:

- ``samples``: top-level ``<Record>``. Records nested in a ``<Correlation>``
  also appear at the top level, so the nested copies are ignored and the
  correlation itself is counted as skipped.
- ``workouts``: ``<Workout>`` with distance and energy from its attributes
  (old exports) or its ``<WorkoutStatistics>`` children (new exports); a
  ``<WorkoutRoute><FileReference path=...>`` is the workout's media (a GPX file), read for its
  points (``routes``); the workout then follows them, counting them in ``route_points``.
- ``activity_summaries``: ``<ActivitySummary dateComponents="YYYY-MM-DD">``,
  a calendar day placed at noon in the owner's time zone (``base.day_instant``); the batch
  names that zone (``time_zone_assumed``), and a zone change reads the export again
  (``connections.zoneless``).
- ``workout_routes``: the points of a workout's route: the GPX file its ``FileReference``
  names (``routes``), or the inline ``<Location>``s of older exports (about 2016 to 2019,
  before routes became GPX files); keyed like every location point (``base.location_key``),
  each names its workout (type and ``workout_key``); the workout counts them in ``route_points``.

An export.xml that stops before its end (a download or copy cut short) keeps every record
read and warns ``cut_off``, a blocking gap: the source cannot show it is complete until a
whole export arrives.

Keys of samples and workouts are ``YYYYMMDDTHHMMSS-<32 hex>``: the start time in UTC
(from the file's own offset, never the owner's zone), then a blake2b digest of the
fields that identify the item. Keys that start with the time arrive almost in order,
so the B-tree inserts of a large import land on neighbouring index pages. Activity
summaries are keyed ``activity:YYYY-MM-DD``, which is ordered already.

Modules: ``safe_xml`` (expat with defusedxml's settings), ``members`` (finding export.xml and
routes in the zip, and naming what else it holds that is not read), ``stream`` (the element handlers and the feeding loop), ``values``
(dates, numbers, digests), ``items`` (workouts, activity summaries, failures), ``routes``
(a workout's GPX route files, read with the GPS tracks connector's reader).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from ..base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    is_zip,
    open_zip,
    safe_member_names,
    sniff,
)
from ..identity import health_owner, with_file_identity
from ..manifest import Manifest, StreamView, export_path
from ..safe_zip import open_cut_member
from .items import ROUTE_STREAM
from .members import NOT_READ_KIND, _find_main_member, unread_members
from .routes import Routes
from .safe_xml import _CONTROL_BYTES, _DAMAGED, _NOT_HEALTH, _READ_ERRORS
from .stream import _stream
from .values import type_words
from .words import category_value_words

__all__ = ["MANIFEST", "PARSER_VERSION", "SOURCE_XML", "SOURCE_ZIP", "parse"]

PARSER_VERSION = "apple_health/7"  # 2: inline workout route points; cut-off exports. 3: a day's summary at noon (base.day_instant). 4: HKTimeZone kept. 5: names the zone its day summaries were read in. 6: route GPX files read. 7: names what of the zip it does not read

SOURCE_ZIP = "apple_health_zip"
SOURCE_XML = "apple_health_xml"


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Read the export (``_parse_export``); ``facts.identity``: whose it is, from ``Me`` (``identity``)."""
    return with_file_identity(_parse_export, health_owner)(artifact, facts, options)


def _parse_export(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    facts.parser_version = PARSER_VERSION
    path = Path(artifact.path)
    try:
        size = path.stat().st_size
        head = sniff(path) if size else b""
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    if size == 0:
        raise ArtifactRejected("empty", "The file is empty.")
    batches = _parse_zip(path, facts, options) if is_zip(head) else _parse_bare_xml(path, head, size, facts, options)
    with closing(batches):  # a caller that stops early closes the file at once
        for batch in batches:
            yield from batch


def _parse_bare_xml(
    path: Path, head: bytes, size: int, facts: BatchFacts, options: ParseOptions
) -> Iterator[list[ParsedRecord]]:
    start = head.removeprefix(b"\xef\xbb\xbf").translate(None, _CONTROL_BYTES).lstrip(b" \t\r\n")
    if not start:
        if size <= len(head):
            raise ArtifactRejected("empty", "The file holds nothing but blank space.")
        raise ArtifactRejected("wrong_source", _NOT_HEALTH)
    if not start.startswith(b"<"):
        raise ArtifactRejected("wrong_source", _NOT_HEALTH)
    facts.source_format = SOURCE_XML
    try:
        fh = open(path, "rb")  # closed by the with below, also when the caller stops early
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    with fh:
        yield from _stream(fh, facts, options)


def _parse_zip(path: Path, facts: BatchFacts, options: ParseOptions) -> Iterator[list[ParsedRecord]]:
    try:
        zf = open_zip(path)
    except ArtifactRejected as exc:
        if exc.reason != "malformed":
            raise
        yield from _parse_cut_zip(path, facts, options, exc)
        return
    with zf:
        names = safe_member_names(zf)
        main = _find_main_member(zf, names)
        facts.source_format = SOURCE_ZIP
        routes = Routes(zf, main, names)
        if unread := unread_members(names):  # said once, before the records: the receipt names what is not read
            facts.warn(NOT_READ_KIND, unread)
        try:
            raw = zf.open(main)
        except (*_READ_ERRORS, ValueError) as exc:
            raise ArtifactRejected("malformed", _DAMAGED) from exc
        with raw:
            yield from _stream(raw, facts, options, routes)


def _is_export_xml(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return base.endswith(".xml") and base != "export_cda.xml" and "workout-routes/" not in name.lower()


def _parse_cut_zip(
    path: Path, facts: BatchFacts, options: ParseOptions, refused: ArtifactRejected
) -> Iterator[list[ParsedRecord]]:
    """An export.zip cut short (no central directory): export.xml streamed from its local
    header, and the cut said. Any other broken zip stays refused as it was."""
    raw = open_cut_member(path, _is_export_xml)
    if raw is None:
        raise refused
    facts.source_format = SOURCE_ZIP
    with raw:
        yield from _stream(raw, facts, options)
    if not any(w.kind == "cut_off" for w in facts.warnings):
        facts.partial = True
        facts.warn(
            "cut_off",
            "export.zip ends in the middle; export.xml was read whole, but the files after it "
            "(workout routes) are missing. Export again from the Health app and upload the new export.zip.",
        )


INSTRUCTIONS = (
    "Open the Health app on your iPhone and tap your picture.",
    "Tap Export All Health Data and confirm.",
    "Save export.zip and upload it here.",
)

MANIFEST = Manifest(
    id="apple_health",
    name="Apple Health",
    record_noun=("record", "records"),  # samples, workouts, routes and day summaries alike
    summary="Steps, heart rate, sleep and workouts from the Health app.",
    paths=(export_path((".zip", ".xml"), INSTRUCTIONS, parse),),
    streams=("samples", "workouts", "activity_summaries", ROUTE_STREAM),
    views={
        ROUTE_STREAM: StreamView("points", ("lat", "lon", "kind", "workout", "accuracy")),
        "samples": StreamView("table", ("value", "unit", "source"), group_by="type", group_words=type_words,
                              field_words={"value": category_value_words}, until="end"),
        "workouts": StreamView("table", ("duration", "duration_unit", "distance", "distance_unit", "energy",
                                         "energy_unit"), group_by="type", group_words=type_words, until="end"),
        "activity_summaries": StreamView(
            "table",
            ("activeEnergyBurned", "activeEnergyBurnedUnit", "appleExerciseTime", "appleStandHours"),
            labels=("Active energy", "Unit", "Exercise minutes", "Stand hours"),
            timed=False,
        ),
    },
    record_key_rule="type, source, start, end and value of the sample",
    expected_refresh=timedelta(days=30),
    blocking_gaps=frozenset({"cut_off"}),
    recovery="Upload export.zip exactly as the Health app made it (Export All Health Data).",
    re_export_hint="Export your health data again from the Health app to add newer samples.",
    media_noun=("workout route", "workout routes"),
    media_hint="Upload the whole export.zip from the Health app (Profile › Export All Health Data) to add the "
               "workout routes.",
)
