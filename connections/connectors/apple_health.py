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
  ``<WorkoutRoute><FileReference path=...>`` is the workout's media (a GPX file).
- ``activity_summaries``: ``<ActivitySummary dateComponents="YYYY-MM-DD">``,
  a calendar day read in the owner's time zone.

Keys of samples and workouts are ``YYYYMMDDTHHMMSS-<32 hex>``: the start time in UTC
(from the file's own offset, never the owner's zone), then a blake2b digest of the
fields that identify the item. Keys that start with the time arrive almost in order,
so the B-tree inserts of a large import land on neighbouring index pages. Activity
summaries are keyed ``activity:YYYY-MM-DD``, which is ordered already.
"""

from __future__ import annotations

import hashlib
import lzma
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO
from xml.parsers import expat

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

from .base import (
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
from .manifest import AcquisitionPath, Manifest

PARSER_VERSION = "apple_health/1"

SOURCE_ZIP = "apple_health_zip"
SOURCE_XML = "apple_health_xml"

ROOT = "HealthData"
CHUNK_SIZE = 1 << 20  # bytes fed to expat per step; records are yielded after each step
SNIFF_LIMIT = 4 << 20  # bytes read from a zip member while looking for its root element
MAX_SNIFFED_MEMBERS = 50

# Control bytes that XML 1.0 forbids and old exports sometimes contain (\x0b in
# device strings). Tab, LF and CR stay. None of these bytes can occur inside a
# multi-byte UTF-8 sequence, so dropping them chunk by chunk is safe.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))

# Failures while decompressing or reading a zip member.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)
# Failures raised by expat on hostile bytes (LookupError: unknown encoding name).
_XML_ERRORS = (expat.ExpatError, LookupError, ValueError)

_ENTITIES_DETAIL = (
    "The file declares XML entities, which a Health app export never does; "
    "it was not read for safety."
)
_NOT_HEALTH = "This is not an Apple Health export (export.zip or export.xml from the Health app)."
_DAMAGED = "The Apple Health export is damaged and could not be read."

_METRES = {"m": 1.0, "km": 1000.0, "cm": 0.01, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048}


class _WrongRoot(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class _FoundRoot(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


# --------------------------------------------------------------------------- helpers


def _new_parser() -> expat.XMLParserType:
    """An expat parser with defusedxml's protections (DTD allowed, entities and external refs not)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.specified_attributes = True  # attribute defaults from a DTD are not the owner's data
    parser.EntityDeclHandler = _refuse_entity_decl
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity_decl
    parser.ExternalEntityRefHandler = _refuse_external_ref
    return parser


def _refuse_entity_decl(name, is_parameter_entity, value, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _refuse_unparsed_entity_decl(name, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _refuse_external_ref(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


_fromisoformat = datetime.fromisoformat


def _utc(text: str) -> datetime:
    """``2024-05-01 09:00:00 +0200`` (Apple's fixed format) as an aware UTC datetime.

    The C ISO parser reads the text without the space before the offset;
    anything else falls back to a tolerant ISO read that still requires an
    offset. Raises ValueError (or OverflowError) when unreadable.
    """
    if len(text) == 25 and text[19] == " ":
        return _fromisoformat(text[:19] + text[20:]).astimezone(UTC)
    value = _fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError("no offset")
    return value.astimezone(UTC)


# Offsets of whole hours keep minutes and seconds when converted to UTC, so the
# UTC hour of each "YYYY-MM-DD HH: ... +HH00" prefix is computed once and the
# minutes and seconds are appended (most samples share an hour with others).
_MINUTE_SECOND = {
    f"{m:02d}:{s:02d}": timedelta(minutes=m, seconds=s) for m in range(60) for s in range(60)
}
# "MM:SS" -> "MMSS-", the end of a key's time prefix (a lookup beats slicing per sample).
_KEY_MINUTE_SECOND = {text: text[:2] + text[3:] + "-" for text in _MINUTE_SECOND}
HOUR_CACHE_SIZE = 4096


def _compact(iso: str) -> str:
    """``2023-05-08T06:00:00...`` as ``20230508T060000``: the time prefix of a key."""
    return iso[:4] + iso[5:7] + iso[8:10] + "T" + iso[11:13] + iso[14:16] + iso[17:19]


def _when_slow(text: str, hours: dict[str, tuple[datetime, str, str]]) -> tuple[datetime, str]:
    """(UTC datetime, its ISO text) of an Apple date, remembering its hour for the fast path.

    The hour is remembered as (UTC datetime, ``YYYY-MM-DDTHH:``, ``YYYYMMDDTHH``).
    """
    at = _utc(text)
    iso = at.isoformat()
    step = _MINUTE_SECOND.get(text[14:19])
    if (
        step is not None
        and len(text) == 25
        and text[13] == ":"
        and text[16] == ":"
        and text[23:] == "00"
        and at.microsecond == 0
    ):
        hour = at - step
        head = hour.isoformat()[:14]
        if head + text[14:19] + "+00:00" == iso:
            if len(hours) >= HOUR_CACHE_SIZE:
                hours.clear()
            hours[text[:14] + text[19:]] = (hour, head, _compact(head + "00:00")[:11])
    return at, iso


def _number(text: str | None) -> float | int | str | None:
    """A numeric attribute as a JSON number when it is one (finite), else the text."""
    if text is None:
        return None
    if text.isdecimal() and len(text) < 16:
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    if value - value != 0:  # inf or nan: not JSON
        return text
    return value


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0 else None


def _digest(*parts: str) -> str:
    raw = "\x1f".join(parts).encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _short(text: object, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _filtered_chunks(raw: IO[bytes]) -> Iterator[bytes]:
    """Chunks of ``raw`` without the control bytes XML forbids (read errors propagate)."""
    read = raw.read
    while True:
        chunk = read(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk.translate(None, _CONTROL_BYTES)


# --------------------------------------------------------------------------- entry point


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    facts.parser_version = PARSER_VERSION
    path = Path(artifact.path)
    try:
        size = path.stat().st_size
        head = sniff(path) if size else b""
    except OSError as exc:
        raise ArtifactRejected("malformed", "The file could not be read.") from exc
    if size == 0:
        raise ArtifactRejected("empty", "The file is empty.")
    if is_zip(head):
        yield from _parse_zip(path, facts, options)
    else:
        yield from _parse_bare_xml(path, head, size, facts, options)


def _parse_bare_xml(
    path: Path, head: bytes, size: int, facts: BatchFacts, options: ParseOptions
) -> Iterator[ParsedRecord]:
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
        yield from _stream(fh, facts, options, lambda ref: None)


def _parse_zip(path: Path, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
    zf = open_zip(path)
    with zf:
        names = safe_member_names(zf)
        main = _find_main_member(zf, names)
        facts.source_format = SOURCE_ZIP
        resolve = _route_resolver(main, names)
        try:
            raw = zf.open(main)
        except (*_READ_ERRORS, ValueError) as exc:
            raise ArtifactRejected("malformed", _DAMAGED) from exc
        with raw:
            yield from _stream(raw, facts, options, resolve)


def _find_main_member(zf: zipfile.ZipFile, names: list[str]) -> str:
    """The member whose root element is ``HealthData`` (by content, not by name)."""
    candidates = [n for n in names if n.lower().endswith(".xml")]
    # export.xml first, then shallow paths, then larger files; routes and CDA last.
    sizes = {info.filename: info.file_size for info in zf.infolist()}

    def rank(name: str) -> tuple:
        base = name.rsplit("/", 1)[-1].lower()
        return (
            base != "export.xml",
            base == "export_cda.xml" or "/workout-routes/" in f"/{name.lower()}",
            name.count("/"),
            -sizes.get(name, 0),
            name,
        )

    candidates.sort(key=rank)
    seen = set()
    for name in candidates[:MAX_SNIFFED_MEMBERS]:
        root = _member_root(zf, name)
        if root == ROOT:
            return name
        seen.add(root)
    if "!entities" in seen:
        raise ArtifactRejected("unsupported", _ENTITIES_DETAIL)
    if "!unreadable" in seen:
        raise ArtifactRejected("malformed", "The zip is damaged: its XML files cannot be unpacked.")
    raise ArtifactRejected("wrong_source", _NOT_HEALTH)


def _member_root(zf: zipfile.ZipFile, name: str) -> str | None:
    """The root element name of an XML member.

    ``"!entities"`` when it declares entities, ``"!unreadable"`` when the zip
    cannot unpack it, None when it is not XML.
    """
    parser = _new_parser()

    def on_start(tag, attrs):
        raise _FoundRoot(tag)

    parser.StartElementHandler = on_start
    read = 0
    try:
        with zf.open(name) as raw:
            for chunk in _filtered_chunks(raw):
                parser.Parse(chunk, False)
                read += len(chunk)
                if read >= SNIFF_LIMIT:
                    return None
            parser.Parse(b"", True)
    except _FoundRoot as found:
        return found.name
    except (EntitiesForbidden, ExternalReferenceForbidden):
        return "!entities"
    except _READ_ERRORS:
        return "!unreadable"
    except _XML_ERRORS:
        return None
    return None


def _route_resolver(main: str, names: list[str]) -> Callable[[str], str | None]:
    """Maps a FileReference path (``/workout-routes/x.gpx``) to the zip member, if present."""
    base = main.rpartition("/")[0]
    members = set(names)
    by_basename: dict[str, str] = {}
    for name in names:
        if "workout-routes/" in name:
            by_basename.setdefault(name.rsplit("/", 1)[-1], name)

    def resolve(ref: str) -> str | None:
        rel = ref.strip().lstrip("/")
        if not rel or ".." in rel.split("/") or "\\" in rel:
            return None
        candidate = posixpath.join(base, rel) if base else rel
        if candidate in members:
            return candidate
        return by_basename.get(rel.rsplit("/", 1)[-1])

    return resolve


# --------------------------------------------------------------------------- streaming


def _stream(
    raw: IO[bytes],
    facts: BatchFacts,
    options: ParseOptions,
    resolve_route: Callable[[str], str | None],
) -> Iterator[ParsedRecord]:
    out: list[ParsedRecord] = []
    append = out.append
    tz: tzinfo = options.time_zone or UTC
    fail = facts.fail
    blake2b = hashlib.blake2b
    Record = ParsedRecord
    hours: dict[str, tuple[datetime, str, str]] = {}
    hour_of = hours.get
    minute_second = _MINUTE_SECOND.get
    key_minute_second = _KEY_MINUTE_SECOND
    when_slow = _when_slow
    compact = _compact

    depth = 0
    ordinal = 0  # position of the current top-level element (child of HealthData)
    produced = 0  # records parsed so far (yielded or buffered)
    workout: _Workout | None = None  # the open top-level <Workout>, until its end tag

    def on_start(name, attrs):
        nonlocal depth, ordinal, workout
        depth += 1
        if depth == 2:
            ordinal += 1
            if name == "Record":
                try:
                    typ = attrs["type"]
                    text = attrs["startDate"]
                    hour = hour_of(text[:14] + text[19:])
                    ms = text[14:19]
                    step = minute_second(ms)
                    if hour is None or step is None:
                        start, start_iso = when_slow(text, hours)
                        prefix = compact(start_iso) + "-"
                    else:
                        start = hour[0] + step
                        start_iso = hour[1] + ms + "+00:00"
                        prefix = hour[2] + key_minute_second[ms]
                    end_text = attrs.get("endDate")
                    if not end_text or end_text == text:
                        end_iso = start_iso
                    else:
                        hour = hour_of(end_text[:14] + end_text[19:])
                        if hour is None or end_text[14:19] not in _MINUTE_SECOND:
                            end_iso = when_slow(end_text, hours)[1]
                        else:
                            end_iso = hour[1] + end_text[14:19] + "+00:00"
                except (KeyError, ValueError, TypeError, OverflowError) as exc:
                    _fail_element(fail, "sample", attrs, exc, ordinal)
                    return
                source = attrs.get("sourceName", "")
                unit = attrs.get("unit")
                value = attrs.get("value")
                digest = blake2b(
                    "\x1f".join(
                        (typ, source, start_iso, end_iso, value or "", unit or "")
                    ).encode(),
                    digest_size=16,
                ).hexdigest()
                key = prefix + digest  # time first: see the module docstring
                if value is not None:
                    if value.isdecimal() and len(value) < 16:
                        value = int(value)
                    else:
                        try:
                            number = float(value)
                        except ValueError:
                            pass
                        else:
                            if number - number == 0:
                                value = number
                append(
                    Record(
                        "samples",
                        key,
                        start,
                        {
                            "type": typ,
                            "source": source,
                            "unit": unit,
                            "value": value,
                            "start": start_iso,
                            "end": end_iso,
                        },
                    )
                )
            elif name == "Workout":
                workout = _begin_workout(attrs, fail, ordinal)
            elif name == "ActivitySummary":
                record = _activity_summary(attrs, tz, fail, ordinal)
                if record is not None:
                    append(record)
            elif name == "Correlation":
                facts.skipped += 1
        elif depth == 1:
            if name != ROOT:
                raise _WrongRoot(name)
        elif workout is not None:
            if name == "WorkoutStatistics":
                if depth == 3:
                    _workout_statistic(workout, attrs)
            elif name == "FileReference":
                ref = attrs.get("path")
                if ref:
                    workout.routes.append(ref)

    def on_end(name):
        nonlocal depth, workout
        depth -= 1
        if depth == 1 and workout is not None:
            record = _finish_workout(workout, facts, resolve_route)
            workout = None
            if record is not None:
                append(record)

    parser = _new_parser()
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    feed = parser.Parse

    chunks = _filtered_chunks(raw)
    problem: str | None = None
    while True:
        try:
            chunk = next(chunks, None)
            if chunk is None:
                feed(b"", True)
            else:
                feed(chunk, False)
        except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
            if produced + len(out) == 0:
                raise ArtifactRejected("unsupported", _ENTITIES_DETAIL) from exc
            problem = "The export declares XML entities part-way through; reading stopped there."
        except _WrongRoot as exc:
            raise ArtifactRejected("wrong_source", _NOT_HEALTH) from exc
        except _XML_ERRORS as exc:
            if produced + len(out) == 0:
                raise ArtifactRejected("malformed", _DAMAGED) from exc
            problem = (
                "The export ends early or is damaged after element "
                f"{ordinal}; the items before that point were read."
            )
        except _READ_ERRORS as exc:
            if produced + len(out) == 0:
                raise ArtifactRejected("malformed", _DAMAGED) from exc
            problem = (
                "The zip is damaged part-way through export.xml (after element "
                f"{ordinal}); the items before that point were read."
            )
        if out:
            produced += len(out)
            yield from out
            out.clear()
        if problem is not None:
            facts.partial = True
            facts.warn("truncated", problem, f"element {ordinal}")
            return
        if chunk is None:
            return


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
    __slots__ = ("attrs", "type", "start", "end", "distances", "energies", "routes")

    def __init__(self, attrs: dict, typ: str, start: datetime, end: datetime):
        self.attrs = attrs
        self.type = typ
        self.start = start
        self.end = end
        self.distances: list[tuple[float, str | None]] = []
        self.energies: list[tuple[float, str | None]] = []
        self.routes: list[str] = []


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
    start_iso = start.isoformat()
    end_iso = end.isoformat()
    return ParsedRecord(
        "workouts",
        f"{_compact(start_iso)}-{_digest(typ, source, start_iso, end_iso)}",
        start,
        {
            "type": typ,
            "source": source,
            "start": start_iso,
            "end": end_iso,
            "duration": _float(attrs.get("duration")),
            "duration_unit": attrs.get("durationUnit"),
            "distance": distance,
            "distance_unit": distance_unit,
            "energy": energy,
            "energy_unit": energy_unit,
            "routes": route_paths,
        },
        media,
    )


def _activity_summary(attrs: dict, tz: tzinfo, fail, ordinal: int) -> ParsedRecord | None:
    try:
        day_text = attrs["dateComponents"]
        if len(day_text) != 10:
            raise ValueError(day_text)
        day = date.fromisoformat(day_text)
        event_at = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        _fail_element(fail, "daily activity summary", attrs, exc, ordinal)
        return None
    payload: dict = {"date": day_text}
    for name, text in attrs.items():
        if name != "dateComponents":
            payload[name] = _number(text)
    return ParsedRecord("activity_summaries", f"activity:{day_text}", event_at, payload)


MANIFEST = Manifest(
    id="apple_health",
    name="Apple Health",
    record_noun=("sample", "samples"),
    summary="Steps, heart rate, sleep and workouts from the Health app.",
    paths=(
        AcquisitionPath(
            method="owner_artifact",
            job="Import history from an export",
            trigger="manual",
            recommended=True,
            accepted_formats=(".zip", ".xml"),
            instructions=(
                "Open the Health app on your iPhone and tap your picture.",
                "Tap Export All Health Data and confirm.",
                "Save export.zip and upload it here.",
            ),
            parser=parse,
        ),
    ),
    streams=("samples", "workouts", "activity_summaries"),
    record_key_rule="type, source, start, end and value of the sample",
    expected_refresh=timedelta(days=30),
    recovery="Upload export.zip exactly as the Health app made it (Export All Health Data).",
    re_export_hint="Export your health data again from the Health app to add newer samples.",
)
