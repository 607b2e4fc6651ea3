"""Google location history: Takeout Records.json, Semantic Location History, on-device Timeline.

The format is read from the content, never from the (localized) file name: the
first top-level key of a known kind (``locations``, ``timelineObjects``,
``semanticSegments`` or ``rawSignals``; other members before it are passed over)
or, for a top-level array, the keys of its first element (iOS).
A Takeout zip is classified member by member the same way.

Files are streamed, never loaded whole. Arrays of elements are cut into batches
of a few MB at element boundaries and each batch is parsed by orjson (a cut is
right exactly when orjson accepts the batch). Damage, truncation or an odd layout
hands the document to ijson's C backend behind ``_GuardedReader``, which yields
every element before the problem and says where it is: a one-array document
(Records, a Semantic month, iOS) continues with ijson from the refused batch; an
on-device Android file (``semanticSegments`` and ``rawSignals`` read in one pass)
is read again by two ijson passes that skip what was already handed out. Every
point with a time and a position becomes one record of stream ``locations`` keyed
by ``location_key``, so a phone push of the same fix gets the same key.

On-device times written without a zone are read in the owner's zone (``ParseOptions.time_zone``,
named on the receipt) but keyed on the wall clock as written, marked ``:wall`` (``common._record``,
parser version 3), so reading the same file in another zone moves the instants and keeps the keys
(DESIGN.md, "Time"). Records stored by version 2 keep their keys (the UTC second of the time read
in the zone of that day): no migration re-keys them, since a stored row does not say whether its
time was written without a zone. Uploaded again, such a file's zone-less points are new keys;
re-reading the stored import with the newer parser (``coverage.pipeline.reread``) replaces them instead.

Counting rules: an element or point that carries a field but the field cannot be
read (garbled or out-of-range coordinates, unreadable time) is *failed*, with its
position. A point whose location container or time is simply absent (a
``placeVisit`` without ``location``, a path point without a time) and entries that
hold no location by design (``timelineMemory``, ``wifiScan``, ``activityRecord``)
are *skipped*. ``waypointPath`` waypoints and ``transitPath`` stops have no time
and are not counted. Beyond the basic kinds, a Semantic ``childVisits`` entry is a
``visit`` and a ``parkingEvent`` a ``parking`` point; a ``placeVisit`` without
``location`` but with ``centerLatE7``/``centerLngE7`` uses that centre.

ijson keeps the path of every open nesting level as a string, so its memory grows
with depth squared and with key length: a 100,000-deep file would exhaust memory.
``_GuardedReader`` therefore checks depth and key length on the raw bytes before
the parser sees them (real Timeline files are about ten levels deep).

Modules: ``guard`` (the hostile-input guard every ijson read goes through), ``stream``
(the orjson batch reader and its ijson fallback), ``detect`` (which format a document
is), ``records``, ``semantic`` and ``ondevice`` (one per format's elements), ``reader``
(a document and its damage), ``zip_reader`` (a Takeout zip), ``common`` (what they share).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from ..base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    is_zip,
    sniff,
)
from ..identity import takeout_account, with_file_identity
from ..manifest import LOCATION_KEY_RULE, LOCATION_VIEWS, Manifest, export_path
from .common import ANDROID, IOS, PARSER_VERSION, RECORDS, SEMANTIC, STREAM, _Hostile, _Unreadable
from .detect import _classify, _reject_by_head
from .reader import _read_all
from .stream import _Source
from .zip_reader import _parse_zip

__all__ = [
    "ANDROID",
    "IOS",
    "MANIFEST",
    "PARSER_VERSION",
    "RECORDS",
    "SEMANTIC",
    "STREAM",
    "parse",
]


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Read the export (``_parse_export``); ``facts.identity``: the account a Takeout names (``identity``)."""
    return with_file_identity(_parse_export, takeout_account)(artifact, facts, options)


def _parse_export(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    """Stream the points of a Google location history file or Takeout zip (see the module doc)."""
    facts.parser_version = PARSER_VERSION
    try:
        head = sniff(artifact.path)
        size = artifact.path.stat().st_size
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    if not head:
        raise ArtifactRejected("empty", "The file is empty.")
    if is_zip(head):
        yield from _parse_zip(artifact, facts, options)
        return
    _reject_by_head(head, size)
    path = artifact.path
    opener = lambda: open(path, "rb")  # noqa: E731
    try:
        fmt = _classify(opener)
    except _Unreadable as exc:
        if isinstance(exc.__cause__, _Hostile):
            raise ArtifactRejected(
                "malformed", f"The file is not a Timeline export: it contains {exc.__cause__}."
            ) from exc
        raise ArtifactRejected("malformed", "The file is not valid JSON.") from exc
    if fmt == "empty_array":
        raise ArtifactRejected("empty", "The file holds no Timeline entries.")
    if fmt is None:
        raise ArtifactRejected(
            "wrong_source",
            "This JSON file is not Google location history (Records.json, a Semantic "
            "Location History month, or a Timeline export from your phone).",
        )
    facts.source_format = f"{fmt}_json"
    yield from _read_all([_Source(fmt, opener)], facts, options)


INSTRUCTIONS = (
    "On your phone: Settings, Location, Location services, Timeline, Export Timeline data.",
    "Or from Google Takeout: choose Location History and download the .zip.",
    "Upload the Timeline .json file or the Takeout .zip here.",
)

MANIFEST = Manifest(
    id="google_timeline",
    name="Google Maps Timeline",
    record_noun=("place", "places"),
    summary="Where you have been, from Google Maps Timeline.",
    paths=(export_path((".json", ".zip"), INSTRUCTIONS, parse),),
    streams=(STREAM,),
    views=LOCATION_VIEWS,
    record_key_rule=LOCATION_KEY_RULE,
    expected_refresh=timedelta(days=30),
    hole_after=timedelta(days=3),
    recovery=(
        "Upload the Timeline export from your phone (a .json file), Records.json or a "
        "Semantic Location History month file from Google Takeout, or the Takeout .zip as downloaded."
    ),
    re_export_hint="Export your Timeline again from your phone to add newer places.",
)
