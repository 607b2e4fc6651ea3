"""Pass 1: is it a chat, and which day/month order (see the package doc)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

from ..base import ArtifactRejected
from .clock import unreadable_calendar
from .grammar import (
    _DIGIT_TABLE,
    _MARK_TABLE,
    DATE_FIRST,
    TIME_FIRST,
    Layout,
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
    layout: Layout = DATE_FIRST  # date first (most) or time first (Vietnamese iOS)
    digits: bool = False  # dates written in digits of another script (Arabic, Bengali, ...)


# Said of a file that looks changed after WhatsApp wrote it (and only of such a file).
_EDITED = (
    " If it was unzipped, renamed inside or edited, export the chat again and upload the file "
    "exactly as WhatsApp made it."
)


# A line that looks like a message header in a layout not read here: a stamp holding a time
# ("[18 mars 2023 à 21:41:35] Ana: …"), then an author.
_LOOSE = re.compile(
    r"[\u200e\u200f]?\[?(?P<stamp>[^\[\]\n]{2,40}?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?[^\[\]\n]{0,12}?)"
    r"(?:\] | [-\u2013] )[^:\n]{1,80}: "
)


def _unknown_layout(stamp: str) -> ArtifactRejected:
    shown = stamp.translate(_MARK_TABLE).strip()
    return ArtifactRejected(
        "unsupported",
        f"Dates like {shown} are in a layout Ownerhub cannot read yet; the file itself looks "
        "as WhatsApp made it. Set the phone's region to one that writes dates in numbers "
        "(like 18/03/2023), export the chat again and upload it.",
    )


def _unreadable(date: str) -> ArtifactRejected:
    shown = date.translate(_MARK_TABLE)
    return ArtifactRejected(
        "unsupported",
        f"Dates like {shown} are in a calendar Ownerhub cannot read yet. Set the phone's "
        "calendar to Gregorian (Settings, General, Language & Region, Calendar), export the "
        "chat again and upload it.",
    )


def _platform(prefix: str) -> str:
    return "android" if prefix.rstrip().endswith(("-", "\u2013")) else "ios"


def _scan(fh: IO[bytes], full: bool = True) -> _Scan:
    """Check the start of the text looks like WhatsApp, then read the whole text for evidence
    of its day/month order (and, in a zip, for damage)."""
    scan = _Scan()
    nonempty = bad = 0
    sniffing = True
    loose: str | None = None  # the first stamp of a layout not read here, if any
    for block in _blocks(fh):
        if sniffing:
            for line in _lines(block):
                if type(line) is not str:
                    nonempty += 1
                    bad += isinstance(line, _Undecodable)
                elif line.strip():
                    m = DATE_FIRST.header.match(line)
                    if m is None and (m := TIME_FIRST.header.match(line)) is not None:
                        scan.layout = TIME_FIRST
                    if m is not None:
                        date, _ = scan.layout.date_time(m)
                        if unreadable_calendar(date):
                            raise _unreadable(date)
                        scan.platform = _platform(m.group(0))
                        scan.fast = _specialize(m) if scan.layout is DATE_FIRST else None
                        scan.digits = not date.translate(_MARK_TABLE).isascii()
                        sniffing = False
                        break
                    nonempty += 1
                    bad += "\x00" in line
                    if loose is None and (lm := _LOOSE.match(line)) is not None:
                        loose = lm.group("stamp")
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
        if scan.digits:
            text = text.translate(_DIGIT_TABLE)
        layout = scan.layout
        if scan.needs_order is None and (m := layout.not_year_first.search(text)) is not None:
            scan.needs_order = m.group(1).translate(_MARK_TABLE)
        if not scan.day_first:
            scan.day_first = layout.day_first.search(text) is not None
        if not scan.month_first:
            scan.month_first = layout.month_first.search(text) is not None
    if sniffing:
        raise _refusal(nonempty, bad, loose)
    return scan


def _refusal(nonempty: int, bad: int, loose: str | None) -> ArtifactRejected:
    """Why a text with no WhatsApp header among its first lines is refused."""
    if nonempty == 0:
        return ArtifactRejected("empty", "The chat text is empty.")
    if bad * 2 >= nonempty:
        return ArtifactRejected("malformed", "The file is not readable text (not UTF-8)." + _EDITED)
    if loose is not None:
        return _unknown_layout(loose)
    return ArtifactRejected(
        "wrong_source",
        "This does not look like a WhatsApp chat export: no dated messages." + _EDITED,
    )
