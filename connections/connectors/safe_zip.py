"""Reading members of an owner's zip defensively: what a damaged member raises.

A zip is opened with ``base.open_zip`` (encrypted, oversized and bomb-like archives refused)
and its members listed with ``base.safe_member_names`` (no debris, absolute paths, ``..`` or
symlinks). A member read part-way can still fail: a CRC mismatch, a truncated deflate stream,
a compression method this Python lacks. ``READ_ERRORS`` is that set, caught the same way by
every parser that streams a member (Apple Health, GPX) and by ``sniff``.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib

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
