"""A workout's route files (``workout-routes/*.gpx`` in export.zip) read as route points.

Since about 2019 the Health app writes a workout's route as a GPX file its ``<WorkoutRoute>
<FileReference path="/workout-routes/route_2024-05-01_7.30am.gpx"/>`` names (FORMATS.md): one
``trk/trkseg/trkpt`` a fix, with ``lat``/``lon``, ``ele``, a UTC ``time`` and ``extensions``
``speed``, ``course``, ``hAcc`` and ``vAcc``. Each file is streamed after its workout's end tag
through the GPS tracks connector's reader (``gpx.document.Document``: expat refusing any DTD,
entity or external reference, the text of a few fields kept and capped, a point handed out at
its end tag), so memory stays flat however long the route or however many there are. A point
becomes a ``workout_routes`` record keyed like every location (``base.location_key``: UTC
second and position, no zone), as the inline ``<Location>`` points of older exports are; its
payload names the workout (its type, and ``workout_key``, the workout record's key).

A file larger than ``MAX_ROUTE_BYTES`` unpacked, or one that is not GPX, is left unread with a
warning; a file damaged part-way keeps the points before the damage (``Document`` warns).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator

from ..base import BatchFacts, ParsedRecord
from ..gpx.document import HOSTILE, READ_ERRORS, Document, NotGpx, Tally
from .items import ROUTE_STREAM
from .members import _route_resolver

MAX_ROUTE_BYTES = 64 << 20  # a route file's unpacked size read at most (a day's walk at 1 Hz is ~30 MB)
BATCH = 1000  # route points handed out together
_GPX_ONLY = ("source",)  # payload fields the GPX reader adds that a Health route point does not carry


class Routes:
    """The route files of one export.zip: found by a workout's reference, read as points."""

    def __init__(self, zf: zipfile.ZipFile | None, main: str = "", names: list[str] | None = None):
        self.zf = zf
        self.resolve: Callable[[str], str | None] = (
            _route_resolver(main, names or []) if zf is not None else (lambda ref: None)
        )
        self.sizes = {info.filename: info.file_size for info in zf.infolist()} if zf is not None else {}
        self.done: set[str] = set()  # members read already (two workouts naming one file read it once)

    def points(self, member: str, workout: ParsedRecord, facts: BatchFacts) -> Iterator[list[ParsedRecord]]:
        """The route points of ``member`` for ``workout`` (its record), in lists of up to ``BATCH``."""
        if self.zf is None or member in self.done:
            return
        self.done.add(member)
        if self.sizes.get(member, 0) > MAX_ROUTE_BYTES:
            facts.warn(
                "unreadable_entry",
                f"A workout's route file is larger than {MAX_ROUTE_BYTES >> 20} MB, so its points were not read.",
                f"entry {member}",
            )
            return
        link = {"kind": "route", "workout": workout.payload["type"], "workout_key": workout.key}
        batch: list[ParsedRecord] = []
        try:
            with self.zf.open(member) as raw:
                for point in Document(facts, Tally(), member).read(raw):
                    payload = point.payload
                    for name in _GPX_ONLY:
                        payload.pop(name, None)
                    payload.update(link)
                    batch.append(ParsedRecord(ROUTE_STREAM, point.key, point.event_at, payload))
                    if len(batch) >= BATCH:
                        yield batch
                        batch = []
        except (*HOSTILE, NotGpx, *READ_ERRORS, ValueError):
            facts.warn(
                "unreadable_entry",
                "A workout's route file is not a GPX file that could be read, so its points were not read.",
                f"entry {member}",
            )
        if batch:
            yield batch


NO_ROUTES = Routes(None)  # an export.xml alone, or a zip cut short: no route file to read
