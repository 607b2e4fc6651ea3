"""One GPX document streamed through expat: the parser's protections, the reader, the value readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO
from xml.parsers import expat

from defusedxml.common import DTDForbidden

from ..base import LOCATION_STREAM, BatchFacts, ParsedRecord, location_key
from ..safe_xml import HOSTILE, XML_ERRORS, xml_number
from ..safe_xml import new_parser as _safe_parser
from ..safe_zip import READ_ERRORS

STREAM = LOCATION_STREAM
CHUNK_SIZE = 1 << 16  # bytes fed to expat per step; records are yielded after each step
MAX_FIELD_CHARS = 64  # text kept of a time or number element
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)  # as the phone's pushes: no fix before 1970 or after 2100
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

NAMESPACES = frozenset({"http://www.topografix.com/GPX/1/1", "http://www.topografix.com/GPX/1/0", ""})
# element -> (payload kind, owner noun)
_POINTS = {"trkpt": ("raw", "track point"), "rtept": ("route", "route point"), "wpt": ("waypoint", "waypoint")}
# A point's own children in the GPX namespace (GPX 1.0 puts speed and course here).
_FIELDS = {"time": "time", "ele": "altitude", "speed": "speed_ms", "course": "course"}
# Numbers inside a point's <extensions>, by local name in any namespace: Garmin's
# TrackPointExtension (Garmin Connect, Strava) and the Health app's workout routes.
_EXTENSION_FIELDS = {"hr": "heart_rate", "cad": "cadence", "speed": "speed_ms", "course": "course", "hAcc": "accuracy"}

__all__ = ["HOSTILE", "READ_ERRORS", "XML_ERRORS", "Document", "NotGpx", "Tally", "new_parser"]

DTD_DETAIL = "declares a DTD or XML entities, which a GPX file never does; it was not read for safety."


class NotGpx(Exception):
    """The document's root is not ``<gpx>`` in a GPX namespace, or it is not XML at all."""


@dataclass
class Tally:
    """What the whole artifact showed, across its files."""

    produced: int = 0
    untimed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("raw", "route", "waypoint"), 0))
    zoneless: int = 0
    damaged: bool = False


@dataclass
class _Point:
    kind: str
    noun: str
    lat: str | None
    lon: str | None
    depth: int
    line: int
    values: dict[str, str] = field(default_factory=dict)


def new_parser() -> expat.XMLParserType:
    """An expat parser with defusedxml's strictest protections: no DTD, no entities, no external refs."""
    parser = _safe_parser(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    return parser


def _refuse_dtd(name, sysid, pubid, has_internal_subset):
    # Raised as the declaration starts, before its subset is read. A document type other than
    # gpx (an HTML page, a Health export.xml) is simply another kind of file.
    if (name or "").rpartition(":")[2].lower() != "gpx":
        raise NotGpx(name)
    raise DTDForbidden(name, sysid, pubid)


class Document:
    """One GPX document fed through expat in chunks; a point becomes a record at its end tag."""

    def __init__(self, facts: BatchFacts, tally: Tally, entry: str | None):
        self.facts, self.tally, self.entry = facts, tally, entry
        self.parser = new_parser()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.depth = 0
        self.gpx_ns: str | None = None
        self.point: _Point | None = None
        self.field: str | None = None  # the payload name whose text is being collected
        self.field_depth = 0
        self.chars: list[str] = []
        self.kept = 0
        self.out: list[ParsedRecord] = []

    def read(self, raw: IO[bytes]) -> Iterator[ParsedRecord]:
        """Feed ``raw`` chunk by chunk, yielding the records of each; damage stops the read, marked partial."""
        while True:
            try:
                chunk = raw.read(CHUNK_SIZE)
                self.parser.Parse(chunk, not chunk)
            except HOSTILE:  # defusedxml's errors are ValueErrors: refused, never read as damage
                raise
            except (*READ_ERRORS, *XML_ERRORS):
                if self.gpx_ns is None:
                    raise NotGpx from None
                chunk = None
            self.tally.produced += len(self.out)
            yield from self.out
            self.out.clear()
            if chunk is None:
                self._damaged()
                return
            if not chunk:
                return

    def _damaged(self) -> None:
        self.tally.damaged = self.facts.partial = True
        line = self.parser.ErrorLineNumber or self.parser.CurrentLineNumber
        where = f"The file {self.entry}" if self.entry else "The file"
        self.facts.warn(
            "truncated",
            f"{where} ends early or is damaged at line {line}; the points before it were read.",
            self._position(line),
        )

    def _position(self, line: int) -> str:
        return f"entry {self.entry}, line {line}" if self.entry else f"line {line}"

    # expat handlers: named steps of the hot loop

    def _start(self, name: str, attrs: dict) -> None:
        self.depth += 1
        ns, _, local = name.rpartition(" ")
        point = self.point
        if point is None:
            if self.depth == 1:
                if local != "gpx" or ns not in NAMESPACES:
                    raise NotGpx(name)
                self.gpx_ns = ns
            elif local in _POINTS and ns == self.gpx_ns:
                kind, noun = _POINTS[local]
                line = self.parser.CurrentLineNumber
                self.point = _Point(kind, noun, attrs.get("lat"), attrs.get("lon"), self.depth, line)
            return
        if self.field is not None:
            return
        if self.depth == point.depth + 1:
            target = _FIELDS.get(local) if ns == self.gpx_ns else None
        else:  # deeper: inside <extensions>
            target = _EXTENSION_FIELDS.get(local)
        if target is not None and target not in point.values:
            self.field, self.field_depth, self.kept = target, self.depth, 0
            self.chars.clear()

    def _text(self, data: str) -> None:
        if self.field is not None and self.kept < MAX_FIELD_CHARS:
            self.chars.append(data[: MAX_FIELD_CHARS - self.kept])
            self.kept += len(data)

    def _end(self, name: str) -> None:
        depth = self.depth
        self.depth -= 1
        point = self.point
        if point is None:
            return
        if self.field is not None and depth == self.field_depth:
            point.values[self.field] = "".join(self.chars).strip()
            self.field = None
        elif depth == point.depth:
            self.point = None
            record = self._record(point)
            if record is not None:
                self.out.append(record)

    def _record(self, point: _Point) -> ParsedRecord | None:
        lat, lon = _coordinate(point.lat, 90.0), _coordinate(point.lon, 180.0)
        if lat is None or lon is None:
            shown = f"lat {_shown(point.lat)}, lon {_shown(point.lon)}"
            self.facts.fail(f"A {point.noun} has no valid position ({shown}).", self._position(point.line))
            return None
        values = point.values
        text = values.pop("time", "")
        if not text:
            self.tally.untimed[point.kind] += 1
            self.facts.skipped += 1
            return None
        at = self._instant(text)
        if at is None:
            self.facts.fail(f"A {point.noun}'s time could not be read ({_shown(text)}).", self._position(point.line))
            return None
        payload: dict = {"lat": lat, "lon": lon, "kind": point.kind, "source": "gpx"}
        for name, value in values.items():
            number = xml_number(value)
            if number is not None:
                payload[name] = number
        return ParsedRecord(STREAM, location_key(at, lat, lon), at, payload)

    def _instant(self, text: str) -> datetime | None:
        """An ISO time (``Z`` or an offset, any fraction of a second) as UTC; no zone means UTC."""
        if len(text) < 16 or text[10] not in "Tt ":
            return None
        try:
            at = datetime.fromisoformat(text)
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
                self.tally.zoneless += 1
            at = at.astimezone(UTC)
        except (ValueError, OverflowError):
            return None
        return at if EARLIEST <= at < LATEST else None


def _coordinate(text: str | None, limit: float) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if -limit <= value <= limit else None  # NaN fails both comparisons


def _shown(text: str | None) -> str:
    if text is None:
        return "missing"
    return repr(text if len(text) <= 40 else text[:39] + "…")

