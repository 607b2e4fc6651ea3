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
"""

from __future__ import annotations

import math
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import IO

import ijson
import orjson

from .base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    ParsedRecord,
    ParseOptions,
    is_zip,
    location_key,
    open_zip,
    safe_member_names,
    sniff,
)
from .manifest import AcquisitionPath, Manifest

PARSER_VERSION = "google_timeline/1"

STREAM = "locations"

RECORDS = "takeout_records"
SEMANTIC = "takeout_semantic"
ANDROID = "ondevice_android"
IOS = "ondevice_ios"

# Top-level key -> format; the first such key decides.
_TOP_KEYS = {
    "locations": RECORDS,
    "timelineObjects": SEMANTIC,
    "semanticSegments": ANDROID,
    "rawSignals": ANDROID,
}
_CLASSIFY_EVENTS = 200_000  # parse events read at most to find one
_SEGMENT_KEYS = frozenset({"visit", "activity", "timelinePath", "timelineMemory"})
# Takeout siblings of Records.json that hold no points.
_IGNORED_MEMBERS = frozenset({"settings.json", "timeline edits.json"})

_BUF_SIZE = 256 * 1024
_BOM = b"\xef\xbb\xbf"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TEXT = 500  # payload strings are cut to this length

# Hostile-input limits (see module docstring).
_MAX_DEPTH = 32
_DEPTH_SLICE = 16  # must stay <= _MAX_DEPTH / 2 so a slice rarely needs an exact scan
_MAX_KEY = 256
_MAX_STRING = 1_000_000

_WHATSAPP_LINE = re.compile(
    rb"^\s*(?:\xe2\x80\x8e)?\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4},?\s+\d{1,2}[:.]\d{2}"
)


class _Bad(Exception):
    """One element or point cannot be read; the message is in the owner's words."""


class _Hostile(Exception):
    """The bytes are shaped to exhaust the parser (absurd nesting or key length)."""


class _Slow(Exception):
    """The element leaves the fast Records path for the careful one."""


class _Unreadable(Exception):
    """The JSON could not be read far enough to tell what it is."""


# --------------------------------------------------------------------------- reading


_BRACKETS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_OPEN = ord("(")


class _GuardedReader:
    """A binary reader that drops a UTF-8 BOM and refuses hostile JSON as it streams.

    It tracks, outside of strings, the nesting depth and the length of object
    keys, and raises ``_Hostile`` from ``read`` when a limit is passed. The cost
    is a few C-level bytes operations per chunk.
    """

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        head = raw.read(3)
        self._pending = b"" if head == _BOM else head
        self._depth = 0
        self._in_string = False
        self._string_len = 0  # length so far of a string that continues into the next chunk
        self._escaped = False  # the previous chunk ended on an escaping backslash
        self._key_check = False  # a long string ended at the chunk end: is a ':' next?
        self._error: _Hostile | None = None

    def __enter__(self) -> _GuardedReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._raw.close()

    def read(self, n: int = -1) -> bytes:
        if self._error is not None:
            raise self._error
        if n == 0:
            return b""
        if self._pending:
            head, self._pending = self._pending, b""
            if n is None or n < 0:
                data = head + self._raw.read()
            elif n <= len(head):
                data, self._pending = head[:n], head[n:]
            else:
                data = head + self._raw.read(n - len(head))
        else:
            data = self._raw.read(n)
        if data:
            state = self._state()
            try:
                self._scan(data)
            except _Hostile as exc:
                # Hand over the bytes before the problem; the next read raises.
                self._error = exc
                return data[: self._safe_length(data, state)]
        return data

    def _state(self) -> tuple:
        return (self._depth, self._in_string, self._string_len, self._escaped, self._key_check)

    def _restore(self, state: tuple) -> None:
        self._depth, self._in_string, self._string_len, self._escaped, self._key_check = state

    def _safe_length(self, data: bytes, state: tuple) -> int:
        """The longest prefix of ``data`` that scans clean from ``state`` (binary search)."""
        good, bad = 0, len(data)
        while bad - good > 1:
            middle = (good + bad) // 2
            self._restore(state)
            try:
                self._scan(data[:middle])
            except _Hostile:
                bad = middle
            else:
                good = middle
        return good

    def _scan(self, buf: bytes) -> None:
        if self._escaped:
            buf = buf[1:]
            self._escaped = False
        if b"\\" in buf:
            stripped = buf.rstrip(b"\\")
            self._escaped = bool((len(buf) - len(stripped)) & 1)
            buf = stripped.replace(b"\\\\", b"").replace(b'\\"', b"")
        parts = buf.split(b'"')
        last = len(parts) - 1
        started_in_string = self._in_string
        ends_in_string = started_in_string ^ bool(last & 1)
        if started_in_string:
            strings, structure, first_string = parts[0::2], parts[1::2], 0
        else:
            strings, structure, first_string = parts[1::2], parts[0::2], 1

        if self._key_check and not started_in_string:
            lead = parts[0].lstrip()
            if lead[:1] == b":":
                raise _Hostile("an overlong key")
            if lead or last:
                self._key_check = False

        if strings:
            carried = self._string_len if started_in_string else 0
            if carried + len(strings[0]) > _MAX_KEY or max(map(len, strings)) > _MAX_KEY:
                self._check_long_strings(parts, first_string, carried, ends_in_string)
            if ends_in_string:
                tail = len(parts[last])
                self._string_len = (carried + tail) if last == 0 else tail
            else:
                self._string_len = 0
        self._in_string = ends_in_string

        brackets = b"".join(structure).translate(_BRACKETS, _NOT_BRACKETS)
        depth = self._depth
        for start in range(0, len(brackets), _DEPTH_SLICE):
            piece = brackets[start : start + _DEPTH_SLICE]
            opens = piece.count(_OPEN)
            if depth + opens > _MAX_DEPTH:
                for c in piece:
                    depth += 1 if c == _OPEN else -1
                    if depth > _MAX_DEPTH:
                        raise _Hostile("nesting deeper than any Timeline file")
            else:
                depth += 2 * opens - len(piece)
        self._depth = depth

    def _check_long_strings(
        self, parts: list[bytes], first_string: int, carried: int, ends_in_string: bool
    ) -> None:
        last = len(parts) - 1
        for i in range(first_string, len(parts), 2):
            length = len(parts[i]) + (carried if i == 0 else 0)
            if length > _MAX_STRING:
                raise _Hostile("an overlong text")
            if length <= _MAX_KEY or (i == last and ends_in_string):
                continue
            following = parts[i + 1].lstrip() if i < last else b""
            if following[:1] == b":":
                raise _Hostile("an overlong key")
            if not following and i + 1 >= last:
                self._key_check = True


# Errors that mean "the bytes could not be read any further".
_READ_ERRORS = (
    ijson.JSONError,
    _Hostile,
    ValueError,  # includes UnicodeDecodeError
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,  # includes RecursionError
    MemoryError,
)


class _Chain:
    """``head`` bytes followed by the rest of ``raw``: hands a partly consumed stream to ijson."""

    def __init__(self, head: bytes, raw: IO[bytes]):
        self._head = head
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._raw.read(n)
        if n is None or n < 0:
            data, self._head = self._head + self._raw.read(), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        return data

    def close(self) -> None:
        self._raw.close()


@dataclass(frozen=True, slots=True)
class _Source:
    """One JSON document to read: the artifact itself or one zip member."""

    fmt: str
    open: Callable[[], IO[bytes]]  # a fresh raw binary stream each call
    entry: str | None = None  # zip member name, for positions


def _guarded(opener: Callable[[], IO[bytes]]) -> Callable[[], _GuardedReader]:
    return lambda: _GuardedReader(opener())


def _ijson_batches(open_stream: Callable[[], IO[bytes]], prefix: str) -> Iterator[list]:
    """The elements at ``prefix``, read by guarded ijson, in lists of up to 256.

    A read error is raised after the elements before it have been handed out.
    """
    with open_stream() as stream:
        batch: list = []
        try:
            for item in ijson.items(stream, prefix, use_float=True, buf_size=_BUF_SIZE):
                batch.append(item)
                if len(batch) == 256:
                    yield batch
                    batch = []
        except _READ_ERRORS:
            if batch:
                yield batch
            raise
        if batch:
            yield batch


@dataclass(frozen=True, slots=True)
class _ArrayDoc:
    """A document that is one array of elements: how it starts, ends, and ijson's view of it."""

    head: re.Pattern[bytes]  # up to and including the array's '['
    tail: re.Pattern[bytes]  # the array's ']' and what closes the document
    prefix: bytes  # the head, rebuilt for the ijson fallback
    items: str  # ijson prefix of the elements


_ARRAY_DOCS = {
    RECORDS: _ArrayDoc(
        re.compile(rb'\s*\{\s*"locations"\s*:\s*\['),
        re.compile(rb"\]\s*\}\s*\Z"),
        b'{"locations":[',
        "locations.item",
    ),
    SEMANTIC: _ArrayDoc(
        re.compile(rb'\s*\{\s*"timelineObjects"\s*:\s*\['),
        re.compile(rb"\]\s*\}\s*\Z"),
        b'{"timelineObjects":[',
        "timelineObjects.item",
    ),
    IOS: _ArrayDoc(re.compile(rb"\s*\["), re.compile(rb"\]\s*\Z"), b"[", "item"),
}

_CHUNK = 2 * 1024 * 1024
# Cuts are looked for in the last _WALK bytes only; a buffer of 3 chunks without
# one (an element of megabytes: not a Timeline file) is handed to ijson.
_WALK = 256 * 1024
_PENDING_CHUNKS = 3
_COMMA = ord(",")
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


def _balance(data: bytes) -> int:
    """Opening minus closing brackets in ``data``."""
    brackets = data.translate(_BRACKETS, _NOT_BRACKETS)
    return 2 * brackets.count(_OPEN) - len(brackets)


def _quick_separator(buf: bytes) -> int | None:
    """Offset of the last ',' at element level, counting brackets as if no string held any.

    Cheap (C-level counts, one per comma walked back); right unless strings hold
    brackets. The caller lets orjson confirm the cut.
    """
    depth = _balance(buf)
    pos = len(buf)
    floor = max(0, pos - _WALK)
    while True:
        comma = buf.rfind(b",", floor, pos)
        if comma < 0:
            return None
        depth -= _balance(buf[comma + 1 : pos])
        if depth == 0:
            return comma
        pos = comma


def _exact_separator(buf: bytes) -> int | None:
    """Offset of the last ',' at element level, strings masked out (escapes first, keeping offsets)."""
    masked = buf.replace(b"\\\\", b"__").replace(b'\\"', b"__") if b"\\" in buf else buf
    parts = masked.split(b'"')
    brackets = b"".join(parts[0::2]).translate(_BRACKETS, _NOT_BRACKETS)
    depth = 2 * brackets.count(_OPEN) - len(brackets)
    end = len(buf)
    floor = end - _WALK
    for i in range(len(parts) - 1, -1, -1):
        if end < floor:
            return None
        part = parts[i]
        start = end - len(part)
        if not i & 1:  # outside strings
            for j in range(len(part) - 1, -1, -1):
                c = part[j]
                if c == _COMMA:
                    if depth == 0:
                        return start + j
                elif c in _CLOSERS:
                    depth += 1
                elif c in _OPENERS:
                    depth -= 1
        end = start - 1
    return None


def _load_batch(body: bytes) -> list | None:
    try:
        items = orjson.loads(b"[" + body + b"]")
    except orjson.JSONDecodeError:
        return None
    return items


_NEED_MORE = "need more"


def _split_batch(buf: bytes) -> tuple[list, bytes] | str | None:
    """The complete elements at the start of ``buf`` and the bytes after them.

    Returns ``_NEED_MORE`` when no element has ended yet, and None when orjson
    refuses the elements (damage: ijson takes over). orjson accepts ``[`` + prefix
    + ``]`` only when the prefix ends exactly after an element (JSON grammar
    leaves no other way to close it), so any cut it accepts is right.
    """
    cut = _quick_separator(buf)
    if cut is not None and (items := _load_batch(buf[:cut])) is not None:
        return items, buf[cut + 1 :]
    exact = _exact_separator(buf)
    if exact is None:
        return _NEED_MORE
    if exact != cut and (items := _load_batch(buf[:exact])) is not None:
        return items, buf[exact + 1 :]
    return None


def _array_batches(open_raw: Callable[[], IO[bytes]], doc: _ArrayDoc) -> Iterator[list]:
    """The elements of a one-array document, parsed by orjson a few MB at a time.

    From the first batch orjson refuses (damage, truncation, hostile nesting, an
    unexpected layout) the rest of the stream is read by guarded ijson, which
    yields every element before the problem and then raises it.
    """
    raw = open_raw()
    handed_over = False
    try:
        buf = raw.read(_CHUNK)
        if buf.startswith(_BOM):
            buf = buf[3:]
        match = doc.head.match(buf)
        if match is not None:
            buf = buf[match.end() :]
            while True:
                more = raw.read(_CHUNK)
                if more:
                    buf = buf + more if buf else more
                    split = _split_batch(buf)
                    if split is _NEED_MORE and len(buf) <= _PENDING_CHUNKS * _CHUNK:
                        continue
                    if split is None or split is _NEED_MORE:
                        break
                    items, buf = split
                    if items:
                        yield items
                    continue
                end = doc.tail.search(buf)
                items = _load_batch(buf[: end.start()]) if end is not None else None
                if items is None:
                    break
                if items:
                    yield items
                return
            buf = doc.prefix + buf
        handed_over = True
        yield from _ijson_batches(lambda: _GuardedReader(_Chain(buf, raw)), doc.items)
    finally:
        if not handed_over:
            raw.close()


class _NotFast(Exception):
    """The document is not laid out as ``_document_arrays`` expects: read it with ijson."""


_OBJECT_START = re.compile(rb"\s*\{")
_MEMBER = re.compile(rb'\s*"([A-Za-z0-9_]{1,64})"\s*:\s*')
_AFTER_MEMBER = re.compile(rb"\s*([,}])")


def _array_close(buf: bytes) -> int | None:
    """Offset of the ']' closing the array whose elements ``buf`` starts between."""
    return _first_at_level(buf, b"]")


def _value_end(buf: bytes) -> int | None:
    """Offset of the ',' or '}' that ends the object member value ``buf`` starts with."""
    return _first_at_level(buf, b",}")


def _first_at_level(buf: bytes, stops: bytes) -> int | None:
    """Offset of the first byte of ``stops``, outside strings, met with no bracket open.

    Strings are masked out (escapes first, keeping offsets); a stretch outside
    strings that cannot get back to the starting level is passed with C-level
    counts, so only the few bytes between elements are walked in Python.
    """
    masked = buf.replace(b"\\\\", b"__").replace(b'\\"', b"__") if b"\\" in buf else buf
    depth = 0
    offset = 0
    for i, part in enumerate(masked.split(b'"')):
        if not i & 1:  # outside strings
            if depth > part.count(b"]") + part.count(b"}"):
                depth += _balance(part)
            else:
                for j, c in enumerate(part):
                    if depth == 0 and c in stops:
                        return offset + j
                    if c in _OPENERS:
                        depth += 1
                    elif c in _CLOSERS:
                        depth -= 1
        offset += len(part) + 1
    return None


def _document_arrays(
    open_raw: Callable[[], IO[bytes]], keys: frozenset[str]
) -> Iterator[tuple[str, list]]:
    """(key, elements) batches of the named top-level arrays of a JSON object, parsed by orjson.

    Other members are passed over. Raises ``_NotFast`` when the bytes are not the
    plain layout (damage, truncation, an odd shape); the caller then reads the
    document with ijson and skips what was already handed out.
    """
    with open_raw() as raw:
        buf = raw.read(_CHUNK)
        eof = not buf
        if buf.startswith(_BOM):
            buf = buf[3:]

        def fill(minimum: int) -> None:
            nonlocal buf, eof
            while len(buf) < minimum and not eof:
                more = raw.read(_CHUNK)
                if more:
                    buf += more
                else:
                    eof = True

        match = _OBJECT_START.match(buf)
        if match is None:
            raise _NotFast
        buf = buf[match.end() :]
        while True:
            fill(4096)
            match = _MEMBER.match(buf)
            if match is None:
                raise _NotFast
            key = match.group(1).decode()
            buf = buf[match.end() :]
            if key in keys and buf[:1] == b"[":
                buf = buf[1:]
                while True:
                    if not eof:
                        more = raw.read(_CHUNK)
                        if more:
                            buf += more
                            split = _split_batch(buf)
                            if split is _NEED_MORE:
                                if len(buf) > _PENDING_CHUNKS * _CHUNK:
                                    raise _NotFast
                                continue
                            if split is not None:
                                items, buf = split
                                if items:
                                    yield key, items
                                continue
                        else:
                            eof = True
                    # The array closes in this buffer (or the bytes are damaged).
                    close = _array_close(buf)
                    items = None if close is None else _load_batch(buf[:close])
                    if items is None:
                        raise _NotFast
                    if items:
                        yield key, items
                    buf = buf[close + 1 :]
                    break
            else:
                end = _value_end(buf)
                while end is None and not eof and len(buf) <= _PENDING_CHUNKS * _CHUNK:
                    fill(len(buf) + _CHUNK)
                    end = _value_end(buf)
                if end is None:
                    raise _NotFast
                buf = buf[end:]
            fill(4096)
            match = _AFTER_MEMBER.match(buf)
            if match is None:
                raise _NotFast
            buf = buf[match.end() :]
            if match.group(1) == b"}":
                fill(_CHUNK)
                if buf.strip() or not eof:
                    raise _NotFast  # bytes after the end: ijson tells what they are
                return


# ------------------------------------------------------------------------- detection


def _classify(open_raw: Callable[[], IO[bytes]]) -> str | None:
    """The format of a JSON document from its first keys; None for JSON of another kind.

    Returns ``"empty_array"`` for ``[]``. Raises ``_Unreadable`` when the bytes are
    not JSON (or not JSON for long enough to tell).
    """
    try:
        with _GuardedReader(open_raw()) as fh:
            return _classify_events(ijson.parse(fh, use_float=True))
    except _READ_ERRORS as exc:
        raise _Unreadable(str(exc)[:200]) from exc


def _classify_events(events) -> str | None:
    try:
        _, event, _ = next(events)
    except StopIteration:
        raise _Unreadable("no JSON value") from None
    if event == "start_map":
        # Members of other kinds may come first; their values are passed over, up to
        # a bound, so a large JSON file of another kind is refused quickly.
        for count, (prefix, event, value) in enumerate(events):
            if prefix == "":
                if event == "end_map":
                    return None
                if event == "map_key" and value in _TOP_KEYS:
                    return _TOP_KEYS[value]
            if count > _CLASSIFY_EVENTS:
                return None
        raise _Unreadable("the file ends early")
    if event == "start_array":
        first = next(events, None)
        if first is None:
            raise _Unreadable("the file ends early")
        event = first[1]
        if event == "end_array":
            return "empty_array"
        if event != "start_map":
            return None
        has_start = has_segment = False
        for prefix, event, value in events:
            if prefix == "item":
                if event == "end_map":
                    return None
                if event == "map_key":
                    if value == "startTime":
                        has_start = True
                    elif value in _SEGMENT_KEYS:
                        has_segment = True
                    if has_start and has_segment:
                        return IOS
        raise _Unreadable("the file ends early")
    # A bare scalar: JSON of another kind, provided nothing follows it.
    for _ in events:
        pass
    return None


def _reject_by_head(head: bytes, size: int) -> None:
    """Reject what is recognisably not a Timeline file from its first bytes."""
    body = head[3:] if head.startswith(_BOM) else head
    text = body.lstrip()
    if not text and size <= len(head):
        raise ArtifactRejected("empty", "The file is empty.")
    if head[:2] == b"\x1f\x8b":
        raise ArtifactRejected(
            "unsupported",
            "This is a compressed .tgz archive. Choose .zip as the Takeout file type, "
            "or upload the .json file from inside it.",
        )
    if text[:1] == b"<":
        raise ArtifactRejected(
            "wrong_source",
            "This looks like an XML or web page file (an Apple Health export?), "
            "not a Google Timeline file.",
        )
    if _WHATSAPP_LINE.match(text):
        raise ArtifactRejected(
            "wrong_source", "This looks like a chat export, not a Google Timeline file."
        )


# --------------------------------------------------------------------------- parsing


class _Ctx:
    """Per-document state shared by the element handlers."""

    __slots__ = ("facts", "entry", "array", "naive_tz", "naive_seen", "read")

    def __init__(self, facts: BatchFacts, entry: str | None, naive_tz: tzinfo):
        self.facts = facts
        self.entry = entry
        self.array: str | None = None
        self.naive_tz = naive_tz
        self.naive_seen = False
        self.read = 0  # elements read completely so far

    def position(self, n: int) -> str:
        where = f"element {n}" if self.array is None else f"{self.array} element {n}"
        return where if self.entry is None else f"entry {self.entry}, {where}"

    def fail(self, n: int, detail: str) -> None:
        self.facts.fail(detail, self.position(n))


def _text(value) -> str | None:
    """A payload string: plain text, no NUL or lone surrogates, bounded length."""
    if type(value) is not str:
        return None
    if value.isascii() and "\x00" not in value:
        return value[:_MAX_TEXT]
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return value[:_MAX_TEXT]


def _number(value) -> float | int | None:
    """A finite payload number (iOS writes numbers as strings)."""
    t = type(value)
    if t is int:
        return value if -1e12 < value < 1e12 else None
    if t is float:
        return value if math.isfinite(value) and -1e12 < value < 1e12 else None
    if t is str:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) and -1e12 < number < 1e12 else None
    return None


def _check_position(lat: float, lon: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _Bad("The position is outside the range of latitudes and longitudes.")


def _e7(value, limit: int) -> float:
    """Degrees from an E7 integer, undoing Google's 32-bit overflow of some exports."""
    t = type(value)
    if t is str:
        try:
            value = int(value)
        except ValueError:
            raise _Bad("The position is garbled.") from None
    elif t is float:
        if not math.isfinite(value):
            raise _Bad("The position is garbled.")
    elif t is not int:
        raise _Bad("The position is missing or garbled.")
    if value > limit:
        value -= 4294967296
    return value / 1e7


def _e7_pair(obj, lat_key: str, lon_key: str) -> tuple[float, float]:
    if type(obj) is not dict:
        raise _Bad("The position is garbled.")
    lat = _e7(obj.get(lat_key), 900000000)
    lon = _e7(obj.get(lon_key), 1800000000)
    _check_position(lat, lon)
    return lat, lon


def _lat_lng(value) -> tuple[float, float]:
    """Degrees from ``"48.1371079°, 11.5753822°"``, ``"48.13, 11.57"`` or ``"geo:27.72,-97.34"``."""
    if type(value) is dict:
        value = value.get("latLng", value.get("LatLng"))
    if type(value) is not str:
        raise _Bad("The position is missing or garbled.")
    text = value.strip()
    if text[:4].lower() == "geo:":
        text = text[4:].split(";", 1)[0]
    parts = text.replace("°", "").split(",")
    if len(parts) not in (2, 3):  # a geo: URI may carry an altitude
        raise _Bad("The position is garbled.")
    try:
        lat = float(parts[0])
        lon = float(parts[1])
    except ValueError:
        raise _Bad("The position is garbled.") from None
    _check_position(lat, lon)
    return lat, lon


def _iso(value, naive_tz: tzinfo, ctx: _Ctx | None = None) -> datetime:
    """An aware UTC datetime from ISO 8601 text (``Z``, an offset, or none)."""
    if type(value) is not str:
        raise _Bad("The time is garbled.")
    try:
        at = datetime.fromisoformat(value)
        tz = at.tzinfo
        if tz is UTC:
            return at
        if tz is None:
            if ctx is not None:
                ctx.naive_seen = True
            at = at.replace(tzinfo=naive_tz)
        return at.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Bad("The time is garbled.") from None


def _epoch_ms(value) -> datetime:
    t = type(value)
    try:
        if t is str:
            value = int(value)
        elif t is float:
            value = int(value)
        elif t is not int:
            raise _Bad("The time is garbled.")
        return _EPOCH + timedelta(milliseconds=value)
    except (ValueError, OverflowError):
        raise _Bad("The time is garbled.") from None


def _inline_key_matches() -> bool:
    """Whether ``location_key`` is still "UTC second:lat:lon" at 5 decimals, on edge samples.

    ``f"{x:.5f}"`` rounds exactly as ``f"{round(x, 5):.5f}"`` does, so the key can be
    formatted inline (a third of the cost). Should ``location_key`` ever change,
    records fall back to calling it.
    """
    samples = [
        (datetime(2023, 5, 10, 8, 15, 30, 999999, tzinfo=UTC), 52.516305, -13.377745),
        (_EPOCH + timedelta(milliseconds=1), -0.000004, 179.999995),
        (datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC), -89.999995, -180.0),
    ]
    return all(
        f"{int(at.timestamp())}:{lat:.5f}:{lon:.5f}" == location_key(at, lat, lon)
        for at, lat, lon in samples
    )


_INLINE_KEY = _inline_key_matches()


def _record(at: datetime, lat: float, lon: float, payload: dict) -> ParsedRecord:
    """A location record; ``at`` is aware UTC."""
    if _INLINE_KEY:
        key = f"{int(at.timestamp())}:{lat:.5f}:{lon:.5f}"
    else:
        key = location_key(at, lat, lon)
    return ParsedRecord(STREAM, key, at, payload)


# ---- Records.json


def _records_element(item, n: int, ctx: _Ctx) -> ParsedRecord | None:
    if type(item) is not dict:
        raise _Bad("This entry is not a location.")
    get = item.get
    lat = _e7(get("latitudeE7"), 900000000)
    lon = _e7(get("longitudeE7"), 1800000000)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _Bad("The position is outside the range of latitudes and longitudes.")
    ts = get("timestamp")
    if ts is not None:
        at = _iso(ts, UTC)
    else:
        ms = get("timestampMs")
        if ms is None:
            ctx.facts.skipped += 1
            return None
        at = _epoch_ms(ms)
    payload = {"lat": lat, "lon": lon, "kind": "raw"}
    accuracy = get("accuracy")
    if accuracy is not None and (accuracy := _number(accuracy)) is not None:
        payload["accuracy"] = accuracy
    source = get("source")
    if source is not None and (source := _text(source)) is not None:
        payload["source"] = source
    altitude = get("altitude")
    if altitude is not None and (altitude := _number(altitude)) is not None:
        payload["altitude"] = altitude
    return _record(at, lat, lon, payload)


# ---- Semantic Location History


def _semantic_time(duration, edge: str) -> datetime | None:
    """``duration.<edge>Timestamp`` (ISO) or ``<edge>TimestampMs`` (epoch ms); None if absent."""
    if duration is None:
        return None
    if type(duration) is not dict:
        raise _Bad("The time is garbled.")
    ts = duration.get(edge + "Timestamp")
    if ts is not None:
        return _iso(ts, UTC)
    ms = duration.get(edge + "TimestampMs")
    if ms is not None:
        return _epoch_ms(ms)
    return None


def _point_time(obj: dict) -> datetime | None:
    ts = obj.get("timestamp")
    if ts is not None:
        return _iso(ts, UTC)
    ms = obj.get("timestampMs")
    if ms is not None:
        return _epoch_ms(ms)
    return None


def _semantic_element(obj, n: int, ctx: _Ctx) -> list[ParsedRecord]:
    if type(obj) is not dict:
        raise _Bad("This entry is not a place or a trip.")
    out: list[ParsedRecord] = []
    visit = obj.get("placeVisit")
    segment = obj.get("activitySegment")
    if visit is None and segment is None:
        ctx.facts.skipped += 1
        return out
    if visit is not None:
        _semantic_visit(visit, n, ctx, out)
        children = visit.get("childVisits") if type(visit) is dict else None
        if type(children) is list:
            for child in children:
                _semantic_visit(child, n, ctx, out)
    if segment is not None:
        _semantic_activity(segment, n, ctx, out)
    return out


def _semantic_visit(visit, n: int, ctx: _Ctx, out: list) -> None:
    if type(visit) is not dict:
        ctx.fail(n, "A place visit is garbled.")
        return
    location = visit.get("location")
    try:
        if location is not None:
            lat, lon = _e7_pair(location, "latitudeE7", "longitudeE7")
        elif visit.get("centerLatE7") is not None:
            lat, lon = _e7_pair(visit, "centerLatE7", "centerLngE7")
        else:
            ctx.facts.skipped += 1
            return
        at = _semantic_time(visit.get("duration"), "start")
    except _Bad as exc:
        ctx.fail(n, f"A place visit could not be read: {exc}")
        return
    if at is None:
        ctx.facts.skipped += 1
        return
    payload = {"lat": lat, "lon": lon, "kind": "visit"}
    if type(location) is dict:
        if (place_id := _text(location.get("placeId"))) is not None:
            payload["place_id"] = place_id
        if (name := _text(location.get("name"))) is not None:
            payload["name"] = name
    out.append(_record(at, lat, lon, payload))


def _semantic_activity(segment, n: int, ctx: _Ctx, out: list) -> None:
    if type(segment) is not dict:
        ctx.fail(n, "A trip is garbled.")
        return
    activity_type = _text(segment.get("activityType"))
    duration = segment.get("duration")
    for edge, location_field, kind in (
        ("start", "startLocation", "activity_start"),
        ("end", "endLocation", "activity_end"),
    ):
        location = segment.get(location_field)
        if location is None:
            ctx.facts.skipped += 1
            continue
        try:
            lat, lon = _e7_pair(location, "latitudeE7", "longitudeE7")
            at = _semantic_time(duration, edge)
        except _Bad as exc:
            ctx.fail(n, f"The {edge} of a trip could not be read: {exc}")
            continue
        if at is None:
            ctx.facts.skipped += 1
            continue
        payload = {"lat": lat, "lon": lon, "kind": kind}
        if activity_type is not None:
            payload["activity_type"] = activity_type
        out.append(_record(at, lat, lon, payload))

    raw_path = segment.get("simplifiedRawPath")
    points = raw_path.get("points") if type(raw_path) is dict else None
    if type(points) is list:
        for point in points:
            try:
                if type(point) is not dict:
                    raise _Bad("The point is garbled.")
                lat, lon = _e7_pair(point, "latE7", "lngE7")
                at = _point_time(point)
            except _Bad as exc:
                ctx.fail(n, f"A point of a trip's path could not be read: {exc}")
                continue
            if at is None:
                ctx.facts.skipped += 1
                continue
            out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "path"}))

    parking = segment.get("parkingEvent")
    if type(parking) is dict:
        try:
            lat, lon = _e7_pair(parking.get("location"), "latitudeE7", "longitudeE7")
            at = _point_time(parking)
        except _Bad as exc:
            ctx.fail(n, f"A parking place could not be read: {exc}")
            return
        if at is None:
            ctx.facts.skipped += 1
            return
        out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "parking"}))


# ---- On-device Timeline (Android semanticSegments, iOS array)


def _segment_element(segment, n: int, ctx: _Ctx) -> list[ParsedRecord]:
    """One on-device segment (Android ``semanticSegments`` item or iOS array element)."""
    if type(segment) is not dict:
        raise _Bad("This entry is not a place or a trip.")
    out: list[ParsedRecord] = []
    visit = segment.get("visit")
    activity = segment.get("activity")
    path = segment.get("timelinePath")
    if visit is None and activity is None and path is None:
        ctx.facts.skipped += 1  # timelineMemory (a trip summary) or unknown
        return out
    if visit is not None:
        try:
            _device_visit(visit, segment.get("startTime"), ctx, out)
        except _Bad as exc:
            ctx.fail(n, f"A place visit could not be read: {exc}")
    if activity is not None:
        _device_activity(activity, segment, n, ctx, out)
    if path is not None:
        _device_path(path, segment.get("startTime"), n, ctx, out)
    return out


def _device_time(raw, ctx: _Ctx) -> datetime | None:
    return None if raw is None else _iso(raw, ctx.naive_tz, ctx)


def _device_visit(visit, start_raw, ctx: _Ctx, out: list) -> None:
    candidate = visit.get("topCandidate") if type(visit) is dict else None
    if type(visit) is not dict or (candidate is not None and type(candidate) is not dict):
        raise _Bad("The place is garbled.")
    location = None if candidate is None else candidate.get("placeLocation")
    if location is None:
        ctx.facts.skipped += 1
        return
    lat, lon = _lat_lng(location)  # Android {"latLng": "…°, …°"}, iOS "geo:…"
    at = _device_time(start_raw, ctx)
    if at is None:
        ctx.facts.skipped += 1
        return
    payload = {"lat": lat, "lon": lon, "kind": "visit"}
    if (place_id := _text(candidate.get("placeId", candidate.get("placeID")))) is not None:
        payload["place_id"] = place_id
    if (semantic := _text(candidate.get("semanticType"))) is not None:
        payload["semantic_type"] = semantic
    out.append(_record(at, lat, lon, payload))


def _device_activity(activity, segment: dict, n: int, ctx: _Ctx, out: list) -> None:
    if type(activity) is not dict:
        ctx.fail(n, "A trip is garbled.")
        return
    candidate = activity.get("topCandidate")
    activity_type = _text(candidate.get("type")) if type(candidate) is dict else None
    for edge, kind in (("start", "activity_start"), ("end", "activity_end")):
        location = activity.get(edge)
        if location is None:
            ctx.facts.skipped += 1
            continue
        try:
            lat, lon = _lat_lng(location)
            at = _device_time(segment.get(edge + "Time"), ctx)
        except _Bad as exc:
            ctx.fail(n, f"The {edge} of a trip could not be read: {exc}")
            continue
        if at is None:
            ctx.facts.skipped += 1
            continue
        payload = {"lat": lat, "lon": lon, "kind": kind}
        if activity_type is not None:
            payload["activity_type"] = activity_type
        out.append(_record(at, lat, lon, payload))


def _device_path(path, start_raw, n: int, ctx: _Ctx, out: list) -> None:
    """Path points: Android gives each a ``time``; iOS gives minutes after the segment start."""
    if type(path) is not list:
        ctx.fail(n, "A path is garbled.")
        return
    start: datetime | None = None
    for point in path:
        try:
            if type(point) is not dict:
                raise _Bad("The point is garbled.")
            lat, lon = _lat_lng(point.get("point"))
            time_raw = point.get("time")
            if time_raw is not None:
                at = _iso(time_raw, ctx.naive_tz, ctx)
            else:
                offset = point.get("durationMinutesOffsetFromStartTime")
                if offset is None or start_raw is None:
                    ctx.facts.skipped += 1
                    continue
                if start is None:
                    start = _device_time(start_raw, ctx)
                minutes = _number(offset)
                if minutes is None:
                    raise _Bad("The time is garbled.")
                at = start + timedelta(minutes=minutes)
        except (_Bad, OverflowError) as exc:
            ctx.fail(n, f"A point of a path could not be read: {exc}")
            continue
        out.append(_record(at, lat, lon, {"lat": lat, "lon": lon, "kind": "path"}))


def _raw_signal_element(signal, n: int, ctx: _Ctx) -> list[ParsedRecord]:
    if type(signal) is not dict:
        raise _Bad("This entry is not a signal.")
    position = signal.get("position")
    if position is None:
        ctx.facts.skipped += 1  # wifiScan, activityRecord: no coordinates
        return []
    if type(position) is not dict:
        raise _Bad("The position is garbled.")
    lat, lon = _lat_lng(position.get("LatLng", position.get("latLng")))
    time_raw = position.get("timestamp")
    if time_raw is None:
        ctx.facts.skipped += 1
        return []
    at = _iso(time_raw, ctx.naive_tz, ctx)
    payload = {"lat": lat, "lon": lon, "kind": "raw"}
    if (accuracy := _number(position.get("accuracyMeters"))) is not None:
        payload["accuracy"] = accuracy
    if (source := _text(position.get("source"))) is not None:
        payload["source"] = source
    if (altitude := _number(position.get("altitudeMeters"))) is not None:
        payload["altitude"] = altitude
    return [_record(at, lat, lon, payload)]


@dataclass
class _Damage:
    entry: str | None
    array: str | None
    read: int  # elements read completely before the damage
    error: BaseException


def _consume(
    batches, handler: Callable, ctx: _Ctx, start: int = 0, skip: int = 0
) -> Iterator[ParsedRecord]:
    """Run ``handler`` over every element; one bad element never stops the file.

    Elements are numbered from ``start`` + 1; the first ``skip`` elements were
    handled before (by the fast reader) and are passed over.
    """
    n = start
    for batch in batches:
        for item in batch:
            n += 1
            ctx.read = n
            if n <= skip:
                continue
            try:
                records = handler(item, n, ctx)
            except _Bad as exc:
                ctx.fail(n, f"An entry could not be read: {exc}")
                continue
            except Exception:  # noqa: BLE001 - any surprise in one element is that element's failure
                ctx.fail(n, "An entry could not be read.")
                continue
            yield from records


def _consume_records(batches: Iterator[list], ctx: _Ctx) -> Iterator[ParsedRecord]:
    """Records.json elements: an inlined path for the usual shape, ``_records_element`` otherwise.

    The key is ``location_key``'s, formatted inline (see ``_inline_key_matches``):
    for a UTC time from ``timestamp``, or from ``timestampMs`` in [0, 4e12) where
    ``fromtimestamp(ms / 1000)`` is exact to the microsecond, the whole second is
    ``int(at.timestamp())``. A property test checks this path against the careful one.
    """
    fromisoformat = datetime.fromisoformat
    fromtimestamp = datetime.fromtimestamp
    n = 0
    for batch in batches:
        for item in batch:
            n += 1
            try:
                lat = item["latitudeE7"]
                lon = item["longitudeE7"]
                if (
                    type(lat) is not int
                    or type(lon) is not int
                    or not -900000000 <= lat <= 900000000
                    or not -1800000000 <= lon <= 1800000000
                ):
                    raise _Slow
                ts = item.get("timestamp")
                if ts is not None:
                    at = fromisoformat(ts)
                    if at.tzinfo is not UTC:
                        raise _Slow
                    second = int(at.timestamp())
                else:
                    ms = item["timestampMs"]
                    if type(ms) is not str:
                        raise _Slow
                    ms = int(ms)
                    if not 0 <= ms < 4_000_000_000_000:
                        raise _Slow
                    at = fromtimestamp(ms / 1000, UTC)
                    second = ms // 1000
                lat /= 1e7
                lon /= 1e7
                payload = {"lat": lat, "lon": lon, "kind": "raw"}
                # Optional fields: only the plain shapes here (what _number and _text
                # pass unchanged); anything else goes the careful way.
                value = item.get("accuracy")
                if value is not None:
                    if type(value) is not int or not -1_000_000 < value < 1_000_000:
                        raise _Slow
                    payload["accuracy"] = value
                value = item.get("source")
                if value is not None:
                    if (
                        type(value) is not str
                        or len(value) > 64
                        or not value.isascii()
                        or "\x00" in value
                    ):
                        raise _Slow
                    payload["source"] = value
                value = item.get("altitude")
                if value is not None:
                    if type(value) is not int or not -1_000_000 < value < 1_000_000:
                        raise _Slow
                    payload["altitude"] = value
                if not _INLINE_KEY:
                    raise _Slow
                record = ParsedRecord(STREAM, f"{second}:{lat:.5f}:{lon:.5f}", at, payload)
            except Exception:  # noqa: BLE001 - anything unusual takes the careful path
                try:
                    record = _records_element(item, n, ctx)
                except _Bad as exc:
                    ctx.fail(n, f"A location could not be read: {exc}")
                    continue
                except Exception:  # noqa: BLE001 - any surprise in one element is that element's failure
                    ctx.fail(n, "A location could not be read.")
                    continue
                if record is None:
                    continue
            yield record
        ctx.read = n


# (ijson prefix, handler, array name shown in positions or None) of the on-device Android passes
_ANDROID_PASSES: tuple[tuple[str, Callable, str | None], ...] = (
    ("semanticSegments.item", _segment_element, None),
    ("rawSignals.item", _raw_signal_element, "rawSignals"),
)
_ANDROID_KEYS = frozenset({"semanticSegments", "rawSignals"})
_ANDROID_HANDLERS = {
    "semanticSegments": (_segment_element, None),
    "rawSignals": (_raw_signal_element, "rawSignals"),
}
_HANDLERS = {SEMANTIC: _semantic_element, IOS: _segment_element}


def _read_android(source: _Source, ctx: _Ctx, damages: list[_Damage]) -> Iterator[ParsedRecord]:
    """Both arrays in one orjson pass; else (odd layout, damage) two ijson passes.

    The ijson passes skip the elements the fast reader handed out already, so
    nothing is yielded twice, and report where the damage is.
    """
    handed = dict.fromkeys(_ANDROID_KEYS, 0)
    try:
        for key, batch in _document_arrays(source.open, _ANDROID_KEYS):
            handler, ctx.array = _ANDROID_HANDLERS[key]
            yield from _consume([batch], handler, ctx, start=handed[key])
            handed[key] = ctx.read
        return
    except (_NotFast, *_READ_ERRORS):
        pass
    found: list[_Damage] = []
    for prefix, handler, array in _ANDROID_PASSES:
        ctx.array = array
        ctx.read = 0
        batches = _ijson_batches(_guarded(source.open), prefix)
        try:
            yield from _consume(batches, handler, ctx, skip=handed[prefix.split(".")[0]])
        except _READ_ERRORS as exc:
            found.append(_Damage(source.entry, array, ctx.read, exc))
    if found:
        # Every pass reads to the end of the document and meets the same damage;
        # the last pass that got anywhere says where it is.
        reached = [d for d in found if d.read]
        damages.append(reached[-1] if reached else found[0])


def _read_source(
    source: _Source, facts: BatchFacts, options: ParseOptions, damages: list[_Damage]
) -> Iterator[ParsedRecord]:
    """Yield the records of one JSON document; damage (truncation) is appended to ``damages``."""
    naive_tz = UTC if source.fmt in (RECORDS, SEMANTIC) else options.time_zone
    ctx = _Ctx(facts, source.entry, naive_tz)
    if source.fmt == ANDROID:
        yield from _read_android(source, ctx, damages)
    else:
        batches = _array_batches(source.open, _ARRAY_DOCS[source.fmt])
        if source.fmt == RECORDS:
            records = _consume_records(batches, ctx)
        else:
            records = _consume(batches, _HANDLERS[source.fmt], ctx)
        try:
            yield from records
        except _READ_ERRORS as exc:
            damages.append(_Damage(source.entry, None, ctx.read, exc))
    if ctx.naive_seen and facts.time_zone_assumed is None:
        facts.time_zone_assumed = getattr(naive_tz, "key", None) or str(naive_tz)
        facts.warn(
            "time_zone_assumed",
            f"Some times had no time zone; they were read as {facts.time_zone_assumed}.",
        )


def _damage_position(damage: _Damage) -> str:
    where = (
        f"element {damage.read}"
        if damage.array is None
        else f"{damage.array} element {damage.read}"
    )
    return where if damage.entry is None else f"entry {damage.entry}, {where}"


def _report_damage(damage: _Damage, facts: BatchFacts) -> None:
    what = "points" if damage.array is None else f"{damage.array} entries"
    where = "The file" if damage.entry is None else f"Entry {damage.entry}"
    message = str(damage.error)
    if "trailing garbage" in message:
        facts.warn(
            "trailing_data",
            f"{where} has extra bytes after its end; they were ignored.",
            _damage_position(damage),
        )
        return
    facts.partial = True
    if "premature EOF" in message:
        facts.warn(
            "truncated",
            f"{where} ends early; {what} after element {damage.read} were not read.",
            _damage_position(damage),
        )
    else:
        facts.warn(
            "damaged",
            f"{where} is damaged after element {damage.read}; the rest was not read.",
            _damage_position(damage),
        )


def _read_all(
    sources: list[_Source], facts: BatchFacts, options: ParseOptions
) -> Iterator[ParsedRecord]:
    """Read every source; reject as malformed only while nothing has been yielded."""
    damages: list[_Damage] = []
    yielded = False
    for source in sources:
        records = _read_source(source, facts, options, damages)
        if not yielded:
            for record in records:
                yielded = True
                yield record
                break
        yield from records  # after the first record, without a Python frame per record
    if damages and not yielded and not all("trailing garbage" in str(d.error) for d in damages):
        first = next(d for d in damages if "trailing garbage" not in str(d.error))
        if isinstance(first.error, _Hostile):
            detail = f"The file is not a Timeline export: it contains {first.error}."
        elif "premature EOF" in str(first.error):
            detail = (
                "The file ends before its first place: it was cut off while downloading or copying."
            )
        else:
            detail = "The file is damaged: it is not valid JSON."
        if first.entry is not None:
            detail = f"{detail} (entry {first.entry})"
        raise ArtifactRejected("malformed", detail)
    for damage in damages:
        _report_damage(damage, facts)


# ------------------------------------------------------------------------ entry point


def parse(artifact: Artifact, facts: BatchFacts, options: ParseOptions) -> Iterator[ParsedRecord]:
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


def _member_opener(zf: zipfile.ZipFile, name: str) -> Callable[[], IO[bytes]]:
    return lambda: zf.open(name)


def _parse_zip(
    artifact: Artifact, facts: BatchFacts, options: ParseOptions
) -> Iterator[ParsedRecord]:
    zf = open_zip(artifact.path)
    try:
        found: dict[str, list[str]] = {RECORDS: [], SEMANTIC: [], ANDROID: [], IOS: []}
        unreadable: list[str] = []
        for name in sorted(safe_member_names(zf)):
            base = name.rsplit("/", 1)[-1].lower()
            if not base.endswith(".json") or base in _IGNORED_MEMBERS:
                continue
            try:
                fmt = _classify(_member_opener(zf, name))
            except _Unreadable:
                unreadable.append(name)
                continue
            if fmt in found:
                found[fmt].append(name)
        if not any(found.values()):
            if unreadable:
                raise ArtifactRejected(
                    "malformed",
                    f"The zip's file {unreadable[0]} is damaged, and no other file holds places.",
                )
            raise ArtifactRejected(
                "wrong_source",
                "This zip holds no Google location history (Records.json, Semantic Location "
                "History or a Timeline export).",
            )
        plan: list[tuple[str, str]] = []
        if found[RECORDS]:
            plan += [(RECORDS, name) for name in found[RECORDS]]
            if found[SEMANTIC]:
                count = len(found[SEMANTIC])
                facts.warn(
                    "semantic_skipped",
                    f"Skipped {count} Semantic Location History file{'s' if count != 1 else ''}: "
                    "Records.json covers the same time, and importing both would double count it.",
                )
            fmt = RECORDS
        else:
            plan += [(SEMANTIC, name) for name in found[SEMANTIC]]
            fmt = SEMANTIC if found[SEMANTIC] else (ANDROID if found[ANDROID] else IOS)
        plan += [(ANDROID, name) for name in found[ANDROID]]
        plan += [(IOS, name) for name in found[IOS]]
        facts.source_format = f"{fmt}_zip"
        for name in unreadable:
            facts.warn(
                "unreadable_entry", "This JSON file in the zip could not be read.", f"entry {name}"
            )
        sources = [_Source(kind, _member_opener(zf, name), name) for kind, name in plan]
        yield from _read_all(sources, facts, options)
    finally:
        zf.close()


MANIFEST = Manifest(
    id="google_timeline",
    name="Google Maps Timeline",
    record_noun=("place", "places"),
    summary="Where you have been, from Google Maps Timeline.",
    paths=(
        AcquisitionPath(
            method="owner_artifact",
            job="Import history from an export",
            trigger="manual",
            recommended=True,
            accepted_formats=(".json", ".zip"),
            instructions=(
                "On your phone: Settings, Location, Location services, Timeline, Export Timeline data.",
                "Or from Google Takeout: choose Location History and download the .zip.",
                "Upload the Timeline .json file or the Takeout .zip here.",
            ),
            parser=parse,
        ),
    ),
    streams=("locations",),
    record_key_rule="time of the fix and its position to about a metre",
    expected_refresh=timedelta(days=30),
    hole_after=timedelta(days=3),
    recovery=(
        "Upload the Timeline export from your phone (a .json file), Records.json or a "
        "Semantic Location History month file from Google Takeout, or the Takeout .zip as downloaded."
    ),
    re_export_hint="Export your Timeline again from your phone to add newer places.",
)
