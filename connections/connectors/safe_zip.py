"""Reading members of an owner's zip defensively: what a damaged member raises.

A zip is opened with ``base.open_zip`` (encrypted, oversized and bomb-like archives refused)
and its members listed with ``base.safe_member_names`` (no debris, absolute paths, ``..`` or
symlinks). A member read part-way can still fail: a CRC mismatch, a truncated deflate stream,
a compression method this Python lacks. ``READ_ERRORS`` is that set, caught the same way by
every parser that streams a member (Apple Health, GPX) and by ``sniff``.

A zip cut short (a download or copy that stopped) has no central directory, so
``zipfile`` cannot open it; ``open_cut_member`` still streams a member from its local
header, so an export whose zip was cut keeps what it holds.
"""

from __future__ import annotations

import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .base import MAX_ZIP_RATIO, MAX_ZIP_TOTAL_UNCOMPRESSED

# Failures while decompressing or reading a zip member.
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


# --------------------------------------------------------------------------- a zip cut short

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # a local file header, before its name and extra field
_LOCAL_SIGNATURE = b"PK\x03\x04"
_STORED, _DEFLATED = 0, 8
_READ = 1 << 16
_STEP = 1 << 20  # bytes inflated at most per step


def open_cut_member(path: Path, wanted: Callable[[str], bool]) -> IO[bytes] | None:
    """The first member ``wanted`` accepts, streamed from its local header, in a zip whose end
    (and so its central directory) is missing: a download or copy cut short.

    Members before it are passed over by their sizes; None when one cannot be (its size is
    only in a data descriptor), when a header is damaged or encrypted, or when no member is
    wanted. The stream ends where the bytes end: the caller reads what the file still holds.
    """
    fh = open(path, "rb")
    try:
        while True:
            head = fh.read(_LOCAL.size)
            if len(head) < _LOCAL.size:
                break
            sig, _, flags, method, _, _, _, size, _, name_len, extra_len = _LOCAL.unpack(head)
            if sig != _LOCAL_SIGNATURE or flags & 0x1 or method not in (_STORED, _DEFLATED):
                break
            name = fh.read(name_len).decode("utf-8" if flags & 0x800 else "cp437", "replace")
            fh.seek(extra_len, 1)
            unsafe = name.startswith("/") or "\\" in name or ".." in name.split("/")
            if wanted(name) and not unsafe:
                member = _CutMember(fh, method, size if not flags & 0x8 else None)
                fh = None  # the member owns the file now
                return member
            if flags & 0x8:  # the size follows the data: the next header cannot be found safely
                break
            fh.seek(size, 1)
    finally:
        if fh is not None:
            fh.close()
    return None


class _CutMember(io.RawIOBase):
    """The bytes of one member, inflated as they are read, until the member or the file ends.

    No central directory vouches for the sizes, so the bomb guards of ``base.open_zip`` are
    applied as the bytes come: each step inflates at most ``_STEP`` bytes, and a member that
    expands beyond ``MAX_ZIP_RATIO`` times what was read (past 10 MB), or beyond the total
    limit, stops with ``zipfile.BadZipFile`` (one of ``READ_ERRORS``).
    """

    def __init__(self, fh: IO[bytes], method: int, size: int | None):
        self._fh = fh
        self._left = size  # compressed bytes still to read (None: unknown, read to the end)
        self._inflate = zlib.decompressobj(-15) if method == _DEFLATED else None
        self._pending = b""
        self._read_in = 0
        self._given_out = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while not self._pending:
            inflate = self._inflate
            tail = inflate.unconsumed_tail if inflate is not None else b""
            raw = tail or self._raw(_READ)
            if not raw:
                if inflate is not None:
                    self._pending = inflate.flush()
                    self._inflate = None
                    continue
                return b""
            self._pending = raw if inflate is None else inflate.decompress(raw, _STEP)
            if inflate is not None and inflate.eof:
                self._left = 0
            self._guard(len(self._pending))
        if n is None or n < 0 or n >= len(self._pending):
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def _guard(self, size: int) -> None:
        self._given_out += size
        if self._given_out > MAX_ZIP_TOTAL_UNCOMPRESSED or (
            self._given_out > 10 * 1024**2 and self._given_out > MAX_ZIP_RATIO * max(self._read_in, 1)
        ):
            raise zipfile.BadZipFile("The zip expands far beyond its size (a zip bomb?).")

    def _raw(self, n: int) -> bytes:
        if self._left is not None:
            n = min(n, self._left)
            if n <= 0:
                return b""
        data = self._fh.read(n)
        self._read_in += len(data)
        if self._left is not None:
            self._left -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()
        super().close()
