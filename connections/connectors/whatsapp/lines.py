"""Reading the chat text as decoded blocks of whole lines, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from ..base import MAX_LINE_CHARS

_CHUNK = 1 << 19  # below MAX_LINE_CHARS, so most blocks skip the per-line length check
# A UTF-8 character is at most 4 bytes: past this many bytes a line is too long for sure.
_LONG_BYTES = MAX_LINE_CHARS * 4


class _TooLong:
    """A line longer than MAX_LINE_CHARS; its text was never held."""


_TOO_LONG = _TooLong()


class _Undecodable:
    """A line that is not valid UTF-8, with a lossy preview for classification."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class _ReadError(Exception):
    """The underlying stream failed (damaged zip member, I/O error)."""


def _read(fh: IO[bytes], size: int) -> bytes:
    try:
        return fh.read(size)
    except Exception as exc:  # any failure of the stream (zlib, CRC, EOF, OSError) is damage
        raise _ReadError(str(exc)) from exc


def _decode_lines(block: bytes) -> list:
    out: list = []
    for raw in block.split(b"\n")[:-1]:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.append(_Undecodable(raw[:4096].decode("utf-8", "replace")))
            continue
        out.append(line if len(line) <= MAX_LINE_CHARS else _TOO_LONG)
    return out


def _decode(block: bytes) -> str | list:
    """Decode complete lines (``block`` ends with a newline).

    Returns the text (still ending with a newline, CRLF folded) when every line is
    good, else a list with one entry per line: str, ``_TOO_LONG`` or ``_Undecodable``.
    """
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_lines(block)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if len(text) > MAX_LINE_CHARS:
        lines = text.split("\n")
        lines.pop()
        if max(map(len, lines), default=0) > MAX_LINE_CHARS:
            return [line if len(line) <= MAX_LINE_CHARS else _TOO_LONG for line in lines]
    return text


def _blocks(fh: IO[bytes]) -> Iterator[str | list]:
    """Yield decoded blocks of whole lines from a binary stream, in bounded memory."""
    carry = b""
    skipping = False  # inside a line already known to be too long
    first = True
    while True:
        data = _read(fh, _CHUNK)
        if not data:
            break
        if first:
            first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if skipping:
            i = data.find(b"\n")
            if i < 0:
                continue
            yield [_TOO_LONG]
            skipping = False
            data = data[i + 1 :]
        if carry:
            data = carry + data
            carry = b""
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
        else:
            carry = data[cut + 1 :]
            yield _decode(data[: cut + 1])
        if len(carry) > _LONG_BYTES:
            carry = b""
            skipping = True
    if skipping:
        yield [_TOO_LONG]
    elif carry:
        yield _decode(carry + b"\n")


def _lines(block: str | list) -> list:
    if type(block) is str:
        lines = block.split("\n")
        lines.pop()
        return lines
    return block
