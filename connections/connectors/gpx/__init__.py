"""GPS tracks: GPX 1.0 and 1.1 files from fitness apps, watches and GPS loggers.

A ``.gpx`` file, or a ``.zip`` holding several (a Strava archive, the Health app's
export.zip with its ``workout-routes``), is streamed through an expat parser set up
as defusedxml's strictest: a DTD of any kind, entity declarations and external
references are refused (a GPX file never has them), so XML bombs and external
entities never expand. No tree is built: a point becomes a record when its end tag
is seen, and only the text of its ``time``, ``ele`` and a few extension numbers is
kept while it is open, so memory stays flat however long the track.

Elements are recognised by local name in the document's GPX namespace (1.1, 1.0,
or none). Every ``trkpt`` (kind ``raw``), ``wpt`` (``waypoint``) and ``rtept``
(``route``) with a time and a valid position becomes a record of stream ``locations``
keyed by ``base.location_key``, the key the phone and Google Timeline use, so a fix
that also arrived from the phone is one record with two provenance rows. ``ele`` is
kept as ``altitude``; Garmin's TrackPointExtension ``hr``/``cad`` and the Health app's
``speed``/``course``/``hAcc`` are kept as numbers; other extensions are ignored.

Counting: a point without a time cannot show when the owner was there, so it is
skipped, with one sentence per kind (track points, route points, waypoints) saying
why. A position or time that is present but cannot be read is failed, with its line.
A time without a zone is UTC, as the GPX format says, and the receipt says so. A file
that ends early keeps the points before the damage and is marked partial. A file
that is not GPX, declares a DTD, or holds no point with a time is refused before
anything is written; a zip is checked member by member before its first point.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from ..manifest import LOCATION_KEY_RULE, LOCATION_VIEWS, Manifest, export_path
from .document import DTD_DETAIL, HOSTILE, STREAM, Document, NotGpx, Tally
from .zip_reader import parse_zip

__all__ = ["MANIFEST", "PARSER_VERSION", "STREAM", "looks_like_gpx", "parse"]

PARSER_VERSION = "gpx/1"
SOURCE_FILE = "gpx"

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
NOT_GPX = "This is not a GPX file (a .gpx track from a GPS app, watch or bike computer)."

# Owner sentences for points without a time, by kind: (one, several).
_UNTIMED = {
    "raw": (
        "1 point has no time, so it cannot show when you were there.",
        "{n} points have no time, so they cannot show when you were there.",
    ),
    "route": (
        "1 route point has no time: a route is a plan, not a record of where you were, so it was not imported.",
        "{n} route points have no time: a route is a plan, not a record of where you were, so it was not imported.",
    ),
    "waypoint": (
        "1 waypoint has no time: a saved place does not show when you were there, so it was not imported.",
        "{n} waypoints have no time: a saved place does not show when you were there, so they were not imported.",
    ),
}


# --------------------------------------------------------------------------- entry point


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Stream the timed points of a GPX file or a zip of GPX files (see the module doc)."""
    facts.parser_version = PARSER_VERSION
    path = Path(artifact.path)
    try:
        head = sniff(path)
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    if not head:
        raise ArtifactRejected("empty", "The file is empty.")
    tally = Tally()
    if is_zip(head):
        yield from parse_zip(path, facts, tally)
    else:
        yield from _parse_file(path, head, facts, tally)
    _close(facts, tally)


def looks_like_gpx(path: Path) -> bool:
    """Whether a file is for this parser rather than a JSON one: XML, or a zip holding ``.gpx`` files."""
    try:
        head = sniff(path)
    except OSError:
        return False
    if is_zip(head):
        try:
            zf = open_zip(path)
        except ArtifactRejected:
            return False
        with zf:
            return any(name.lower().endswith(".gpx") for name in safe_member_names(zf))
    return _starts_like_xml(head)


def _starts_like_xml(head: bytes) -> bool:
    return head.startswith(_BOMS[1:]) or head.removeprefix(_BOMS[0]).lstrip().startswith(b"<")


def _parse_file(path: Path, head: bytes, facts: BatchFacts, tally: Tally) -> Iterator[ParsedRecord]:
    if not _starts_like_xml(head):
        raise ArtifactRejected("wrong_source", NOT_GPX)
    facts.source_format = SOURCE_FILE
    try:
        fh = open(path, "rb")  # closed by the with below, also when the caller stops early
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    with fh:
        try:
            yield from Document(facts, tally, None).read(fh)
        except HOSTILE as exc:  # a DTD comes before the root, so before any point
            raise ArtifactRejected("unsupported", f"The file {DTD_DETAIL}") from exc
        except NotGpx as exc:
            raise ArtifactRejected("wrong_source", NOT_GPX) from exc


def _close(facts: BatchFacts, tally: Tally) -> None:
    """Say what was not coverage, and refuse an artifact that gave no point at all."""
    sentences = [
        one if count == 1 else several.format(n=f"{count:,}")
        for kind, (one, several) in _UNTIMED.items()
        if (count := tally.untimed[kind])
    ]
    for sentence in sentences:
        facts.warn("no_time", sentence)
    if tally.zoneless:
        facts.time_zone_assumed = "UTC"
        facts.warn(
            "time_zone_assumed",
            f"{tally.zoneless:,} point{'s' if tally.zoneless != 1 else ''} had a time without a zone; "
            "GPX times are in UTC, so they were read as UTC.",
        )
    if tally.produced:
        return
    if tally.damaged:
        raise ArtifactRejected("malformed", "The GPX file is damaged before its first point.")
    if facts.failed:
        raise ArtifactRejected("malformed", "No point in this GPX file has a position and a time that can be read.")
    if sentences:
        raise ArtifactRejected("empty", "This GPX file holds no point with a time. " + " ".join(sentences))
    raise ArtifactRejected("empty", "This GPX file holds no points.")


INSTRUCTIONS = (
    "Garmin Connect: open an activity, then the gear menu, Export to GPX.",
    "Strava: open an activity, then the ··· menu, Export GPX; or request your archive "
    "(Settings, My Account) and upload its .zip as it is.",
    "komoot: open a completed tour, then Download, GPX file.",
    "OsmAnd: My Places, Tracks, open a track, then Share or Export as GPX.",
    "GPSLogger: upload the .gpx files it saves in its folder on your phone, or a .zip of them.",
    "Health app (workout routes): tap your picture, Export All Health Data, and upload export.zip "
    "as it is; the route of every workout is read from it.",
    "Upload one .gpx file, or a .zip holding several.",
)

MANIFEST = Manifest(
    id="gpx",
    name="GPS tracks",
    record_noun=("point", "points"),
    summary="Where your rides, runs and walks took you, from GPX files your apps and watches export.",
    paths=(
        export_path((".gpx", ".zip"), INSTRUCTIONS, parse, job="Import tracks from GPX files"),
    ),
    streams=(STREAM,),
    views=LOCATION_VIEWS,
    record_key_rule=LOCATION_KEY_RULE,
    # Tracks are recorded now and then, so an empty week is no hole (no hole_after); a month
    # without a new upload invites the owner to add newer activities.
    expected_refresh=timedelta(days=30),
    recovery=(
        "Upload a .gpx file as your app exported it, or a .zip of .gpx files "
        "(a Strava archive or the Health app's export.zip)."
    ),
    re_export_hint="Export your newer activities as GPX and upload them to add newer tracks.",
)

