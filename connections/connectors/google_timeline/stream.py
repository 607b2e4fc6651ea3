"""The stream reader: JSON arrays cut into batches of a few MB, each parsed by orjson, with
guarded ijson taking over from the first batch orjson refuses (see the package doc)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import ijson
import orjson

from .common import _BOM, IOS, RECORDS, SEMANTIC, _NotFast
from .guard import _BRACKETS, _NOT_BRACKETS, _OPEN, _READ_ERRORS, _Chain, _GuardedReader

_BUF_SIZE = 256 * 1024


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


class _Bytes:
    """The unread bytes of a document (a BOM dropped) and the stream they come from."""

    __slots__ = ("raw", "buf", "eof")

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.buf = raw.read(_CHUNK)
        self.eof = not self.buf
        if self.buf.startswith(_BOM):
            self.buf = self.buf[3:]

    def fill(self, minimum: int) -> None:
        """Read on until at least ``minimum`` bytes are buffered or the stream ends."""
        while len(self.buf) < minimum and not self.eof:
            more = self.raw.read(_CHUNK)
            if more:
                self.buf += more
            else:
                self.eof = True

    def take(self, pattern: re.Pattern[bytes]) -> re.Match[bytes]:
        """Match ``pattern`` at the start and drop what it matched; ``_NotFast`` if it does not."""
        match = pattern.match(self.buf)
        if match is None:
            raise _NotFast
        self.buf = self.buf[match.end() :]
        return match


def _document_arrays(
    open_raw: Callable[[], IO[bytes]], keys: frozenset[str]
) -> Iterator[tuple[str, list]]:
    """(key, elements) batches of the named top-level arrays of a JSON object, parsed by orjson.

    Other members are passed over. Raises ``_NotFast`` when the bytes are not the
    plain layout (damage, truncation, an odd shape); the caller then reads the
    document with ijson and skips what was already handed out.
    """
    with open_raw() as raw:
        doc = _Bytes(raw)
        doc.take(_OBJECT_START)
        while True:
            doc.fill(4096)
            key = doc.take(_MEMBER).group(1).decode()
            if key in keys and doc.buf[:1] == b"[":
                doc.buf = doc.buf[1:]
                for items in _member_array(doc):
                    yield key, items
            else:
                _skip_value(doc)
            doc.fill(4096)
            if doc.take(_AFTER_MEMBER).group(1) == b"}":
                doc.fill(_CHUNK)
                if doc.buf.strip() or not doc.eof:
                    raise _NotFast  # bytes after the end: ijson tells what they are
                return


def _member_array(doc: _Bytes) -> Iterator[list]:
    """The elements of the array whose ``[`` was just read, in batches; ends after its ``]``."""
    while True:
        if not doc.eof:
            more = doc.raw.read(_CHUNK)
            if more:
                doc.buf += more
                split = _split_batch(doc.buf)
                if split is _NEED_MORE:
                    if len(doc.buf) > _PENDING_CHUNKS * _CHUNK:
                        raise _NotFast
                    continue
                if split is not None:
                    items, doc.buf = split
                    if items:
                        yield items
                    continue
            else:
                doc.eof = True
        # The array closes in this buffer (or the bytes are damaged).
        close = _array_close(doc.buf)
        items = None if close is None else _load_batch(doc.buf[:close])
        if items is None:
            raise _NotFast
        if items:
            yield items
        doc.buf = doc.buf[close + 1 :]
        return


def _skip_value(doc: _Bytes) -> None:
    """Pass over the value of a member that is not one of the arrays read."""
    end = _value_end(doc.buf)
    while end is None and not doc.eof and len(doc.buf) <= _PENDING_CHUNKS * _CHUNK:
        doc.fill(len(doc.buf) + _CHUNK)
        end = _value_end(doc.buf)
    if end is None:
        raise _NotFast
    doc.buf = doc.buf[end:]
