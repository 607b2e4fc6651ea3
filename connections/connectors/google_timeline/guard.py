"""``_GuardedReader``: the byte stream every ijson read goes through (see the package doc)."""

from __future__ import annotations

import zipfile
import zlib
from typing import IO

import ijson

from .common import _BOM, _Hostile

# Hostile-input limits (see the package docstring).
_MAX_DEPTH = 32
_DEPTH_SLICE = 16  # must stay <= _MAX_DEPTH / 2 so a slice rarely needs an exact scan
_MAX_KEY = 256
_MAX_STRING = 1_000_000

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
