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
    _date_fields,
    _specialize,
    first_known,
    known_clock,
    year_first_clock,
)
from .lines import _blocks, _lines, _Undecodable

_SNIFF_LINES = 50
_SHORT_CAP = 64  # distinct values gathered at the two ends of short dates before calling it


@dataclass
class _Scan:
    platform: str | None = None  # "android" or "ios", from the first timestamped line
    needs_order: str | None = None  # the first date not written year-first, if any
    day_first: bool = False  # some date can only be read day-first
    month_first: bool = False  # some date can only be read month-first
    fast: re.Pattern[str] | None = None  # a header regex fitted to this file, see _specialize
    layout: Layout = DATE_FIRST  # date first (most) or time first (Vietnamese iOS), then its platform's
    digits: bool = False  # dates written in digits of another script (Arabic, Bengali, ...)
    years: _ShortYears | None = None  # which end of a date like 23/12/31 holds the year


class _ShortYears:
    """Which end of dates written with three short fields (23/12/31) holds the year.

    Korean, Basque and Nepali phones write the year first (yy/M/d), most others last. The
    field holding the day takes many values across a chat; the one holding the year few. A
    first field above 31 can only be a year, and so can a last one. Until either shows, the
    values each end takes are gathered (``_SHORT_CAP`` at most). A chat too short to tell that
    way is told by its order: messages come in time order, and read with the year at the wrong
    end, the dates of a chat over a month's end jump back and forth.
    """

    __slots__ = ("firsts", "lasts", "dates", "months_only", "first", "settled")

    def __init__(self) -> None:
        self.firsts: set[int] = set()
        self.lasts: set[int] = set()
        self.dates: list[tuple[int, int, int]] = []  # the first _SHORT_CAP dates, in file order
        self.months_only = True  # every middle field could be a month
        self.first = False  # the year comes first
        self.settled = False

    def add(self, dates: list[tuple[str, str, str]]) -> None:
        if not dates:
            return
        firsts, lasts = self.firsts, self.lasts
        for a, b, c in dates:
            date = int(a), int(b), int(c)
            firsts.add(date[0])
            lasts.add(date[2])
            if date[1] > 12:
                self.months_only = False
            if len(self.dates) < _SHORT_CAP:
                self.dates.append(date)
        if max(firsts) > 31 and self.months_only and max(lasts) <= 31:
            self.first = self.settled = True
        elif max(lasts) > 31 or not self.months_only:
            self.settled = True
        elif len(lasts) >= 2 * len(firsts) + 3:
            self.first = self.settled = True
        elif len(firsts) >= 2 * len(lasts) + 3 or len(firsts) + len(lasts) > _SHORT_CAP:
            self.settled = True

    def finish(self) -> None:
        """At the end of the text, unsettled: year first if only that reading keeps time order."""
        if self.settled:
            return
        self.settled = True
        dates = self.dates
        ymd = _steps_back(dates)
        year_last = min(_steps_back([(c, b, a) for a, b, c in dates]),
                        _steps_back([(c, a, b) for a, b, c in dates]))
        self.first = 3 * ymd + 1 < year_last


def _steps_back(dates: list[tuple[int, int, int]]) -> int:
    return sum(later < earlier for earlier, later in zip(dates, dates[1:], strict=False))


# Said of a file that looks changed after WhatsApp wrote it (and only of such a file).
_EDITED = (
    " If it was unzipped, renamed inside or edited, export the chat again and upload the file "
    "exactly as WhatsApp made it."
)


# A line that looks like a message header in a layout not read here: a stamp holding a time
# ("[18 mars 2023 à 21:41:35] Ana: …"), then an author.
_LOOSE = re.compile(
    r"[\u200e\u200f]?\[?(?P<stamp>[^\[\]\n]{2,40}?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?[^\[\]\n]{0,12}?"
    r"|\d{1,4}[./-]\d{1,2}[./-]\d{1,4},? [^\[\]\n]{1,40}?)"  # or a date, then a time in words
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


# Where a phone's calendar is set, by the platform the chat's layout shows.
_CALENDAR_SETTING = {
    "ios": "Settings, General, Language & Region, Calendar",
    "android": "Settings, System, Languages, Regional preferences, Calendar",
}


def _unreadable(date: str, platform: str) -> ArtifactRejected:
    shown = date.translate(_MARK_TABLE)
    return ArtifactRejected(
        "unsupported",
        f"Dates like {shown} are in a calendar Ownerhub cannot read yet. Set the phone's "
        f"calendar to Gregorian ({_CALENDAR_SETTING[platform]}), export the "
        "chat again and upload it.",
    )


def _platform(prefix: str) -> str:
    return "android" if prefix.rstrip().endswith(("-", "\u2013")) else "ios"


def _header(line: str, scan: _Scan) -> re.Match[str] | None:
    """A line's match as a message header, date first or (setting the layout) time first; None
    when it is none, or its time carries words that are no clock words."""
    m = DATE_FIRST.header.match(line)
    if m is not None and known_clock(m.group(2)):
        return m
    m = TIME_FIRST.header.match(line)
    if m is not None and known_clock(m.group(1)):
        scan.layout = TIME_FIRST
        return m
    return None


def _first_header(scan: _Scan, m: re.Match[str]) -> None:
    """What the first message header tells of the whole file; refuses a calendar or clock
    words not read here."""
    date, time = scan.layout.date_time(m)
    scan.platform = _platform(m.group(0))
    if unreadable_calendar(date):
        raise _unreadable(date, scan.platform)
    scan.fast = _specialize(m) if scan.layout is DATE_FIRST else None
    # From here on only this platform's headers are headers: a line in the other's layout (a
    # message quoting one) is text, and no evidence of the date order.
    scan.layout = scan.layout.of(scan.platform)
    scan.digits = not date.translate(_MARK_TABLE).isascii()
    fields = _date_fields(date.translate(_DIGIT_TABLE))
    if fields and all(f.isdecimal() and len(f) <= 2 for f in fields):
        scan.years = _ShortYears()
        if year_first_clock(time):
            scan.years.first = scan.years.settled = True


def _scan(fh: IO[bytes], full: bool = True) -> _Scan:
    """Check the start of the text looks like WhatsApp, then read the whole text for evidence
    of its day/month order (and, in a zip, for damage)."""
    scan = _Scan()
    nonempty = bad = 0
    sniffing = True
    loose: str | None = None  # the first stamp of a layout not read here, if any
    data = False  # the text's first line opens JSON or XML: a data file, not a chat someone edited
    for block in _blocks(fh):
        if sniffing:
            for line in _lines(block):
                if type(line) is not str:
                    nonempty += 1
                    bad += isinstance(line, _Undecodable)
                elif line.strip():
                    m = _header(line, scan)
                    if m is not None:
                        _first_header(scan, m)
                        sniffing = False
                        break
                    if not nonempty:
                        data = line.lstrip("\ufeff \t")[:1] in ("{", "[", "<")
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
        years = scan.years
        if scan.day_first and scan.month_first and (years is None or years.settled):
            continue  # settled as contradictory; read on only to check the rest is readable
        if type(block) is str:
            text = "\n" + block
        else:
            text = "\n" + "\n".join(line for line in block if type(line) is str)
        if scan.digits:
            text = text.translate(_DIGIT_TABLE)
        layout = scan.layout
        if scan.needs_order is None and (m := first_known(layout.not_year_first, text)) is not None:
            scan.needs_order = m.group("date").translate(_MARK_TABLE)
        if not scan.day_first:
            scan.day_first = first_known(layout.day_first, text) is not None
        if not scan.month_first:
            scan.month_first = first_known(layout.month_first, text) is not None
        if years is not None and not years.settled:
            years.add([(m["a"], m["b"], m["c"]) for m in layout.short_dates.finditer(text) if known_clock(m["time"])])
    if sniffing:
        raise _refusal(nonempty, bad, loose, data)
    if scan.years is not None:
        scan.years.finish()
    return scan


def _refusal(nonempty: int, bad: int, loose: str | None, data: bool = False) -> ArtifactRejected:
    """Why a text with no WhatsApp header among its first lines is refused (``data``: it opens as
    JSON or XML, so it is another kind of file, not a chat that was edited)."""
    if nonempty == 0:
        return ArtifactRejected("empty", "The chat text is empty.")
    if bad * 2 >= nonempty:
        return ArtifactRejected("malformed", "The file is not readable text (not UTF-8)." + _EDITED)
    if loose is not None:
        return _unknown_layout(loose)
    if data:
        return ArtifactRejected(
            "wrong_source",
            "This is a data file (JSON or XML), not a WhatsApp chat export. Upload the .txt or .zip that "
            "WhatsApp's “Export chat” made.",
        )
    return ArtifactRejected(
        "wrong_source",
        "This does not look like a WhatsApp chat export: no dated messages." + _EDITED,
    )
