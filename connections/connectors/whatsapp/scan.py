"""Pass 1: is it a chat, and which day/month order (see the package doc)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

from ..base import ArtifactRejected
from .grammar import (
    _DAY_FIRST,
    _HEADER,
    _MARK_TABLE,
    _MONTH_FIRST,
    _NOT_YEAR_FIRST,
    _specialize,
)
from .lines import _blocks, _lines, _Undecodable

_SNIFF_LINES = 50


@dataclass
class _Scan:
    platform: str | None = None  # "android" or "ios", from the first timestamped line
    needs_order: str | None = None  # the first date not written year-first, if any
    day_first: bool = False  # some date can only be read day-first
    month_first: bool = False  # some date can only be read month-first
    fast: re.Pattern[str] | None = None  # a header regex fitted to this file, see _specialize


def _platform(prefix: str) -> str:
    return "android" if prefix.rstrip().endswith(("-", "\u2013")) else "ios"


def _scan(fh: IO[bytes], full: bool = True) -> _Scan:
    """Check the start of the text looks like WhatsApp, then read the whole text for evidence
    of its day/month order (and, in a zip, for damage)."""
    scan = _Scan()
    nonempty = bad = 0
    sniffing = True
    for block in _blocks(fh):
        if sniffing:
            for line in _lines(block):
                if type(line) is not str:
                    nonempty += 1
                    bad += isinstance(line, _Undecodable)
                elif line.strip():
                    m = _HEADER.match(line)
                    if m is not None:
                        scan.platform = _platform(m.group(0))
                        scan.fast = _specialize(m)
                        sniffing = False
                        break
                    nonempty += 1
                    bad += "\x00" in line
                if nonempty >= _SNIFF_LINES:
                    break
            if sniffing:
                if nonempty >= _SNIFF_LINES:
                    break
                continue
            if not full:
                return scan
        if scan.day_first and scan.month_first:
            continue  # settled as contradictory; read on only to check the rest is readable
        if type(block) is str:
            text = "\n" + block
        else:
            text = "\n" + "\n".join(line for line in block if type(line) is str)
        if scan.needs_order is None and (m := _NOT_YEAR_FIRST.search(text)) is not None:
            scan.needs_order = m.group(1).translate(_MARK_TABLE)
        if not scan.day_first:
            scan.day_first = _DAY_FIRST.search(text) is not None
        if not scan.month_first:
            scan.month_first = _MONTH_FIRST.search(text) is not None
    if sniffing:
        if nonempty == 0:
            raise ArtifactRejected("empty", "The chat text is empty.")
        if bad * 2 >= nonempty:
            raise ArtifactRejected("malformed", "The file is not readable text (not UTF-8).")
        raise ArtifactRejected(
            "wrong_source", "This does not look like a WhatsApp chat export: no dated messages."
        )
    return scan
