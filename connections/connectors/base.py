"""The contract between a connector's parser and the acquisition pipeline.

A parser is a pure, streaming function::

    parse(source: Artifact | Body, facts: BatchFacts, options: ParseOptions) -> Iterable[ParsedRecord]

One signature for every acquisition path: an export's parser gets an ``Artifact`` (a file on
disk), a push endpoint's and a pull's parser get a ``Body`` (the bytes a phone sent or a feed
answered). An export parser reads the file at ``artifact.path`` incrementally (never whole into memory),
yields one ``ParsedRecord`` per item of the owner's data, and fills ``facts``
as it goes (source format, counts of skipped and failed items with positions,
media, warnings). It never touches the database and never reads the clock.

A file the parser cannot accept at all (empty, malformed container, encrypted,
wrong source, unsupported format) raises ``ArtifactRejected`` *before the first
record is yielded*, so nothing is written. Any other exception from a parser is
a bug: property tests feed arbitrary bytes and expect only ``ArtifactRejected``.

Duplicate keys inside one artifact may be yielded; the pipeline counts them.
Event-time range, accepted and duplicate counts are computed by the pipeline
from the yielded records, not by the parser.

Values are cleaned at this boundary, the same way for every connector and
database: a NUL (which PostgreSQL's text and jsonb refuse) and a lone surrogate
(which no UTF-8 encoder takes, and which a JSON escape such as ``"\\ud800"``
produces) become U+FFFD; a payload string longer than ``MAX_TEXT_CHARS`` is cut
there; a key longer than ``MAX_KEY_CHARS`` becomes a digest of itself. The
pipeline stores ``clean_key(record.key)`` and ``payload_json(record.payload)``,
and warnings are cleaned when they are added, so a parser need not care.
Cleaning is deterministic, so a record's key is the same on every delivery.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Literal

import orjson

RejectReason = Literal["empty", "malformed", "encrypted", "wrong_source", "unsupported", "too_large"]
MediaState = Literal["attached", "missing", "omitted"]

# Caps applied when a parser opens a zip (hostile-input defence).
MAX_ZIP_MEMBERS = 200_000
MAX_ZIP_TOTAL_UNCOMPRESSED = 64 * 1024**3
MAX_ZIP_RATIO = 200
MAX_LINE_CHARS = 1_000_000

# Cleaning at the boundary (see the module doc).
REPLACEMENT = "\ufffd"
MAX_TEXT_CHARS = MAX_LINE_CHARS  # a payload string; a WhatsApp message may be this long
MAX_KEY_CHARS = 120  # Record.key
MAX_WARNING_CHARS = 500  # a warning's detail or position
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_JSON_INTS = range(-(2**63), 2**64)  # what orjson writes as a number


class ArtifactRejected(Exception):
    """The artifact cannot be imported at all. Raised before any record is yielded."""

    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class PayloadRejected(ValueError):
    """A push body that is not a readable payload. ``reason`` is a short code, ``detail`` owner words."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Artifact:
    """An uploaded file on local disk. ``filename`` is the owner's name for it (a hint only)."""

    path: Path
    filename: str


@dataclass(frozen=True, slots=True)
class Body:
    """The bytes of one push or one feed answer, with the charset the sender named (if any)."""

    data: bytes
    charset: str | None = None

    def text(self) -> str:
        """The body as text: the named charset, else UTF-8 (a BOM dropped), else Latin-1."""
        for encoding in (self.charset, "utf-8-sig"):
            if not encoding:
                continue
            try:
                return self.data.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.data.decode("latin-1")


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Owner context a parser may need.

    ``time_zone`` reads times written without a zone (WhatsApp). ``date_order``
    is the owner's answer to an ambiguous day/month order: ``"dmy"``, ``"mdy"``
    or None when not answered yet; ``"ymd"`` (short years first, 23/12/31) only
    when an import is read again in the order its source's files proved.
    """

    time_zone: tzinfo = UTC
    date_order: str | None = None
    date_order_proven: bool = False  # ``date_order`` is the one a later file of the source proved, not an answer
    chat: str | None = None  # which chat of a device backup this source is (``whatsapp.backup``)
    me: str | None = None  # the owner's own name as their chat exports write it (a backup's own messages)
    # People named differently by another phone's export of the same chat: its names -> the source's
    # (the owner's answer to ``coverage.pipeline.other_phone``); applied before a message is keyed.
    authors: Mapping[str, str] | None = None
    # (zone, source zone): another phone's export whose clock was that zone's; each written time is read on it,
    # then written on the source zone's clock before it is keyed (``whatsapp.people``). None: the same clock.
    clock: tuple[str, str] | None = None
    # How far ahead a repeating event is written out (a calendar feed: a year after the pull);
    # None: a year after the series starts. A parser reads no clock, so the pull passes it.
    horizon: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One item of the owner's data.

    ``key`` is stable: the same item in a re-export (or from another acquisition
    method, for locations) has the same key. ``event_at`` is timezone-aware UTC.
    ``media`` is the state of the item's media when it has any.
    """

    stream: str
    key: str
    event_at: datetime
    payload: dict
    media: MediaState | None = None


@dataclass
class Warning_:
    kind: str  # e.g. "unparsed_line", "bad_element", "ambiguous_date_order", "time_zone_assumed"
    detail: str  # owner words
    position: str | None = None  # "line 12", "element 5", "entry Takeout/x.json"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "detail": self.detail, "position": self.position}


MAX_WARNINGS = 50


@dataclass
class BatchFacts:
    """What a parser learned about the artifact as a whole, filled while streaming."""

    source_format: str = ""
    parser_version: str = ""
    skipped: int = 0
    failed: int = 0
    media_declared: int = 0
    media_attached: int = 0
    media_missing: int = 0  # referenced, but the file is not in the artifact
    media_omitted: int = 0  # exported without media: a placeholder only
    warnings: list[Warning_] = field(default_factory=list)
    warnings_dropped: int = 0
    completeness_claim: str = "observed"
    time_zone_assumed: str | None = None
    # Set when the file cannot settle the day/month order and no answer was given.
    needs_answer: dict | None = None
    date_order_seen: str | None = None  # the day/month order the file itself proves ("dmy", "mdy"), when it does
    partial: bool = False  # the artifact is known to be truncated or partial
    identity: str | None = None  # whose account or chat the file is from, when it says (``identity``)
    # A source that sends its whole current state each time (a calendar feed): the event-time range
    # it speaks for. Held records of its lane in that range that it gives differently are brought up
    # to date, and those it no longer gives are gone (``coverage.pipeline.snapshot``). None: it adds only.
    snapshot: tuple[datetime, datetime] | None = None

    def warn(self, kind: str, detail: str, position: str | None = None) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            detail = clean_text(detail, MAX_WARNING_CHARS)
            position = None if position is None else clean_text(position, MAX_WARNING_CHARS)
            self.warnings.append(Warning_(kind, detail, position))
        else:
            self.warnings_dropped += 1

    def fail(self, detail: str, position: str | None = None, *, kind: str = "unparsed_item") -> None:
        """Count one item that could not be parsed (or, ``kind`` says, could not be kept), remembering where."""
        self.failed += 1
        self.warn(kind, detail, position)


Parser = Callable[["Artifact | Body", BatchFacts, ParseOptions], Iterable[ParsedRecord]]


# ---------------------------------------------------------------- cleaning values


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD, cut to ``limit`` characters."""
    # isascii() is O(1); a surrogate is never ASCII, so plain text costs one NUL scan.
    if "\x00" in value or (not value.isascii() and _BAD_CHARS.search(value) is not None):
        value = _BAD_CHARS.sub(REPLACEMENT, value)
    return value if len(value) <= limit else value[:limit]


def clean_value(value):
    """A JSON-like value with every string (dict keys too) cleaned by ``clean_text``.

    Integers beyond what JSON numbers carry here (64 bits) become their decimal text.
    """
    t = type(value)
    if t is str:
        return clean_text(value)
    if t is dict:
        return {clean_text(str(k)): clean_value(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [clean_value(v) for v in value]
    if t is int and value not in _JSON_INTS:
        return str(value)
    return value


def clean_key(key: str) -> str:
    """The stored form of a record key: cleaned, and a digest of itself when over ``MAX_KEY_CHARS``.

    A key that is already plain is returned as is (the same object).
    """
    if len(key) <= MAX_KEY_CHARS and key.isascii() and "\x00" not in key:
        return key
    key = clean_text(key, len(key))
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()  # as ical_feed.event_key does


def payload_json(payload: dict) -> str:
    """The payload as stored: JSON text with every string cleaned (see ``clean_text``).

    The common case costs one orjson call and two scans of its output: text without a
    NUL escape that is no longer than ``MAX_TEXT_CHARS`` holds no string to clean.
    """
    try:
        text = orjson.dumps(payload).decode()
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate or an integer beyond 64 bits
        return _cleaned_json(payload)
    if len(text) > MAX_TEXT_CHARS or "\\u0000" in text:
        return _cleaned_json(payload)
    return text


def _cleaned_json(payload: dict) -> str:
    return orjson.dumps(clean_value(payload), default=str).decode()


DAY_HOUR = time(12)  # the hour a date written without a time stands at (``day_instant``)


def day_instant(day: date, tz: tzinfo) -> datetime:
    """The UTC instant that stands for a date written without a time (an all-day event, a day's
    activity summary): noon of ``day`` in ``tz``, the zone it is read in (the owner's).

    Days are counted in the owner's zone, so the instant must fall on ``day`` there. Noon, not
    midnight: midnight UTC is the day before anywhere west of Greenwich, and midnight in the
    owner's zone is the day before once the owner moves one hour west. Noon stays on ``day`` in
    every zone less than 12 hours from ``tz``. No key depends on this instant.
    """
    return datetime.combine(day, DAY_HOUR, tz).astimezone(UTC)


LOCATION_STREAM = "locations"  # the stream of every location fix, whatever brought it


def location_key(at: datetime, lat: float, lon: float) -> str:
    """The method-independent key of a location point.

    An export and a phone push of the same fix agree on it: UTC second and
    position rounded to 1e-5 degrees (about one metre).
    """
    ts = int(at.astimezone(UTC).timestamp())
    return f"{ts}:{round(lat, 5):.5f}:{round(lon, 5):.5f}"


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip defensively: reject encrypted, oversized, bomb-like or broken archives."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ArtifactRejected("malformed", "The zip file is damaged or incomplete.") from exc
    try:
        infos = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - any failure reading the directory is a broken zip
        zf.close()
        raise ArtifactRejected("malformed", "The zip file is damaged or incomplete.") from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        zf.close()
        raise ArtifactRejected("too_large", "The zip holds too many files.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            zf.close()
            raise ArtifactRejected(
                "encrypted", "The zip is password-protected; export it again without a password."
            )
        total += info.file_size
        if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_ZIP_RATIO:
            if info.file_size > 10 * 1024**2:
                zf.close()
                raise ArtifactRejected("too_large", "The zip expands far beyond its size (a zip bomb?).")
    if total > MAX_ZIP_TOTAL_UNCOMPRESSED:
        zf.close()
        raise ArtifactRejected("too_large", "The zip expands beyond the size limit.")
    return zf


def safe_member_names(zf: zipfile.ZipFile) -> list[str]:
    """Member names worth reading: no directories, macOS debris, absolute paths or '..'."""
    names = []
    for info in zf.infolist():
        name = info.filename
        # (A damaged zip may name a member "": ZipInfo.is_dir would fail on it.)
        if not name or name.endswith("/") or name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1] == ".DS_Store":
            continue
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            continue
        # Unix symlink entries (mode 0o120000) are never followed.
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            continue
        names.append(name)
    return names


def sniff(path: Path, size: int = 4096) -> bytes:
    """The first bytes of a file, for content-based detection."""
    with open(path, "rb") as fh:
        return fh.read(size)


def is_zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")
